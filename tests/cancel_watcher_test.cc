// Tests of a session's cancellation and the cancel watcher
// (session/internal/cancellation.h, cancel_watcher.h) without gRPC: fake
// calls count their references and cancellations. Run under ThreadSanitizer
// in CI (every thread here is gls's own or the test's).

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gls/session/context.h"
#include "gls/session/internal/cancellation.h"
#include "gls/session/internal/session_access.h"
#include "gls/session/session.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using session_internal::CallCanceller;
using session_internal::CancelPoller;
using session_internal::CancelTarget;
using session_internal::SessionAccess;

// A call: its references and how it was cancelled.
struct FakeCall {
  std::atomic<int> refs{0};
  std::atomic<int> cancels{0};
  std::atomic<int> refs_at_cancel{-1};  // at the last Cancel
  absl::Mutex mu;
  absl::Status status ABSL_GUARDED_BY(mu);

  absl::Status Status() {
    absl::MutexLock lock(&mu);
    return status;
  }
};

class FakeCanceller final : public CallCanceller {
 public:
  explicit constexpr FakeCanceller(bool holds_ref) : CallCanceller(holds_ref) {}
  void Ref(void* call) const override {
    static_cast<FakeCall*>(call)->refs.fetch_add(1);
  }
  void Unref(void* call) const override {
    static_cast<FakeCall*>(call)->refs.fetch_sub(1);
  }
  void Cancel(void* call, const absl::Status& why) const override {
    auto* c = static_cast<FakeCall*>(call);
    c->refs_at_cancel.store(c->refs.load());
    {
      absl::MutexLock lock(&c->mu);
      c->status = why;
    }
    c->cancels.fetch_add(1);
  }
};

const FakeCanceller kCanceller(/*holds_ref=*/true);

CancelTarget Target(FakeCall* call,
                    absl::Time deadline = absl::InfiniteFuture()) {
  CancelTarget target;
  target.call = call;
  target.ops = &kCanceller;
  target.deadline = session_internal::SteadyFromTime(deadline);
  return target;
}

// Waits up to `limit` for `call` to be cancelled; returns whether it was.
bool WaitCancelled(FakeCall& call, absl::Duration limit = absl::Seconds(5)) {
  const absl::Time end = absl::Now() + limit;
  while (call.cancels.load() == 0 && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  return call.cancels.load() > 0;
}

class FlagPoller final : public CancelPoller {
 public:
  bool PollCancelled() override {
    polls.fetch_add(1);
    return cancelled.load();
  }
  std::atomic<bool> cancelled{false};
  std::atomic<int> polls{0};
};

Session WithDeadline(absl::Duration from_now) {
  return Session(Context().WithDeadline(absl::Now() + from_now));
}

// Tests that a passed request deadline cancels the calls in flight with
// DEADLINE_EXCEEDED, and that references balance.
TEST(CancelWatcherTest, RequestDeadlineCancelsCalls) {
  FakeCall call;
  {
    Session session = WithDeadline(absl::Milliseconds(50));
    ASSERT_TRUE(SessionAccess::AddCancelTarget(session, Target(&call)));
    EXPECT_EQ(call.refs.load(), 1);
    ASSERT_TRUE(WaitCancelled(call));
    EXPECT_EQ(call.Status().code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_TRUE(session.IsCancelled());
    SessionAccess::RemoveCancelTarget(session, &call);
  }
  EXPECT_EQ(call.refs.load(), 0);
  EXPECT_EQ(call.cancels.load(), 1);
}

// Tests that a registration through a canceller that borrows the call (as
// the client interceptor does for a unary call whose status arrives in the
// batch that registers it) takes no reference and releases none, while the
// session's cancellation still holds one as it cancels the call.
TEST(CancelWatcherTest, BorrowedRegistrationTakesNoReference) {
  static const FakeCanceller kBorrowing(/*holds_ref=*/false);
  FakeCall call;
  Session session{Context()};
  CancelTarget target = Target(&call);
  target.ops = &kBorrowing;
  ASSERT_TRUE(SessionAccess::AddCancelTarget(session, target));
  EXPECT_EQ(call.refs.load(), 0);
  EXPECT_EQ(SessionAccess::Cancel(session, absl::CancelledError("gone")), 1u);
  EXPECT_EQ(call.refs_at_cancel.load(), 1);
  EXPECT_EQ(call.refs.load(), 0);
  SessionAccess::RemoveCancelTarget(session, &call);
  EXPECT_EQ(call.refs.load(), 0);
  // A held registration, for contrast.
  FakeCall held;
  Session other{Context()};
  ASSERT_TRUE(SessionAccess::AddCancelTarget(other, Target(&held)));
  EXPECT_EQ(held.refs.load(), 1);
  SessionAccess::RemoveCancelTarget(other, &held);
  EXPECT_EQ(held.refs.load(), 0);
}

// Tests that a poller reporting the request cancelled cancels the calls with
// CANCELLED, and that nothing happens before it does.
TEST(CancelWatcherTest, PollerCancelsCalls) {
  FakeCall call;
  FlagPoller poller;
  Session session{Context()};
  SessionAccess::AttachPoller(session, &poller);
  ASSERT_TRUE(SessionAccess::AddCancelTarget(session, Target(&call)));
  absl::SleepFor(absl::Milliseconds(100));  // several watcher ticks
  EXPECT_EQ(call.cancels.load(), 0);
  poller.cancelled = true;
  ASSERT_TRUE(WaitCancelled(call));
  EXPECT_EQ(call.Status().code(), absl::StatusCode::kCancelled);
  SessionAccess::DetachPoller(session);
  SessionAccess::RemoveCancelTarget(session, &call);
  EXPECT_EQ(call.refs.load(), 0);
}

// Tests that a session is polled only once it has had calls in flight for
// kMinPollAgeMs: requests whose calls are short are never polled (a poll asks
// gRPC and costs far more than the rest of a pass). Without the rule, 100
// requests of 1 ms each span about five ticks.
TEST(CancelWatcherTest, ShortCallsAreNotPolled) {
  FlagPoller poller;
  for (int request = 0; request < 100; ++request) {
    FakeCall call;
    Session session{Context()};
    SessionAccess::AttachPoller(session, &poller);
    ASSERT_TRUE(SessionAccess::AddCancelTarget(session, Target(&call)));
    absl::SleepFor(absl::Milliseconds(1));
    SessionAccess::RemoveCancelTarget(session, &call);
    SessionAccess::DetachPoller(session);
  }
  EXPECT_EQ(poller.polls.load(), 0);
}

// Tests that the age counts from the session's first call: a request making
// short calls one after another for longer than kMinPollAgeMs is polled, and
// its cancellation reaches the call in flight.
TEST(CancelWatcherTest, SuccessiveShortCallsArePolledOnceOld) {
  FlagPoller poller;
  Session session{Context()};
  SessionAccess::AttachPoller(session, &poller);
  const absl::Time end = absl::Now() + absl::Milliseconds(200);
  while (absl::Now() < end) {
    FakeCall call;
    ASSERT_TRUE(SessionAccess::AddCancelTarget(session, Target(&call)));
    absl::SleepFor(absl::Milliseconds(5));
    SessionAccess::RemoveCancelTarget(session, &call);
  }
  EXPECT_GT(poller.polls.load(), 0);
  poller.cancelled = true;
  FakeCall last;
  bool registered = SessionAccess::AddCancelTarget(session, Target(&last));
  if (registered) {
    EXPECT_TRUE(WaitCancelled(last, absl::Seconds(2)));
    SessionAccess::RemoveCancelTarget(session, &last);
  }
  SessionAccess::DetachPoller(session);
  EXPECT_EQ(last.refs.load(), 0);
}

// Tests that a target's own deadline cancels that call only, and the session
// stays uncancelled.
TEST(CancelWatcherTest, TargetDeadlineCancelsThatCallOnly) {
  FakeCall short_call;
  FakeCall long_call;
  Session session{Context()};
  ASSERT_TRUE(SessionAccess::AddCancelTarget(
      session, Target(&short_call, absl::Now() + absl::Milliseconds(30))));
  ASSERT_TRUE(SessionAccess::AddCancelTarget(session, Target(&long_call)));
  ASSERT_TRUE(WaitCancelled(short_call));
  EXPECT_EQ(short_call.Status().code(), absl::StatusCode::kDeadlineExceeded);
  absl::SleepFor(absl::Milliseconds(60));
  EXPECT_EQ(short_call.cancels.load(), 1);  // fires once
  EXPECT_EQ(long_call.cancels.load(), 0);
  EXPECT_FALSE(session.IsCancelled());
  SessionAccess::RemoveCancelTarget(session, &short_call);
  SessionAccess::RemoveCancelTarget(session, &long_call);
  EXPECT_EQ(short_call.refs.load() + long_call.refs.load(), 0);
}

// Tests that a detached handle registers nothing and its calls survive the
// request's cancellation.
TEST(CancelWatcherTest, DetachedHandleIsNeverCancelled) {
  FakeCall call;
  Session session = WithDeadline(absl::Milliseconds(20));
  Session detached = session.Detach();
  EXPECT_TRUE(detached.detached());
  EXPECT_TRUE(detached.SameAs(session));
  ASSERT_TRUE(SessionAccess::AddCancelTarget(detached, Target(&call)));
  EXPECT_EQ(call.refs.load(), 0);
  EXPECT_EQ(SessionAccess::Cancel(session, absl::CancelledError("test")), 0u);
  absl::SleepFor(absl::Milliseconds(60));
  EXPECT_EQ(call.cancels.load(), 0);
  EXPECT_TRUE(session.IsCancelled());
  EXPECT_FALSE(detached.IsCancelled());
}

// Tests that registering under a cancelled session is refused, so the caller
// cancels the call at once with the session's status.
TEST(CancelWatcherTest, RegisteringUnderCancelledSessionIsRefused) {
  FakeCall call;
  Session session{Context()};
  EXPECT_EQ(SessionAccess::Cancel(session, absl::CancelledError("first")), 0u);
  EXPECT_EQ(SessionAccess::Cancel(session, absl::InternalError("second")), 0u);
  EXPECT_FALSE(SessionAccess::AddCancelTarget(session, Target(&call)));
  EXPECT_EQ(call.refs.load(), 0);
  EXPECT_EQ(SessionAccess::CancelStatus(session).message(), "first");
}

// Tests that dropping the last copy of a session while it is listed with the
// watcher releases the call's reference and unlists it (no use after free:
// ASan and TSan run this).
TEST(CancelWatcherTest, SessionDroppedWhileListed) {
  FakeCall call;
  {
    Session session = WithDeadline(absl::Hours(1));
    ASSERT_TRUE(SessionAccess::AddCancelTarget(session, Target(&call)));
  }
  // A watcher tick may hold the last reference for a moment.
  const absl::Time end = absl::Now() + absl::Seconds(2);
  while (call.refs.load() != 0 && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(call.refs.load(), 0);
  absl::SleepFor(absl::Milliseconds(60));  // ticks over the shard lists
  EXPECT_EQ(call.cancels.load(), 0);
}

// Tests many threads registering, unregistering, cancelling and dropping
// sessions while the watcher ticks: every reference balances, and only
// cancelled sessions' calls are cancelled.
// Tests that a session listed after the watcher parked (nothing listed for
// over a second) wakes it: the request's deadline still cancels its call.
// Listings at several moments around the park, so one may race it.
TEST(CancelWatcherTest, ListingWakesParkedWatcher) {
  for (int round = 0; round < 3; ++round) {
    // Nothing of this test is listed now; the watcher parks after 1 s idle.
    absl::SleepFor(absl::Milliseconds(1000 + 250 * round));
    FakeCall call;
    Session session = WithDeadline(absl::Milliseconds(10));
    ASSERT_TRUE(SessionAccess::AddCancelTarget(session, Target(&call)));
    EXPECT_TRUE(WaitCancelled(call)) << "round " << round;
    EXPECT_EQ(call.Status().code(), absl::StatusCode::kDeadlineExceeded);
    SessionAccess::RemoveCancelTarget(session, &call);
  }
}

TEST(CancelWatcherTest, ConcurrentSessionsStayApart) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 300;
  std::atomic<int> wrong{0};
  // Calls outlive the threads: a session dropped while still holding a call
  // may be released last by a watcher tick.
  std::vector<std::vector<std::unique_ptr<FakeCall>>> calls(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &wrong, &calls] {
      for (int i = 0; i < kRounds; ++i) {
        calls[t].push_back(std::make_unique<FakeCall>());
        FakeCall& mine = *calls[t].back();
        FlagPoller poller;
        Session session =
            (i % 2 == 0) ? WithDeadline(absl::Hours(1)) : Session(Context());
        SessionAccess::AttachPoller(session, &poller);
        SessionAccess::AddCancelTarget(session, Target(&mine));
        const bool cancel = (i + t) % 3 == 0;
        if (cancel) {
          SessionAccess::Cancel(session, absl::CancelledError("cancelled"));
        }
        if (i % 5 == 0) absl::SleepFor(absl::Milliseconds(1));
        SessionAccess::DetachPoller(session);
        if (i % 7 != 0) SessionAccess::RemoveCancelTarget(session, &mine);
        session = Session();  // the last copy, unless a tick holds one
        if ((mine.cancels.load() > 0) != cancel) wrong.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  absl::SleepFor(absl::Milliseconds(100));  // the last tick lets go
  for (const auto& per_thread : calls) {
    for (const auto& call : per_thread) EXPECT_EQ(call->refs.load(), 0);
  }
}

}  // namespace
}  // namespace gls
