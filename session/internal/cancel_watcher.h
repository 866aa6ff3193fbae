// gls/session/internal/cancel_watcher.h
//
// Internal to gls; not for use outside the library.
//
// The cancel watcher: one thread per process, started on first use, that
// looks at sessions with outbound calls in flight when they need it: at the
// request's deadline, at a call's own deadline (from the context a
// BackupHandler returned), and every few milliseconds while the session has a
// poller (sync services, whose cancellation gRPC does not push). It never
// keeps a session alive (weak references) and is idle when nothing is
// registered. Its thread inherits no session.
//
// Example:
//
//   // After registering a call whose session has a deadline:
//   WatchSession(session, session_deadline);
//
// Thread-safety: thread-safe.

#ifndef GLS_SESSION_INTERNAL_CANCEL_WATCHER_H_
#define GLS_SESSION_INTERNAL_CANCEL_WATCHER_H_

#include "absl/time/time.h"
#include "gls/session/session.h"

namespace gls {
namespace session_internal {

// Makes the watcher look at `session` by `by` (and from then on as the
// session's SessionAccess::WatchPass asks).
void WatchSession(const Session& session, absl::Time by);

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_CANCEL_WATCHER_H_
