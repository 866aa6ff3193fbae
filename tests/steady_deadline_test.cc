// Tests of session/internal/steady_time.h and
// interceptors/internal/grpc_deadline.h: a request's deadline kept on the
// steady clock agrees with gRPC's own wall-clock view of it, for every clock
// gRPC may hold it on, and for sync and callback services end to end.
#include <grpc/support/time.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gls/interceptors/internal/grpc_deadline.h"
#include "gls/interceptors/internal/metadata.h"
#include "gls/session/internal/session_access.h"
#include "gls/session/internal/steady_time.h"
#include "gls/session/session_manager.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using interceptors_internal::SteadyFromGrpc;
using session_internal::kNoDeadline;
using session_internal::SteadyFromTime;
using session_internal::SteadyNow;
using session_internal::SteadyTime;
using session_internal::TimeFromSteady;

// Generous against a loaded machine; a wrong clock or offset is off by
// seconds or more (gRPC's monotonic clock does not start at the steady
// clock's epoch).
constexpr auto kSlack = std::chrono::milliseconds(50);

void ExpectNear(SteadyTime got, SteadyTime want) {
  EXPECT_LE(got, want + kSlack);
  EXPECT_GE(got, want - kSlack);
}

gpr_timespec FromNow(gpr_clock_type clock, int seconds) {
  return gpr_time_add(gpr_now(clock),
                      gpr_time_from_seconds(seconds, GPR_TIMESPAN));
}

// Tests that a deadline on each of gRPC's clocks lands where it is.
TEST(SteadyFromGrpcTest, EveryClock) {
  const SteadyTime want = SteadyNow() + std::chrono::seconds(3);
  ExpectNear(SteadyFromGrpc(FromNow(GPR_CLOCK_MONOTONIC, 3)), want);
  ExpectNear(SteadyFromGrpc(FromNow(GPR_CLOCK_REALTIME, 3)), want);
  ExpectNear(SteadyFromGrpc(FromNow(GPR_CLOCK_PRECISE, 3)), want);
  ExpectNear(SteadyFromGrpc(gpr_time_from_seconds(3, GPR_TIMESPAN)), want);
  // Passed deadlines stay in the past.
  EXPECT_LT(SteadyFromGrpc(FromNow(GPR_CLOCK_MONOTONIC, -3)), SteadyNow());
}

// Tests that gRPC's infinities and times beyond the steady clock's range
// are no deadline (or the infinite past), never a wrapped value.
TEST(SteadyFromGrpcTest, InfiniteAndOutOfRange) {
  EXPECT_EQ(SteadyFromGrpc(gpr_inf_future(GPR_CLOCK_MONOTONIC)), kNoDeadline);
  EXPECT_EQ(SteadyFromGrpc(gpr_inf_future(GPR_CLOCK_REALTIME)), kNoDeadline);
  EXPECT_EQ(SteadyFromGrpc(gpr_inf_future(GPR_TIMESPAN)), kNoDeadline);
  EXPECT_EQ(SteadyFromGrpc(gpr_inf_past(GPR_CLOCK_MONOTONIC)),
            SteadyTime::min());
  gpr_timespec far = gpr_now(GPR_CLOCK_MONOTONIC);
  far.tv_sec = std::numeric_limits<int64_t>::max() / 2;
  EXPECT_EQ(SteadyFromGrpc(far), kNoDeadline);
  far.tv_sec = std::numeric_limits<int64_t>::min() / 2;
  EXPECT_EQ(SteadyFromGrpc(far), SteadyTime::min());
  far = gpr_now(GPR_CLOCK_REALTIME);
  far.tv_sec = std::numeric_limits<int64_t>::max() / 2;
  EXPECT_EQ(SteadyFromGrpc(far), kNoDeadline);
}

// Tests that the steady form and back gives the wall-clock time gRPC's own
// conversion gives.
TEST(SteadyTimeTest, AgreesWithGrpcWallClock) {
  const gpr_timespec raw = FromNow(GPR_CLOCK_MONOTONIC, 7);
  const absl::Time grpc_wall = absl::FromChrono(grpc::Timespec2Timepoint(raw));
  const absl::Time ours = TimeFromSteady(SteadyFromGrpc(raw));
  EXPECT_LT(absl::AbsDuration(ours - grpc_wall), absl::Milliseconds(50));
}

// Tests the wall-clock round trip and its infinities.
TEST(SteadyTimeTest, RoundTrip) {
  const absl::Time t = absl::Now() + absl::Seconds(42);
  EXPECT_LT(absl::AbsDuration(TimeFromSteady(SteadyFromTime(t)) - t),
            absl::Milliseconds(50));
  EXPECT_EQ(SteadyFromTime(absl::InfiniteFuture()), kNoDeadline);
  EXPECT_EQ(TimeFromSteady(kNoDeadline), absl::InfiniteFuture());
  EXPECT_EQ(SteadyFromTime(absl::InfinitePast()), SteadyTime::min());
  EXPECT_EQ(TimeFromSteady(SteadyTime::min()), absl::InfinitePast());
  // Beyond the steady clock's range: no deadline, not a wrapped one.
  EXPECT_EQ(SteadyFromTime(absl::Now() + absl::Hours(24 * 365 * 200)),
            kNoDeadline);
  EXPECT_EQ(SteadyFromTime(absl::Now() - absl::Hours(24 * 365 * 200)),
            SteadyTime::min());
}

// The session's deadline as the handler sees it, beside gRPC's.
struct SeenDeadlines {
  absl::Time session = absl::InfinitePast();
  absl::Time grpc = absl::InfinitePast();
};

void Record(const grpc::ServerContextBase& context, SeenDeadlines* seen) {
  seen->session = session_internal::SessionAccess::Deadline(CurSession());
  seen->grpc = interceptors_internal::FromGrpcDeadline(context.deadline());
}

class SyncDeadlineGreeter final : public examples::Greeter::Service {
 public:
  grpc::Status SayHello(grpc::ServerContext* context,
                        const examples::HelloRequest*,
                        examples::HelloReply*) override {
    Record(*context, &seen);
    return grpc::Status::OK;
  }
  SeenDeadlines seen;
};

class CallbackDeadlineGreeter final
    : public examples::Greeter::CallbackService {
 public:
  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* context,
                                     const examples::HelloRequest*,
                                     examples::HelloReply*) override {
    Record(*context, &seen);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  SeenDeadlines seen;
};

void CallWithDeadline(testing::TestServer& server, absl::Duration timeout) {
  auto stub = examples::Greeter::NewStub(server.Channel());
  grpc::ClientContext context;
  if (timeout != absl::InfiniteDuration()) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }
  examples::HelloRequest request;
  examples::HelloReply reply;
  ASSERT_TRUE(stub->SayHello(&context, request, &reply).ok());
}

// Tests that a sync and a callback service's session holds the request's
// deadline as gRPC gives it, and no deadline for a request without one.
TEST(SteadyDeadlineEndToEndTest, SessionDeadlineIsTheRequests) {
  SyncDeadlineGreeter sync;
  CallbackDeadlineGreeter callback;
  testing::TestServer sync_server({&sync}, /*backup=*/true);
  testing::TestServer callback_server({&callback}, /*backup=*/true);
  for (absl::Duration timeout : {absl::Seconds(30), absl::InfiniteDuration()}) {
    CallWithDeadline(sync_server, timeout);
    CallWithDeadline(callback_server, timeout);
    for (const SeenDeadlines& seen : {sync.seen, callback.seen}) {
      if (timeout == absl::InfiniteDuration()) {
        EXPECT_EQ(seen.grpc, absl::InfiniteFuture());
        EXPECT_EQ(seen.session, absl::InfiniteFuture());
      } else {
        // gRPC rounds the timeout it sends up (grpc-timeout's units).
        EXPECT_LT(seen.grpc, absl::Now() + timeout + absl::Seconds(1));
        EXPECT_GT(seen.grpc, absl::Now() + timeout - absl::Seconds(5));
        EXPECT_LT(absl::AbsDuration(seen.session - seen.grpc),
                  absl::Milliseconds(50));
      }
    }
  }
}

}  // namespace
}  // namespace gls
