// Unit tests of implicit session inheritance (`async=true`,
// gls/session/internal/thread_inherit.h) and gls::NoInheritScope
// (gls/session/no_inherit.h): plain std::thread and std::async started while a
// session is bound see it while it is valid, and never after; threads that a
// lazily started pool creates during a request never keep it.
// (grpc_threads_test covers gRPC's own threads.)
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gls/session/async.h"
#include "gls/session/internal/thread_inherit.h"
#include "gls/session/no_inherit.h"
#include "gls/session/thread_pool.h"
#include "gls/tests/session_test_util.h"
#include "gls/tests/tsan_notification.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::testing::CurValidTenant;
using ::gls::testing::LogCapture;
using ::gls::testing::NewSession;

class AsyncInheritTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // What an enabled server with async=true does (no gRPC to check here).
    ASSERT_TRUE(session_internal::EnableThreadInheritance(nullptr).ok());
    ASSERT_TRUE(session_internal::ThreadInheritanceEnabled());
  }
};

// Tests that std::thread and std::async see the session while it is valid.
TEST_F(AsyncInheritTest, PlainThreadsSeeSessionWhileValid) {
  Session request = NewSession("acme");
  SessionScope scope(request);
  std::string seen;
  std::thread([&] { seen = CurValidTenant(); }).join();
  EXPECT_EQ(seen, "acme");
  EXPECT_EQ(std::async(std::launch::async, CurValidTenant).get(), "acme");
  // Grandchildren too.
  std::thread([&] {
    std::thread([&] { seen = CurValidTenant(); }).join();
  }).join();
  EXPECT_EQ(seen, "acme");
}

// Tests that a thread started during a request sees nothing once the request
// ended, and that a thread started with no session sees nothing.
TEST_F(AsyncInheritTest, NothingAfterTheRequestEnded) {
  Session request = NewSession("acme");
  testing::Notification read, ended;
  std::string during, after;
  std::thread t;
  {
    SessionScope scope(request);
    t = std::thread([&] {
      during = CurValidTenant();
      read.Notify();
      ended.WaitForNotification();
      after = CurValidTenant();
    });
  }
  read.WaitForNotification();  // the scope is gone; the request is not over
  request.End();
  ended.Notify();
  t.join();
  EXPECT_EQ(during, "acme");
  EXPECT_EQ(after, "none");
  std::string unbound;
  std::thread([&] { unbound = CurValidTenant(); }).join();
  EXPECT_EQ(unbound, "none");
}

// Tests that an explicit binding on the child wins over the inherited one.
TEST_F(AsyncInheritTest, OwnBindingWins) {
  SessionScope scope(NewSession("parent"));
  std::string seen;
  std::thread([&] {
    SessionScope own(NewSession("child"));
    seen = CurValidTenant();
  }).join();
  EXPECT_EQ(seen, "child");
}

// Tests that a pool started lazily during a request never shows the request
// to tasks submitted without a session, during or after it.
TEST_F(AsyncInheritTest, LazyPoolThreadsDoNotKeepRequest) {
  Session request = NewSession("acme");
  std::unique_ptr<ThreadPool> pool;
  {
    SessionScope scope(request);
    pool = std::make_unique<ThreadPool>(2);  // threads created during request
  }
  std::promise<std::string> during;
  pool->Schedule([&] { during.set_value(CurValidTenant()); });
  EXPECT_EQ(during.get_future().get(), "none");
  request.End();
  std::promise<std::string> after;
  pool->Schedule([&] { after.set_value(CurValidTenant()); });
  EXPECT_EQ(after.get_future().get(), "none");
}

// Tests that threads created under NoInheritScope (and their children)
// inherit nothing, that scopes nest, and that inheritance resumes after.
TEST_F(AsyncInheritTest, NoInheritScopeOptsOut) {
  SessionScope scope(NewSession("acme"));
  std::string seen, grandchild;
  {
    NoInheritScope outer;
    { NoInheritScope inner; }
    std::thread([&] {
      seen = CurValidTenant();
      std::thread([&] { grandchild = CurValidTenant(); }).join();
    }).join();
    EXPECT_EQ(std::async(std::launch::async, CurValidTenant).get(), "none");
  }
  EXPECT_EQ(seen, "none");
  EXPECT_EQ(grandchild, "none");
  std::thread([&] { seen = CurValidTenant(); }).join();
  EXPECT_EQ(seen, "acme");
}

// Tests that ending a request while a thread that inherited it still runs
// logs one warning naming the thread and the request, and that threads that
// finished in time, gls's carriers and opted-out threads cause none.
TEST_F(AsyncInheritTest, WarnsWhenAnInheritingThreadOutlivesItsRequest) {
  LogCapture log;
  Session quiet(Context::Builder(Context::Direction::kIncoming)
                    .AddHeader("rpc-persist-tenant", "acme")
                    .SetMethod("/svc/Quiet")
                    .Build());
  testing::Notification release;
  std::thread carried, opted_out;
  std::unique_ptr<ThreadPool> pool;
  {
    SessionScope scope(quiet);
    std::thread([] {}).join();  // finished before the request ends
    carried = Go([&] { release.WaitForNotification(); });
    pool = std::make_unique<ThreadPool>(1);
    NoInheritScope no_inherit;
    opted_out = std::thread([&] { release.WaitForNotification(); });
  }
  quiet.End();
  EXPECT_TRUE(log.lines().empty()) << log.lines()[0];

  Session request(Context::Builder(Context::Direction::kIncoming)
                      .AddHeader("rpc-persist-tenant", "acme")
                      .SetMethod("/svc/Leaky")
                      .Build());
  testing::Notification started;
  std::thread worker;
  {
    SessionScope scope(request);
    worker = std::thread([&] {
      started.Notify();
      release.WaitForNotification();
    });
  }
  started.WaitForNotification();
  request.End();
  request.End();  // once only
  release.Notify();
  worker.join();
  carried.join();
  opted_out.join();
  pool.reset();
  std::vector<std::string> lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "\"/svc/Leaky\"")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "1 thread(s)")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "NoInheritScope")) << lines[0];
}

// Tests that inheritance is refused when the given gRPC function does not lie
// in a shared gRPC library (gRPC linked statically), with a clear reason.
TEST(ThreadInheritTest, RefusesStaticallyLinkedGrpc) {
  auto in_this_executable = reinterpret_cast<const void*>(&CurValidTenant);
  EXPECT_FALSE(session_internal::InGrpcLibrary(in_this_executable));
  absl::Status status =
      session_internal::EnableThreadInheritance(in_this_executable);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(status.message(), "linked statically"))
      << status.message();
}

}  // namespace
}  // namespace gls
