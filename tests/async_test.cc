// Unit tests of the explicit carriers (Wrap, Go, GoSession, CarrySessions) and
// gls::ThreadPool, with async off: new threads see no session by themselves.
#include "gls/session/async.h"

#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gls/session/thread_pool.h"
#include "gls/tests/tsan_notification.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

Session NewSession(absl::string_view tenant) {
  return Session(Context().WithPersistent("TENANT", tenant));
}

std::string CurTenant() {
  const Session& s = CurSession();
  if (s.empty()) return "none";
  return std::string(s.context().GetPersistent("TENANT").value_or(""));
}

// Tests that with async off a plain new thread sees no session.
TEST(AsyncOffTest, NewThreadSeesNoSession) {
  SessionScope scope(NewSession("a"));
  std::string seen;
  std::thread([&] { seen = CurTenant(); }).join();
  EXPECT_EQ(seen, "none");
  EXPECT_EQ(std::async(std::launch::async, CurTenant).get(), "none");
}

// Tests that Wrap captures at wrap time and restores the running thread's
// binding afterwards.
TEST(WrapTest, CapturesAtWrapTimeAndRestores) {
  std::function<std::string()> wrapped;
  {
    SessionScope scope(NewSession("wrapped"));
    wrapped = Wrap([] { return CurTenant(); });
  }
  EXPECT_EQ(wrapped(), "wrapped");
  SessionScope other(NewSession("runner"));
  EXPECT_EQ(wrapped(), "wrapped");
  EXPECT_EQ(CurTenant(), "runner");
  // Wrapping with no session hides the runner's binding while it runs.
  std::function<std::string()> empty;
  {
    SessionScope none((Session()));
    empty = Wrap([] { return CurTenant(); });
  }
  EXPECT_EQ(empty(), "none");
  EXPECT_EQ(CurTenant(), "runner");
}

// Tests that Wrap forwards arguments and results and accepts move-only
// callables.
TEST(WrapTest, ForwardsArgumentsAndMoveOnly) {
  SessionScope scope(NewSession("x"));
  auto add = Wrap([](int a, int b) { return a + b; });
  EXPECT_EQ(add(2, 3), 5);
  auto owned = std::make_unique<int>(7);
  auto move_only = Wrap([p = std::move(owned)] { return *p; });
  EXPECT_EQ(move_only(), 7);
}

// Tests Go and GoSession, and the snapshot rule: a carried session stays
// readable after the request ended.
TEST(GoTest, CarriesSnapshotPastEnd) {
  Session request = NewSession("go");
  testing::Notification ended;
  std::string during, after;
  bool valid_after = true;
  std::thread t;
  {
    SessionScope scope(request);
    t = Go([&] {
      during = CurTenant();
      ended.WaitForNotification();
      after = CurTenant();
      valid_after = CurSession().IsValid();
    });
  }
  request.End();
  ended.Notify();
  t.join();
  EXPECT_EQ(during, "go");
  EXPECT_EQ(after, "go");
  EXPECT_FALSE(valid_after);

  std::string given;
  GoSession(NewSession("given"), [&] { given = CurTenant(); }).join();
  EXPECT_EQ(given, "given");
}

// Tests that nested carriers restore their binding in order.
TEST(WrapTest, Nesting) {
  SessionScope outer(NewSession("outer"));
  auto inner = WrapSession(NewSession("inner"), [] {
    std::string in = CurTenant();
    auto innermost =
        WrapSession(NewSession("innermost"), [] { return CurTenant(); });
    return in + "/" + innermost() + "/" + CurTenant();
  });
  EXPECT_EQ(inner(), "inner/innermost/inner");
  EXPECT_EQ(CurTenant(), "outer");
}

// Tests the executor adapter over a user's own "run this callable" executor.
TEST(CarrySessionsTest, AdaptsAnyExecutor) {
  std::vector<std::function<void()>> queue;  // the user's executor
  auto run = CarrySessions(
      [&](std::function<void()> task) { queue.push_back(std::move(task)); });
  std::vector<std::string> seen;
  {
    SessionScope scope(NewSession("submitted"));
    run([&] { seen.push_back(CurTenant()); });
  }
  run([&] { seen.push_back(CurTenant()); });
  SessionScope runner(NewSession("runner"));
  std::thread([&] {
    for (auto& task : queue) task();
  }).join();
  EXPECT_EQ(seen, (std::vector<std::string>{"submitted", "none"}));
}

// Tests that pool tasks run with the session current at submit, that a task
// submitted without one sees none, and that values added by a task are seen
// by the request.
TEST(ThreadPoolTest, CarriesSessionsPerTask) {
  ABSL_CONST_INIT static const SessionKey<std::string> kNote("note");
  ThreadPool pool(2);
  Session a = NewSession("a");
  std::vector<std::string> seen(3);
  testing::Notification done[3];
  {
    SessionScope scope(a);
    pool.Schedule([&] {
      seen[0] = CurTenant();
      CurSession().Set(kNote, std::string("from pool"));
      done[0].Notify();
    });
  }
  pool.Schedule([&] {
    seen[1] = CurTenant();
    done[1].Notify();
  });
  pool.ScheduleWithSession(NewSession("given"), [&] {
    seen[2] = CurTenant();
    done[2].Notify();
  });
  for (auto& d : done) d.WaitForNotification();
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "none", "given"}));
  ASSERT_NE(a.Get(kNote), nullptr);
  EXPECT_EQ(*a.Get(kNote), "from pool");
}

// Tests the documented shutdown: queued tasks all run, threads are joined,
// and Schedule after shutdown is refused.
TEST(ThreadPoolTest, ShutdownRunsQueuedTasksAndJoins) {
  std::atomic<int> ran{0};
  std::shared_ptr<int> alive = std::make_shared<int>(0);
  std::weak_ptr<int> watch = alive;
  {
    ThreadPool pool(2);
    testing::Notification gate;
    for (int i = 0; i < 2; ++i)
      pool.Schedule([&] { gate.WaitForNotification(); });
    for (int i = 0; i < 100; ++i) {
      pool.Schedule([&ran, keep = alive] { ran.fetch_add(1); });
    }
    alive.reset();
    gate.Notify();
  }
  EXPECT_EQ(ran.load(), 100);
  EXPECT_TRUE(watch.expired());  // every task (and what it held) is gone
}

// Tests many concurrent submitters with distinct sessions: zero mismatches.
TEST(ThreadPoolTest, ConcurrentSubmittersNeverMix) {
  ThreadPool pool(4);
  std::atomic<int> mismatches{0}, runs{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < 4; ++t) {
    submitters.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string want = std::to_string(t) + "-" + std::to_string(i);
        SessionScope scope(NewSession(want));
        pool.Schedule([&, want] {
          if (CurTenant() != want) mismatches.fetch_add(1);
          runs.fetch_add(1);
        });
      }
    });
  }
  for (auto& s : submitters) s.join();
  while (runs.load() < 800) std::this_thread::yield();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace gls
