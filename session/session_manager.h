// gls/session/session_manager.h
//
// Binding a `gls::Session` to the code that runs a request.
//
//   gls::CurSession()        the session bound to the calling thread, or the
//                            empty session. Lock-free: one thread-local load.
//   gls::SessionScope        RAII: binds a session for a scope and restores the
//                            previous binding when it ends (the hot path, also
//                            lock-free). Binding the empty session hides any
//                            outer or inherited binding.
//   gls::BindSession(s) /    localsession's explicit form: binds `s` to the
//   gls::UnbindSession()     calling thread until unbound, the thread exits, or
//                            GC finds `s` ended.
//   gls::SessionManager      the sharded registry behind BindSession, with its
//                            options and its GC thread.
//
// Each thread has one current binding. Bindings belong to the thread's own
// execution id (a 64-bit counter, never reused), so a thread that exits and a
// new thread that the OS gives the same id never share a binding.
//
// Example:
//
//   void Handle(const gls::Context& ctx) {
//     gls::SessionScope scope(gls::Session(ctx));
//     Downstream();  // gls::CurSession().context() == ctx in here
//   }                // previous binding restored
//
// Thread-safety: all free functions act on the calling thread only and are
// thread-safe; SessionManager is thread-safe. SessionScope is neither copyable
// nor movable and must end on the thread that created it.

#ifndef GLS_SESSION_SESSION_MANAGER_H_
#define GLS_SESSION_SESSION_MANAGER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>

#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/session.h"
#include "gls/session/session_options.h"

namespace gls {

namespace session_internal {
// The calling thread's current binding; points into a SessionScope on this
// thread's stack or into this thread's BindSession record. Only the GC thread
// writes it from elsewhere (compare-exchange to nullptr).
inline thread_local std::atomic<const Session*> tls_current{nullptr};
// Set on threads started while `async` was on: the session bound where the
// thread was created. Seen only while it is valid and nothing else is bound.
inline thread_local const Session* tls_inherited = nullptr;
const Session& CurSessionSlow();
struct ThreadRecord;
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

  const Session& session() const { return session_; }

 private:
  const Session session_;
  const Session* const prev_;
};

// A sharded registry of threads bound with BindSession, with the options it was
// created with and a GC thread that unbinds ended sessions every
// `gc_interval`. Thread-safe.
class SessionManager {
 public:
  explicit SessionManager(const SessionOptions& options);
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;
  // Stops and joins the GC thread. Threads still registered are forgotten.
  ~SessionManager();

  // Creates the default manager on the first call: `code` overridden by
  // CLOUDWEGO_SESSION_CONFIG_KEY (bad fields are logged). Later calls return
  // the same manager and ignore `code`. Servers that enable backup call this.
  static SessionManager& InitDefault(const SessionOptions& code);
  // The default manager; created with `SessionOptions{}` (no environment) if
  // InitDefault was never called. Its GC thread stops at process exit.
  static SessionManager& Default();

  const SessionOptions& options() const { return options_; }

  // Binds `session` to the calling thread, registered in this manager.
  void BindSession(Session session);
  // Removes the calling thread's BindSession binding, if any.
  void UnbindSession();

  // One GC pass now: unbinds every BindSession binding whose session ended.
  // Returns how many it unbound. The GC thread calls this every gc_interval.
  size_t CollectGarbage();
  // Number of threads registered (bound at least once and not exited).
  size_t RegisteredThreads() const;
  // Stops the GC thread (idempotent).
  void StopGc();

 private:
  friend struct session_internal::ThreadRecord;
  struct alignas(64) Shard;
  Shard& ShardFor(uint64_t id) const;
  void Register(session_internal::ThreadRecord* record);
  void Deregister(session_internal::ThreadRecord* record);
  void GcLoop();

  const SessionOptions options_;
  std::unique_ptr<Shard[]> shards_;

  absl::Mutex gc_mu_;
  absl::CondVar gc_cv_;  // signalled by StopGc
  bool gc_stop_ ABSL_GUARDED_BY(gc_mu_) = false;
  std::thread gc_thread_;
};

// Forwarders to SessionManager::Default().
void BindSession(Session session);
void UnbindSession();

}  // namespace gls

#endif  // GLS_SESSION_SESSION_MANAGER_H_
