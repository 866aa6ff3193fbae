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
//     its source, without building its context;
//   - cancellation: outbound calls register with the session they are made
//     under; the server interceptor cancels a request's session, or attaches
//     a poller the cancel watcher asks (internal/cancellation.h);
//   - backward values: the interceptors send and collect them.
//
// Example:
//
//   Session s = SessionAccess::NewLazy(&source, deadline, has_persistent,
//                                      has_w3c);
//   ...  // bind it, run the handler
//   SessionAccess::Seal(s);  // before the metadata goes away
//
// Thread-safety: thread-safe.

#ifndef GLS_SESSION_INTERNAL_SESSION_ACCESS_H_
#define GLS_SESSION_INTERNAL_SESSION_ACCESS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gls/session/internal/cancellation.h"
#include "gls/session/internal/context_source.h"
#include "gls/session/internal/steady_time.h"
#include "gls/session/session.h"

namespace gls {
namespace session_internal {

struct SessionAccess {
  // Thread `tid` (an OS thread id) inherited `session` and is running.
  static void AddInheritor(const Session& session, int64_t tid);
  // Thread `tid` is about to exit.
  static void RemoveInheritor(const Session& session, int64_t tid);

  // A new, valid session whose context is built from `source` on first read.
  // `deadline` is the request's on the steady clock (kNoDeadline: none),
  // readable without building (Deadline()); `has_persistent` says whether
  // the context will hold a persistent value (HasPersistent()), `has_w3c`
  // whether it may hold W3C context (HasW3c()). Session states are recycled
  // per thread: in steady state this allocates nothing.
  static Session NewLazy(const ContextSource* source, SteadyTime deadline,
                         bool has_persistent, bool has_w3c);
  // True if `session`'s context holds a persistent value, without building
  // it: calls made under it may have something to restore.
  static bool HasPersistent(const Session& session);
  // True if `session`'s context may hold a W3C trace context or baggage
  // (the request carried traceparent or baggage, or the server bridges
  // baggage keys), without building it. Calls made under it then take the
  // full path (the request's context is built).
  static bool HasW3c(const Session& session);
  // Detaches `session` from its source: if any copy of it other than the
  // caller's exists (carried work, outbound calls in flight, stored copies),
  // its context is built first, so they keep reading it after the request.
  // Idempotent; a no-op for sessions that were not lazy.
  static void Seal(const Session& session);
  // The request's deadline (infinite for the empty session), without building
  // the context: converted from the steady clock, so it reads the clocks.
  static absl::Time Deadline(const Session& session);
  // If `session`'s context has not been built and its source is attached,
  // calls `fn(source)` under the session's lock and returns true; else
  // returns false (read `session.context()` instead).
  static bool WithSource(const Session& session,
                         absl::FunctionRef<void(const ContextSource&)> fn);

  // Cancellation (internal/cancellation.h). A detached handle or the empty
  // session has none: AddCancelTarget returns true without registering, and
  // the rest are no-ops.
  //
  // True if calls made under `session` need registering: it is neither
  // empty nor detached.
  static bool Cancellable(const Session& session);
  // Registers `target` (taking a reference to its call if
  // `target.ops->registration_holds_ref()`) and returns true; if the session
  // is cancelled already, registers nothing and returns false (the caller
  // cancels the call with CancelStatus()). Lists the session with the cancel
  // watcher (internal/cancel_watcher.h) while it has a poller or a deadline
  // (its own or the target's) and calls registered.
  static bool AddCancelTarget(const Session& session, CancelTarget target);
  // Unregisters the target of `call` (releasing the reference it holds, if
  // any); no-op if it is not registered. After it returns, the session's
  // cancellation no longer touches `call` through this registration.
  static void RemoveCancelTarget(const Session& session, void* call);
  // For tests: whether each registered target holds a reference to its call
  // (CallCanceller::registration_holds_ref), in registration order.
  static std::vector<bool> TargetsHoldRefForTest(const Session& session);
  // Cancels the session with `why` (the first cancellation wins) and every
  // target registered. Returns how many calls were cancelled.
  static size_t Cancel(const Session& session, const absl::Status& why);
  // OK, or the status the session was cancelled with.
  static absl::Status CancelStatus(const Session& session);
  // Attaches `poller` (the cancel watcher polls the session through it while
  // calls are registered) / detaches it, waiting for a poll running on
  // another thread to return. Detaching from inside PollCancelled (the same
  // thread) does not wait.
  static void AttachPoller(const Session& session, CancelPoller* poller);
  static void DetachPoller(const Session& session);

  // For the request registry (interceptors/internal/request_registry.h): a
  // reference that does not keep the session's copies counted (Seal ignores
  // it).
  static std::weak_ptr<SessionState> Weak(const Session& session);
  static Session Lock(const std::weak_ptr<SessionState>& weak);
  // For the cancel watcher: the session of a listed state, or the empty one
  // if its last copy is gone.
  static Session LockState(SessionState* state);
  // One watcher pass over `session` at `now`: polls it if `poll` and a
  // poller is attached, cancels it if its deadline passed, cancels targets
  // whose own deadline passed, and unlists it once nothing is left to watch
  // for. Returns how many calls were cancelled.
  static size_t WatchPass(const Session& session, SteadyTime now, bool poll);

  // Backward values. Whether `session` holds any (set or received): one
  // load, for the per-request paths to skip the rest.
  static bool HasBackward(const Session& session);
  // The ones a handler set, to send in its response, as (canonical key,
  // value) pairs.
  static std::vector<std::pair<std::string, std::string>> BackwardToSend(
      const Session& session);
  // Records a backward value an outbound call received (key canonical) if
  // the session's received backward values, with it, cost at most
  // `max_bytes` (internal/backward_values.h); returns false if not, or if
  // `session` is empty.
  static bool AddReceivedBackward(const Session& session, std::string key,
                                  std::string value, size_t max_bytes);
  // The received ones, as pairs (for forwarding them up the chain).
  static std::vector<std::pair<std::string, std::string>> BackwardReceived(
      const Session& session);
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_SESSION_ACCESS_H_
