// gls/session/internal/cancel_targets.h
//
// Internal to gls; not for use outside the library.
//
// `CancelTargets`: one session's cancellation (docs/cancellation.md). It holds
// the outbound calls registered under the session (CancelTarget,
// internal/cancellation.h), the status the session was cancelled with, and
// the poller that asks the server whether a sync request was cancelled.
// Cancelling cancels every registered call once. While calls are registered
// and something needs watching (a poller, the request's deadline, a
// handler's deadline), the session is listed with the cancel watcher
// (internal/cancel_watcher.h), whose passes call WatchPass.
//
// Example:
//
//   CancelTargets targets(owner, request_deadline);
//   if (!targets.Add(target)) cancel the call with targets.status();
//   ...
//   targets.Cancel(absl::CancelledError("..."));  // every registered call
//   targets.Remove(call);                         // its status arrived
//
// Thread-safety: thread-safe (a spin lock per session; calls are cancelled
// outside it, since cancelling may run user code that registers more calls).

#ifndef GLS_SESSION_INTERNAL_CANCEL_TARGETS_H_
#define GLS_SESSION_INTERNAL_CANCEL_TARGETS_H_

#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "gls/session/internal/cancel_watcher.h"
#include "gls/session/internal/cancellation.h"
#include "gls/session/internal/spin_lock.h"
#include "gls/session/internal/steady_time.h"

namespace gls {
namespace session_internal {

class CancelTargets {
 public:
  // `owner` is the session state the cancel watcher finds through this
  // object's watch node; `deadline` is the request's (kNoDeadline: none).
  CancelTargets(SessionState* owner, SteadyTime deadline)
      : deadline_(deadline), watch_node_(owner) {}
  CancelTargets(const CancelTargets&) = delete;
  CancelTargets& operator=(const CancelTargets&) = delete;
  // Releases the references targets left registered still hold, and unlists
  // the session.
  ~CancelTargets();

  // The request's deadline.
  SteadyTime deadline() const { return deadline_; }
  // Whether the session was cancelled (one acquire load).
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // OK, or the status the session was cancelled with.
  absl::Status status() const ABSL_LOCKS_EXCLUDED(lock_);

  // Returns false if cancelled already; else registers `target` (taking a
  // reference to its call if its canceller says so), and lists the session
  // with the cancel watcher if it needs watching.
  bool Add(const CancelTarget& target) ABSL_LOCKS_EXCLUDED(lock_);
  // Unregisters the target of `call`, releasing its reference; no-op if it
  // is not registered.
  void Remove(void* call) ABSL_LOCKS_EXCLUDED(lock_);
  // For tests: whether each registered target holds a reference to its call.
  std::vector<bool> HoldRef() const ABSL_LOCKS_EXCLUDED(lock_);

  // Cancels the session with `why` (the first cancellation wins; a
  // cancellation within kDeadlineSlack of the deadline counts as the
  // deadline) and every registered call. Returns how many were cancelled.
  size_t Cancel(absl::Status why) ABSL_LOCKS_EXCLUDED(lock_);

  // Attaches the poller the cancel watcher asks / detaches it, waiting for a
  // poll running on another thread to return.
  void AttachPoller(CancelPoller* poller) ABSL_LOCKS_EXCLUDED(lock_);
  void DetachPoller() ABSL_LOCKS_EXCLUDED(lock_);

  // One cancel-watcher pass at `now`: polls if `poll` and a poller is
  // attached, cancels the session if its deadline passed, cancels targets
  // whose own deadline passed, and unlists the session once nothing is left
  // to watch for. Returns how many calls were cancelled.
  size_t WatchPass(SteadyTime now, bool poll) ABSL_LOCKS_EXCLUDED(lock_);

 private:
  const SteadyTime deadline_;
  mutable SpinLock lock_;  // packed with cancelled_
  std::atomic<bool> cancelled_{false};
  absl::Status status_ ABSL_GUARDED_BY(lock_);
  // Most requests register a call or two: no allocation.
  absl::InlinedVector<CancelTarget, 2> targets_ ABSL_GUARDED_BY(lock_);
  CancelPoller* poller_ ABSL_GUARDED_BY(lock_) = nullptr;
  // The thread inside poller_->PollCancelled(), if any.
  std::thread::id polling_thread_ ABSL_GUARDED_BY(lock_);
  // The cancel watcher's link; listed and unlisted under lock_.
  WatchNode watch_node_;
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_CANCEL_TARGETS_H_
