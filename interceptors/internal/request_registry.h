// gls/interceptors/internal/request_registry.h
//
// Internal to gls; not for use outside the library.
//
// Completion-queue services bind their requests with server::RequestScope,
// on threads of their own, apart from the server interceptor. The registry
// links the two: each RequestScope registers its session under the request's
// ServerContext; when the interceptor sees that request cancelled, it cancels
// those sessions too (and so their outbound calls), and it forgets them when
// the call ends. Sessions are held weakly. Sync and callback services never
// register anything: for them the registry is one relaxed load per request.
//
// Example:
//
//   RegisterRequestSession(&server_context, scope.session());   // RequestScope
//   CancelRequestSessions(&server_context, absl::CancelledError("..."));
//   ForgetRequestSessions(&server_context);   // the interceptor's destructor
//
// Thread-safety: thread-safe.

#ifndef GLS_INTERCEPTORS_INTERNAL_REQUEST_REGISTRY_H_
#define GLS_INTERCEPTORS_INTERNAL_REQUEST_REGISTRY_H_

#include <cstddef>

#include "absl/status/status.h"
#include "gls/session/session.h"

namespace gls {
namespace interceptors_internal {

void RegisterRequestSession(const void* server_context, const Session& session);
// Cancels every live session registered under `server_context`; returns how
// many outbound calls that cancelled.
size_t CancelRequestSessions(const void* server_context,
                             const absl::Status& why);
void ForgetRequestSessions(const void* server_context);

}  // namespace interceptors_internal
}  // namespace gls

#endif  // GLS_INTERCEPTORS_INTERNAL_REQUEST_REGISTRY_H_
