// gls/session/internal/cancellation.h
//
// Internal to gls; not for use outside the library.
//
// The pieces of a session's cancellation that the layers above plug in:
//   - CallCanceller: how to hold and cancel one outbound call. The client
//     interceptor registers each call it sees under a session as a
//     CancelTarget (SessionAccess::AddCancelTarget); cancelling the session
//     cancels every target still registered.
//   - CancelPoller: how to ask the server whether a request was cancelled,
//     for services where gRPC does not say so by itself (sync services: a
//     request's cancellation is only seen when polled). The cancel watcher
//     (internal/cancel_watcher.h) polls sessions that have calls in flight.
//
// Example:
//
//   class GrpcCallCanceller final : public CallCanceller { ... };
//   CancelTarget target{call, &kCanceller, deadline_from_handler};
//   if (!SessionAccess::AddCancelTarget(session, target)) {
//     kCanceller.Cancel(call, SessionAccess::CancelStatus(session));
//   }
//   ...
//   SessionAccess::RemoveCancelTarget(session, call);
//
// Thread-safety: implementations must be thread-safe; see each method.

#ifndef GLS_SESSION_INTERNAL_CANCELLATION_H_
#define GLS_SESSION_INTERNAL_CANCELLATION_H_

#include "absl/status/status.h"
#include "gls/session/internal/steady_time.h"

namespace gls {
namespace session_internal {

// Operations on an opaque call handle. Stateless: one instance serves every
// call of its kind.
class CallCanceller {
 public:
  // Whether a registration (SessionAccess::AddCancelTarget) holds a
  // reference to its call: Ref at AddCancelTarget, Unref at
  // RemoveCancelTarget. False only for calls whose owner guarantees that the
  // call stays valid until it removes the target itself: the client
  // interceptor, for a call whose status arrives in the batch that
  // registered it, removes it when that status arrives, and gRPC keeps the
  // call until then. Either way the session takes its own reference while
  // it cancels the call.
  bool registration_holds_ref() const { return registration_holds_ref_; }

  // Takes / releases a reference that keeps `call` valid.
  virtual void Ref(void* call) const = 0;
  virtual void Unref(void* call) const = 0;
  // Cancels `call` with `why` (its code and message are what the call's
  // owner sees). Called between Ref and Unref, with no gls lock held, from any
  // thread.
  virtual void Cancel(void* call, const absl::Status& why) const = 0;

 protected:
  explicit constexpr CallCanceller(bool registration_holds_ref)
      : registration_holds_ref_(registration_holds_ref) {}
  ~CallCanceller() = default;

 private:
  const bool registration_holds_ref_;
};

// One outbound call registered with a session.
struct CancelTarget {
  void* call = nullptr;
  const CallCanceller* ops = nullptr;
  // The call's own bound beyond the request's deadline (the deadline of the
  // context a BackupHandler returned); kNoDeadline for none.
  SteadyTime deadline = kNoDeadline;
};

// Asks whether the request behind a session was cancelled.
class CancelPoller {
 public:
  // Called by the cancel watcher's thread while the poller is attached
  // (SessionAccess::AttachPoller .. DetachPoller). May run gRPC's hooks for
  // the request on the calling thread.
  virtual bool PollCancelled() = 0;

 protected:
  ~CancelPoller() = default;
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_CANCELLATION_H_
