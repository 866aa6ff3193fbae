// gls/interceptors/internal/grpc_deadline.h
//
// Internal to gls; not for use outside the library.
//
// A request's deadline as gRPC holds it (ServerContextBase::raw_deadline(),
// a gpr_timespec, on gRPC's monotonic clock for requests) as a steady time
// for the session (session/internal/steady_time.h). gRPC's own conversion,
// ServerContextBase::deadline(), turns it into wall-clock time by reading
// both clocks on every call; both gRPC's monotonic clock and the steady
// clock are CLOCK_MONOTONIC, apart by a constant offset, which is measured
// once per process, so a monotonic deadline converts with an addition.
//
// Example:
//
//   SteadyTime deadline = SteadyFromGrpc(server_context->raw_deadline());
//
// Thread-safety: thread-safe (the offset is measured once, under the
// function-local static's guard).

#ifndef GLS_INTERCEPTORS_INTERNAL_GRPC_DEADLINE_H_
#define GLS_INTERCEPTORS_INTERNAL_GRPC_DEADLINE_H_

#include <grpc/support/time.h>

#include "gls/session/internal/steady_time.h"

namespace gls {
namespace interceptors_internal {

// gRPC's infinite future gives kNoDeadline and its infinite past
// SteadyTime::min(); monotonic times convert by the measured offset,
// wall-clock and precise ones through the wall clock, spans from now.
session_internal::SteadyTime SteadyFromGrpc(gpr_timespec deadline);

}  // namespace interceptors_internal
}  // namespace gls

#endif  // GLS_INTERCEPTORS_INTERNAL_GRPC_DEADLINE_H_
