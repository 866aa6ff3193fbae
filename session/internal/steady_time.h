// gls/session/internal/steady_time.h
//
// Internal to gls; not for use outside the library.
//
// Deadlines on the steady clock (std::chrono::steady_clock, which is
// CLOCK_MONOTONIC on Linux). A session keeps its request's deadline, and a
// registered call its own, as a steady time: gRPC holds a request's deadline
// on its monotonic clock, and turning that into wall-clock time (absl::Time)
// reads two clocks, which cost more than the rest of binding a request
// together. The wall-clock form is made only where something asks for it
// (SessionAccess::Deadline), which reads the clocks then.
//
// Example:
//
//   SteadyTime deadline = SteadyFromTime(context.deadline());
//   if (deadline != kNoDeadline && deadline <= SteadyNow()) { ... passed }
//   absl::Time wall = TimeFromSteady(deadline);  // InfiniteFuture for none
//
// Thread-safety: the functions are thread-safe (they read the clocks).

#ifndef GLS_SESSION_INTERNAL_STEADY_TIME_H_
#define GLS_SESSION_INTERNAL_STEADY_TIME_H_

#include <chrono>

#include "absl/time/time.h"

namespace gls {
namespace session_internal {

using SteadyTime = std::chrono::steady_clock::time_point;

// No deadline (absl::InfiniteFuture() as an absl::Time).
inline constexpr SteadyTime kNoDeadline = SteadyTime::max();

inline SteadyTime SteadyNow() { return std::chrono::steady_clock::now(); }

// The steady time of wall-clock time `t`, as far from now as `t` is:
// InfiniteFuture and times beyond what the steady clock holds (about 292
// years from its epoch) give kNoDeadline; InfinitePast and times before its
// range, SteadyTime::min().
SteadyTime SteadyFromTime(absl::Time t);

// The wall-clock time of `t`, as far from now as `t` is; kNoDeadline gives
// InfiniteFuture, SteadyTime::min() InfinitePast.
absl::Time TimeFromSteady(SteadyTime t);

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_STEADY_TIME_H_
