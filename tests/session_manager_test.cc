// Unit tests of gls::SessionManager and BindSession/UnbindSession
// (gls/session/session_manager.h): explicit bindings, thread isolation, the
// registry and its garbage collection.
#include "gls/session/session_manager.h"

#include <pthread.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gls/tests/session_test_util.h"
#include "gls/tests/tsan_notification.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::testing::CurTenant;
using ::gls::testing::LogCapture;
using ::gls::testing::NewSession;

// Tests BindSession/UnbindSession on the default manager, and that a scope
// inside restores the explicit binding.
TEST(BindSessionTest, BindUnbind) {
  BindSession(NewSession("bound"));
  EXPECT_EQ(CurTenant(), "bound");
  {
    SessionScope scope(NewSession("scoped"));
    EXPECT_EQ(CurTenant(), "scoped");
  }
  EXPECT_EQ(CurTenant(), "bound");
  BindSession(NewSession("rebound"));
  EXPECT_EQ(CurTenant(), "rebound");
  UnbindSession();
  EXPECT_TRUE(CurSession().empty());
  UnbindSession();  // harmless
}

// Tests that two threads see only their own bindings.
TEST(BindSessionTest, ThreadsAreIsolated) {
  SessionManager manager(SessionOptions{});
  testing::Notification a_bound, b_checked;
  std::thread a([&] {
    manager.BindSession(NewSession("a"));
    a_bound.Notify();
    b_checked.WaitForNotification();
    EXPECT_EQ(CurTenant(), "a");
    manager.UnbindSession();
  });
  std::thread b([&] {
    a_bound.WaitForNotification();
    EXPECT_TRUE(CurSession().empty());
    SessionScope scope(NewSession("b"));
    EXPECT_EQ(CurTenant(), "b");
    b_checked.Notify();
  });
  a.join();
  b.join();
  EXPECT_TRUE(CurSession().empty());
}

// Tests that GC unbinds ended sessions, keeps valid ones, and never touches
// scoped bindings.
TEST(SessionManagerTest, GarbageCollectsEndedBindings) {
  SessionOptions options;
  options.shard_number = 3;
  SessionManager manager(options);
  testing::Notification bound, collected, done;
  Session ended = NewSession("ended");
  std::thread t([&] {
    manager.BindSession(ended);
    bound.Notify();
    collected.WaitForNotification();
    EXPECT_TRUE(CurSession().empty());  // GC unbound it
    manager.BindSession(NewSession("live"));
    done.Notify();
    absl::SleepFor(absl::Milliseconds(50));
    EXPECT_EQ(CurTenant(), "live");
  });
  bound.WaitForNotification();
  EXPECT_EQ(manager.RegisteredThreads(), 1u);
  EXPECT_EQ(manager.CollectGarbage(), 0u);  // still valid
  ended.End();
  EXPECT_EQ(manager.CollectGarbage(), 1u);
  collected.Notify();
  done.WaitForNotification();
  EXPECT_EQ(manager.CollectGarbage(), 0u);
  t.join();
  EXPECT_EQ(manager.RegisteredThreads(), 0u);  // deregistered at exit

  Session scoped = NewSession("scoped");
  SessionScope scope(scoped);
  scoped.End();
  EXPECT_EQ(manager.CollectGarbage(), 0u);
  EXPECT_EQ(CurTenant(), "scoped");
}

// Tests that the GC thread runs on its own every gc_interval and stops when
// the manager is destroyed.
TEST(SessionManagerTest, GcThreadRunsPeriodically) {
  SessionOptions options;
  options.gc_interval = absl::Milliseconds(1100);  // the shortest allowed
  auto manager = std::make_unique<SessionManager>(options);
  Session s = NewSession("x");
  testing::Notification bound, ended;
  bool cleared = false;
  std::thread t([&] {
    manager->BindSession(s);
    bound.Notify();
    ended.WaitForNotification();
    absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (!CurSession().empty() && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    cleared = CurSession().empty();
  });
  bound.WaitForNotification();
  EXPECT_EQ(CurSession().empty(), true);
  s.End();
  ended.Notify();
  t.join();
  EXPECT_TRUE(cleared);
  manager.reset();  // joins the GC thread; must not hang
}

// Tests that bad options from code are logged and replaced, never a crash.
TEST(SessionManagerTest, BadCodeOptionsAreReplaced) {
  LogCapture log;
  SessionOptions bad;
  bad.shard_number = 0;
  bad.gc_interval = -absl::Seconds(1);
  SessionManager manager(bad);
  std::vector<std::string> lines = log.lines();
  EXPECT_EQ(manager.options().shard_number, 100);
  EXPECT_EQ(manager.options().gc_interval, absl::Minutes(10));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "shard_number 0")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "gc_interval -1s")) << lines[0];
  manager.BindSession(NewSession("ok"));
  EXPECT_EQ(CurTenant(), "ok");
  manager.UnbindSession();
}

// Tests that a thread that exits while bound leaves nothing for a new thread,
// even one that the OS gives the same thread id.
TEST(SessionManagerTest, ThreadIdReuseNeverSharesBinding) {
  SessionManager manager(SessionOptions{});
  pthread_t first_id{};
  std::thread first([&] {
    first_id = pthread_self();
    manager.BindSession(NewSession("leaked"));  // never unbound
  });
  first.join();
  EXPECT_EQ(manager.RegisteredThreads(), 0u);
  bool reused = false;
  for (int i = 0; i < 50; ++i) {
    std::thread next([&] {
      if (pthread_equal(pthread_self(), first_id)) reused = true;
      EXPECT_TRUE(CurSession().empty());
    });
    next.join();
  }
  // glibc reuses the stack (and so the id) of a joined thread: the check above
  // ran on a thread with the same id at least once.
  EXPECT_TRUE(reused);
}

}  // namespace
}  // namespace gls
