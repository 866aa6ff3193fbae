// gls/session/binding.h
//
// Binding a `gls::Session` to the code that runs a request, on the calling
// thread. This is the hot path: lock-free, no allocation.
//
//   gls::CurSession()      the session bound to the calling thread, or the
//                          empty session. One thread-local load.
//   gls::SessionScope      RAII: binds a session for a scope and restores the
//                          previous binding when it ends. Binding the empty
//                          session hides any outer or inherited binding.
//
// A thread sees, in this order: its innermost SessionScope or BindSession
// binding (session_manager.h), else a session it inherited when it was
// created (async=true, see no_inherit.h) while that session is valid, else
// the empty session.
//
// Example:
//
//   void Handle(const gls::Context& ctx) {
//     gls::SessionScope scope{gls::Session(ctx)};
//     Downstream();  // gls::CurSession().context() == ctx in here
//   }                // previous binding restored
//
// Thread-safety: CurSession() acts on the calling thread only and is
// thread-safe. SessionScope is neither copyable nor movable and must end on
// the thread that created it, in LIFO order with other scopes.

#ifndef GLS_SESSION_BINDING_H_
#define GLS_SESSION_BINDING_H_

#include <atomic>
#include <utility>

#include "absl/base/optimization.h"
#include "gls/session/session.h"

namespace gls {

namespace session_internal {
// The calling thread's current binding; points into a SessionScope on this
// thread's stack or into this thread's BindSession record. Only the registry's
// GC thread writes it from elsewhere (compare-exchange to nullptr).
inline thread_local std::atomic<const Session*> tls_current{nullptr};
// Set on threads started while `async` was on: the session bound where the
// thread was created. Seen only while it is valid and nothing else is bound.
inline thread_local const Session* tls_inherited = nullptr;
// CurSession() when nothing is bound: the inherited session or the empty one.
const Session& CurSessionSlow();

// Binds `*session` for the scope without copying it (no reference count
// touched): the owner keeps it alive for the whole scope, or unbinds it
// itself before it goes away (the server interceptor does, in its
// destructor, when gRPC destroys it inside the handler's scope).
// Thread-compatible; ends on its own thread, in LIFO order.
class BorrowedScope {
 public:
  explicit BorrowedScope(const Session* session)
      : prev_(tls_current.load(std::memory_order_relaxed)) {
    tls_current.store(session, std::memory_order_relaxed);
  }
  BorrowedScope(const BorrowedScope&) = delete;
  BorrowedScope& operator=(const BorrowedScope&) = delete;
  ~BorrowedScope() { tls_current.store(prev_, std::memory_order_relaxed); }

  // The binding this scope hides and restores.
  const Session* prev() const { return prev_; }

 private:
  const Session* const prev_;
};
}  // namespace session_internal

// Returns the session bound to the calling thread (see above), or the empty
// session. The reference stays valid until the calling thread's binding
// changes; copy the Session to keep it longer.
inline const Session& CurSession() {
  const Session* s =
      session_internal::tls_current.load(std::memory_order_relaxed);
  if (ABSL_PREDICT_TRUE(s != nullptr)) return *s;
  return session_internal::CurSessionSlow();
}

// Binds `session` for the lifetime of the scope; restores the previous binding
// on destruction. Thread-compatible; must be destroyed on its own thread, in
// LIFO order with other scopes.
class SessionScope {
 public:
  // Binds `session` to the calling thread until the scope ends.
  explicit SessionScope(Session session)
      : session_(std::move(session)),
        prev_(session_internal::tls_current.load(std::memory_order_relaxed)) {
    session_internal::tls_current.store(&session_, std::memory_order_relaxed);
  }
  SessionScope(const SessionScope&) = delete;
  SessionScope& operator=(const SessionScope&) = delete;
  ~SessionScope() {
    session_internal::tls_current.store(prev_, std::memory_order_relaxed);
  }

  // The session this scope binds.
  const Session& session() const { return session_; }

 private:
  const Session session_;
  const Session* const prev_;
};

}  // namespace gls

#endif  // GLS_SESSION_BINDING_H_
