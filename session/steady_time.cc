#include "gls/session/internal/steady_time.h"

#include "absl/time/clock.h"

namespace gls {
namespace session_internal {
namespace {

// Beyond this distance from now, a time is taken as infinite (the steady
// clock's int64 nanoseconds hold about 292 years).
constexpr absl::Duration kHorizon = absl::Hours(24 * 365 * 100);

}  // namespace

SteadyTime SteadyFromTime(absl::Time t) {
  if (t == absl::InfiniteFuture()) return kNoDeadline;
  if (t == absl::InfinitePast()) return SteadyTime::min();
  const SteadyTime steady_now = SteadyNow();
  const absl::Duration from_now = t - absl::Now();
  if (from_now >= kHorizon) return kNoDeadline;
  if (from_now <= -kHorizon) return SteadyTime::min();
  const auto d = std::chrono::duration_cast<SteadyTime::duration>(
      absl::ToChronoNanoseconds(from_now));
  // Within the clock's range: steady_now is far from both ends of it.
  return steady_now + d;
}

absl::Time TimeFromSteady(SteadyTime t) {
  if (t == kNoDeadline) return absl::InfiniteFuture();
  if (t == SteadyTime::min()) return absl::InfinitePast();
  const absl::Time now = absl::Now();
  return now + absl::FromChrono(t - SteadyNow());
}

}  // namespace session_internal
}  // namespace gls
