#include "gls/interceptors/internal/grpc_deadline.h"

#include <chrono>
#include <cstdint>
#include <limits>

#include "absl/time/time.h"

namespace gls {
namespace interceptors_internal {
namespace {

using session_internal::SteadyTime;

// Nanoseconds from gRPC's monotonic clock to the steady clock's. Both read
// CLOCK_MONOTONIC; gRPC shifts its readings by a constant. Each sample reads
// the steady clock around one gRPC reading; the tightest pair's midpoint is
// taken (off by less than half its width, tens of nanoseconds).
int64_t MeasureOffsetNs() {
  int64_t best_width = std::numeric_limits<int64_t>::max();
  int64_t offset = 0;
  for (int i = 0; i < 16; ++i) {
    const int64_t before =
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now().time_since_epoch())
            .count();
    const gpr_timespec grpc_now = gpr_now(GPR_CLOCK_MONOTONIC);
    const int64_t after =
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now().time_since_epoch())
            .count();
    if (after - before < best_width) {
      best_width = after - before;
      const int64_t grpc_ns = grpc_now.tv_sec * 1000000000 + grpc_now.tv_nsec;
      offset = before + (after - before) / 2 - grpc_ns;
    }
  }
  return offset;
}

int64_t OffsetNs() {
  static const int64_t offset = MeasureOffsetNs();
  return offset;
}

// Within about 100 years of the clock's epoch either way: the nanoseconds
// and the offset added to them fit an int64 (about 292 years).
constexpr int64_t kMaxSeconds = int64_t{100} * 365 * 24 * 3600;

}  // namespace

SteadyTime SteadyFromGrpc(gpr_timespec deadline) {
  if (deadline.tv_sec == std::numeric_limits<int64_t>::max()) {
    return session_internal::kNoDeadline;
  }
  if (deadline.tv_sec == std::numeric_limits<int64_t>::min()) {
    return SteadyTime::min();
  }
  switch (deadline.clock_type) {
    case GPR_CLOCK_MONOTONIC:
      break;
    case GPR_CLOCK_REALTIME:
      return session_internal::SteadyFromTime(
          absl::FromUnixSeconds(deadline.tv_sec) +
          absl::Nanoseconds(deadline.tv_nsec));
    default:  // precise (wall clock) and spans (from now)
      deadline = gpr_convert_clock_type(deadline, GPR_CLOCK_MONOTONIC);
      if (deadline.tv_sec == std::numeric_limits<int64_t>::max()) {
        return session_internal::kNoDeadline;
      }
      break;
  }
  if (deadline.tv_sec > kMaxSeconds) return session_internal::kNoDeadline;
  if (deadline.tv_sec < -kMaxSeconds) return SteadyTime::min();
  const int64_t ns =
      deadline.tv_sec * 1000000000 + deadline.tv_nsec + OffsetNs();
  return SteadyTime(std::chrono::duration_cast<SteadyTime::duration>(
      std::chrono::nanoseconds(ns)));
}

}  // namespace interceptors_internal
}  // namespace gls
