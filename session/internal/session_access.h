// gls/session/internal/session_access.h
//
// Internal to gls; not for use outside the library.
//
// What gls's own layers need of a Session beyond its public API:
//   - the implicit inheritance of sessions (internal/thread_inherit.cc)
//     records which threads inherited a session, so that ending it can warn
//     about those that outlive it;
//   - the server interceptor creates sessions whose context is captured
//     lazily from the request (internal/context_source.h) and seals them
//     before gRPC frees the request's metadata;
//   - the client interceptor reads a lazily captured request straight from
//     its source, without building its context.
//
// Example:
//
//   Session s = SessionAccess::NewLazy(&source, deadline);
//   ...  // bind it, run the handler
//   SessionAccess::Seal(s);  // before the metadata goes away
//
// Thread-safety: thread-safe.

#ifndef GLS_SESSION_INTERNAL_SESSION_ACCESS_H_
#define GLS_SESSION_INTERNAL_SESSION_ACCESS_H_

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "gls/session/internal/context_source.h"
#include "gls/session/session.h"

namespace gls {
namespace session_internal {

struct SessionAccess {
  // Thread `tid` (an OS thread id) inherited `session` and is running.
  static void AddInheritor(const Session& session, int64_t tid);
  // Thread `tid` is about to exit.
  static void RemoveInheritor(const Session& session, int64_t tid);

  // A new, valid session whose context is built from `source` on first read.
  // `deadline` is the request's, readable without building (Deadline()).
  // Session states are recycled per thread: in steady state this allocates
  // nothing.
  static Session NewLazy(const ContextSource* source, absl::Time deadline);
  // Detaches `session` from its source: if any copy of it other than the
  // caller's exists (carried work, outbound calls in flight, stored copies),
  // its context is built first, so they keep reading it after the request.
  // Idempotent; a no-op for sessions that were not lazy.
  static void Seal(const Session& session);
  // The request's deadline (infinite for the empty session), without building
  // the context.
  static absl::Time Deadline(const Session& session);
  // If `session`'s context has not been built and its source is attached,
  // calls `fn(source)` under the session's lock and returns true; else
  // returns false (read `session.context()` instead).
  static bool WithSource(const Session& session,
                         absl::FunctionRef<void(const ContextSource&)> fn);
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_SESSION_ACCESS_H_
