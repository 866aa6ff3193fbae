// Unit tests of gls/session/async.h, the explicit carriers (Wrap, WrapSession,
// Go, GoSession, CarrySessions), with async off: new threads see no session by
// themselves. (gls::ThreadPool: thread_pool_test.cc.)
#include "gls/session/async.h"

#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gls/tests/session_test_util.h"
#include "gls/tests/tsan_notification.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::testing::CurTenant;
using ::gls::testing::NewSession;

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

// Tests that Go and GoSession carry a snapshot: the session stays readable
// after the request ended.
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

// Tests that CarrySessions adapts a user's own "run this callable" executor.
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

}  // namespace
}  // namespace gls
