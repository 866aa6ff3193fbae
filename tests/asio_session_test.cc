// Tests of gls::asio::SessionExecutor (asio/session_executor.h) on real
// io_contexts: every handler and every coroutine resumption sees the session
// of the executor it runs through, and nothing else; the thread's own binding
// comes back after each one, inline dispatch included. C++20 (coroutines).
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "asio.hpp"
#include "gls/asio/session_executor.h"
#include "gls/session/binding.h"
#include "gls/session/session.h"
#include "gls/tests/session_test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::testing::CurTenant;
using ::gls::testing::NewSession;

// Counts resumptions and the ones that saw a session other than expected.
struct Tally {
  std::atomic<int> checks{0};
  std::atomic<int> wrong{0};
  void Check(const std::string& want) {
    checks.fetch_add(1, std::memory_order_relaxed);
    if (CurTenant() != want) wrong.fetch_add(1, std::memory_order_relaxed);
  }
};

// `rounds` times: a timer await, then a post through the coroutine's own
// executor; checks the tenant after every resumption.
::asio::awaitable<void> TimersAndPosts(std::string want, int rounds,
                                       Tally* tally) {
  auto ex = co_await ::asio::this_coro::executor;
  ::asio::steady_timer timer(ex);
  tally->Check(want);
  for (int i = 0; i < rounds; ++i) {
    timer.expires_after(std::chrono::microseconds(i % 3 * 50));
    co_await timer.async_wait(::asio::use_awaitable);
    tally->Check(want);
    co_await ::asio::post(ex, ::asio::use_awaitable);
    tally->Check(want);
  }
}

TEST(AsioSessionExecutorTest, TwoRequestsInterleavedOnOneThread) {
  ::asio::io_context io(1);
  Tally tally;
  Session a = NewSession("a");
  Session b = NewSession("b");
  ::asio::co_spawn(asio::WithSession(io.get_executor(), a),
                   TimersAndPosts("a", 200, &tally), ::asio::detached);
  ::asio::co_spawn(asio::WithSession(io.get_executor(), b),
                   TimersAndPosts("b", 200, &tally), ::asio::detached);
  // Spawned with no session: sees none at every resumption, although it
  // resumes on the thread that just resumed a's and b's coroutines.
  ::asio::co_spawn(io.get_executor(), TimersAndPosts("none", 200, &tally),
                   ::asio::detached);
  io.run();
  EXPECT_EQ(tally.checks.load(), 3 * 401);
  EXPECT_EQ(tally.wrong.load(), 0);
  EXPECT_TRUE(CurSession().empty()) << "thread still bound after run()";
}

TEST(AsioSessionExecutorTest, RunInsideScopeRestoresItAndEmptyHidesIt) {
  ::asio::io_context io(1);
  Tally tally;
  SessionScope scope(NewSession("runner"));
  ::asio::co_spawn(asio::WithSession(io.get_executor(), NewSession("a")),
                   TimersAndPosts("a", 50, &tally), ::asio::detached);
  // The empty session hides the runner's binding.
  ::asio::co_spawn(asio::WithSession(io.get_executor(), Session()),
                   TimersAndPosts("none", 50, &tally), ::asio::detached);
  // A plain executor's work sees what the running thread has bound.
  ::asio::co_spawn(io.get_executor(), TimersAndPosts("runner", 50, &tally),
                   ::asio::detached);
  io.run();
  EXPECT_EQ(tally.wrong.load(), 0);
  EXPECT_EQ(tally.checks.load(), 3 * 101);
  EXPECT_EQ(CurTenant(), "runner");
}

TEST(AsioSessionExecutorTest, ThousandCoroutinesOverTwoThreads) {
  ::asio::io_context io(2);
  Tally tally;
  constexpr int kCoroutines = 1000;
  for (int i = 0; i < kCoroutines; ++i) {
    std::string tenant = "t-" + std::to_string(i);
    ::asio::co_spawn(asio::WithSession(io.get_executor(), NewSession(tenant)),
                     TimersAndPosts(tenant, 10, &tally), ::asio::detached);
  }
  std::thread other([&] { io.run(); });
  io.run();
  other.join();
  EXPECT_EQ(tally.checks.load(), kCoroutines * 21);
  EXPECT_EQ(tally.wrong.load(), 0);
  EXPECT_TRUE(CurSession().empty());
}

TEST(AsioSessionExecutorTest, BindExecutorRunsHandlerUnderItsSession) {
  ::asio::io_context io(1);
  Session s = NewSession("s");
  std::vector<std::string> seen;
  ::asio::post(io,
               ::asio::bind_executor(asio::WithSession(io.get_executor(), s),
                                     [&] { seen.push_back(CurTenant()); }));
  ::asio::steady_timer timer(io, std::chrono::milliseconds(1));
  timer.async_wait(::asio::bind_executor(
      asio::WithSession(io.get_executor(), s), [&](std::error_code ec) {
        EXPECT_FALSE(ec);
        seen.push_back(CurTenant());
      }));
  // A handler with no executor of its own runs on its I/O object's: a timer
  // made on a SessionExecutor completes under that session.
  ::asio::steady_timer other(asio::WithSession(io.get_executor(), s),
                             std::chrono::milliseconds(1));
  other.async_wait([&](std::error_code) { seen.push_back(CurTenant()); });
  io.run();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], "s");
  EXPECT_EQ(seen[1], "s");
  EXPECT_EQ(seen[2], "s");
  EXPECT_TRUE(CurSession().empty());
}

TEST(AsioSessionExecutorTest, InlineDispatchBindsAndRestores) {
  ::asio::io_context io(1);
  Session a = NewSession("a");
  Session b = NewSession("b");
  std::vector<std::string> seen;
  ::asio::post(asio::WithSession(io.get_executor(), a), [&] {
    seen.push_back(CurTenant());
    bool ran = false;
    ::asio::dispatch(asio::WithSession(io.get_executor(), b), [&] {
      ran = true;
      seen.push_back(CurTenant());
    });
    EXPECT_TRUE(ran) << "dispatch on the running io_context runs inline";
    seen.push_back(CurTenant());
    // defer and post queue: they run later, under their own session.
    ::asio::defer(asio::WithSession(io.get_executor(), b),
                  [&] { seen.push_back(CurTenant()); });
  });
  io.run();
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "a", "b"}));
}

TEST(AsioSessionExecutorTest, Strands) {
  ::asio::io_context io(2);
  Session a = NewSession("a");
  Session b = NewSession("b");
  Tally tally;
  // A strand over a SessionExecutor: every handler under the one session.
  auto strand_of_a =
      ::asio::make_strand(asio::WithSession(io.get_executor(), a));
  // SessionExecutors over one shared strand: each handler under its own.
  auto shared = ::asio::make_strand(io.get_executor());
  auto on_a = asio::WithSession(shared, a);
  auto on_b = asio::WithSession(shared, b);
  int in_strand = 0;  // touched only inside `shared`
  std::atomic<int> overlap{0};
  for (int i = 0; i < 500; ++i) {
    ::asio::post(strand_of_a, [&] { tally.Check("a"); });
    ::asio::post(i % 2 ? on_a : on_b, [&, i] {
      if (++in_strand != 1) overlap.fetch_add(1);
      tally.Check(i % 2 ? "a" : "b");
      --in_strand;
    });
  }
  std::thread other([&] { io.run(); });
  io.run();
  other.join();
  EXPECT_EQ(tally.checks.load(), 1000);
  EXPECT_EQ(tally.wrong.load(), 0);
  EXPECT_EQ(overlap.load(), 0) << "the strand's guarantee is kept";
  static_assert(
      std::is_same_v<decltype(on_a)::inner_executor_type, decltype(shared)>);
}

TEST(AsioSessionExecutorTest, CancelledCoroutineSeesItsSessionInCleanup) {
  ::asio::io_context io(1);
  Session s = NewSession("s");
  ::asio::cancellation_signal signal;
  std::vector<std::string> seen;
  ::asio::co_spawn(
      asio::WithSession(io.get_executor(), s),
      [&]() -> ::asio::awaitable<void> {
        ::asio::steady_timer timer(co_await ::asio::this_coro::executor,
                                   std::chrono::hours(1));
        try {
          co_await timer.async_wait(::asio::use_awaitable);
          seen.push_back("not cancelled");
        } catch (const std::system_error& e) {
          seen.push_back(e.code() == ::asio::error::operation_aborted
                             ? CurTenant()
                             : e.what());
        }
      },
      ::asio::bind_cancellation_slot(signal.slot(), ::asio::detached));
  ::asio::post(io, [&] { signal.emit(::asio::cancellation_type::all); });
  io.run();
  EXPECT_EQ(seen, std::vector<std::string>{"s"});
}

TEST(AsioSessionExecutorTest, StandardExecutorProperties) {
  ::asio::io_context io(1);
  Session s = NewSession("s");
  auto ex = asio::WithSession(io.get_executor(), s);
  static_assert(::asio::execution::is_executor_v<decltype(ex)>);
  EXPECT_EQ(&::asio::query(ex, ::asio::execution::context), &io);
  auto never = ::asio::require(ex, ::asio::execution::blocking.never);
  static_assert(std::is_same_v<
                decltype(never),
                asio::SessionExecutor<std::decay_t<decltype(::asio::require(
                    io.get_executor(), ::asio::execution::blocking.never))>>>);
  EXPECT_EQ(::asio::query(never, ::asio::execution::blocking),
            ::asio::execution::blocking.never);
  EXPECT_TRUE(never.session().SameAs(s));

  // Equality: the same executor and the same session.
  EXPECT_TRUE(ex == asio::WithSession(io.get_executor(), s));
  EXPECT_FALSE(ex == asio::WithSession(io.get_executor(), NewSession("s")));
  EXPECT_FALSE(ex == asio::WithSession(io.get_executor(), s.Detach()));
  ::asio::io_context other(1);
  EXPECT_TRUE(ex != asio::WithSession(other.get_executor(), s));

  // Usable where any_io_executor is expected, and still carrying the session.
  ::asio::any_io_executor any = ex;
  std::string seen;
  ::asio::post(any, [&] { seen = CurTenant(); });
  // WithSession(ex) takes the calling thread's session.
  std::string seen_current;
  {
    SessionScope scope(NewSession("current"));
    ::asio::post(asio::WithSession(io.get_executor()),
                 [&] { seen_current = CurTenant(); });
  }
  io.run();
  EXPECT_EQ(seen, "s");
  EXPECT_EQ(seen_current, "current");

  // (Outstanding work: made after run(), which would wait for it.)
  auto tracked =
      ::asio::prefer(ex, ::asio::execution::outstanding_work.tracked);
  EXPECT_EQ(::asio::query(tracked, ::asio::execution::outstanding_work),
            ::asio::execution::outstanding_work.tracked);
  EXPECT_TRUE(tracked.session().SameAs(s));

  // A converting copy keeps the session.
  asio::SessionExecutor<::asio::any_io_executor> converted = ex;
  EXPECT_TRUE(converted.session().SameAs(s));
}

}  // namespace
}  // namespace gls
