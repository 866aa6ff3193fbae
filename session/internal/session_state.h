// gls/session/internal/session_state.h
//
// Internal to gls; not for use outside the library.
//
// `SessionState`: what a `gls::Session` handle shares with its copies. It
// composes one part per job, each in its own file:
//   - the context, built or captured lazily (internal/lazy_context.h);
//   - request-local values (internal/value_table.h), made on first Set;
//   - backward values (internal/backward_values.h), made on first use;
//   - threads that inherited it through async=true (internal/inheritors.h);
//   - cancellation of the calls made under it (internal/cancel_targets.h);
// plus whether it ended. Parts a request does not use are one null pointer
// each. States are allocated with their shared_ptr control block in one
// recycled block (internal/recycling_allocator.h); session.cc checks they fit.
//
// Example (SessionAccess, internal/session_access.h, makes and reads them):
//
//   auto state = std::allocate_shared<SessionState>(
//       RecyclingAllocator<SessionState>(), &source, deadline,
//       has_persistent, has_w3c);
//   state->values().GetOrCreate().Set(key, value);
//   state->cancel().Cancel(absl::CancelledError("..."));
//
// Thread-safety: thread-safe; each part states its own.

#ifndef GLS_SESSION_INTERNAL_SESSION_STATE_H_
#define GLS_SESSION_INTERNAL_SESSION_STATE_H_

#include <atomic>
#include <memory>
#include <utility>

#include "absl/time/time.h"
#include "gls/session/context.h"
#include "gls/session/internal/backward_values.h"
#include "gls/session/internal/cancel_targets.h"
#include "gls/session/internal/context_source.h"
#include "gls/session/internal/inheritors.h"
#include "gls/session/internal/lazy_context.h"
#include "gls/session/internal/lazy_ptr.h"
#include "gls/session/internal/steady_time.h"
#include "gls/session/internal/value_table.h"

namespace gls {
namespace session_internal {

class SessionState : public std::enable_shared_from_this<SessionState> {
 public:
  // A session with a context built already.
  explicit SessionState(Context context)
      : has_persistent_(!context.persistent().empty()),
        has_w3c_(context.trace().valid() || !context.baggage().empty()),
        cancel_(this, SteadyFromTime(context.deadline())),
        context_(std::move(context)) {}
  // A session whose context is built from `source` on first read.
  SessionState(const ContextSource* source, SteadyTime deadline,
               bool has_persistent, bool has_w3c)
      : has_persistent_(has_persistent),
        has_w3c_(has_w3c),
        cancel_(this, deadline),
        context_(source) {}
  SessionState(const SessionState&) = delete;
  SessionState& operator=(const SessionState&) = delete;

  // The context (built now if it was not yet), and what is known of it
  // without building it.
  const Context& context() const { return context_.Get(); }
  LazyContext& lazy_context() { return context_; }
  const LazyContext& lazy_context() const { return context_; }
  // The request's deadline on the steady clock (kNoDeadline: none).
  SteadyTime deadline() const { return cancel_.deadline(); }
  bool has_persistent() const { return has_persistent_; }
  bool has_w3c() const { return has_w3c_; }

  // Whether the request ended (Session::IsValid() is false once it has).
  bool ended() const { return ended_.load(std::memory_order_acquire); }
  // Ends the session; the first End warns about inheriting threads still
  // running.
  void End() {
    Inheritors* inheritors = inheritors_.get();
    if (inheritors == nullptr) {
      ended_.store(true, std::memory_order_release);
    } else if (!ended_.exchange(true, std::memory_order_acq_rel)) {
      inheritors->WarnAlive(context());
    }
  }

  // The optional parts, made on first use.
  LazyPtr<ValueTable>& values() { return values_; }
  const LazyPtr<ValueTable>& values() const { return values_; }
  LazyPtr<Inheritors>& inheritors() { return inheritors_; }
  LazyPtr<BackwardValues>& backward() { return backward_; }
  const LazyPtr<BackwardValues>& backward() const { return backward_; }

  // Cancellation of the calls made under the session.
  CancelTargets& cancel() { return cancel_; }
  const CancelTargets& cancel() const { return cancel_; }

 private:
  const bool has_persistent_;
  const bool has_w3c_;
  std::atomic<bool> ended_{false};
  // Before the context: it holds the request's deadline, read from the
  // context before that is moved in. Destroyed last, it unlists the session
  // from the cancel watcher (which can no longer lock a state being
  // destroyed, so the other parts going first is safe).
  CancelTargets cancel_;
  LazyContext context_;
  LazyPtr<ValueTable> values_;
  LazyPtr<Inheritors> inheritors_;
  LazyPtr<BackwardValues> backward_;
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_SESSION_STATE_H_
