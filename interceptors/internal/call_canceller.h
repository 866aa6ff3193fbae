// gls/interceptors/internal/call_canceller.h
//
// Internal to gls; not for use outside the library.
//
// How a session's cancellation reaches a gRPC outbound call: the client
// interceptor registers the call's grpc_call with the session it was made
// under (session/internal/cancellation.h); cancelling cancels it with gRPC's
// core API, with the status the cancellation carries (CANCELLED when the
// request was cancelled, DEADLINE_EXCEEDED when a deadline passed). The call's
// owner sees that status; the server it called sees the call cancelled.
//
// Example:
//
//   CancelTarget target{c_call, &GrpcCallCanceller(/*borrowed=*/false),
//                       deadline};
//
// Thread-safety: thread-safe (stateless).

#ifndef GLS_INTERCEPTORS_INTERNAL_CALL_CANCELLER_H_
#define GLS_INTERCEPTORS_INTERNAL_CALL_CANCELLER_H_

#include "gls/session/internal/cancellation.h"

namespace gls {
namespace interceptors_internal {

// The canceller of grpc_call handles. `borrowed`: a registration takes no
// reference to the call (CallCanceller::registration_holds_ref() is false):
// only for a call whose status arrives in the batch that registers it, whose
// target the client interceptor removes when that status arrives.
const session_internal::CallCanceller& GrpcCallCanceller(bool borrowed);

}  // namespace interceptors_internal
}  // namespace gls

#endif  // GLS_INTERCEPTORS_INTERNAL_CALL_CANCELLER_H_
