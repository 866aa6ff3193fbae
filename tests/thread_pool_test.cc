// Unit tests of gls::ThreadPool (gls/session/thread_pool.h): tasks carry the
// session current at submit time, and the documented shutdown.
#include "gls/session/thread_pool.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/attributes.h"
#include "gls/session/binding.h"
#include "gls/tests/session_test_util.h"
#include "gls/tests/tsan_notification.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::testing::CurTenant;
using ::gls::testing::NewSession;

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

// Tests that the documented shutdown runs every queued task, joins the
// threads and leaves nothing of the tasks behind.
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

// Tests that concurrent submitters with distinct sessions never see another's.
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
