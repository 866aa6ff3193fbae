// gls/session/session_manager.h
//
// The explicit form of binding (bind until unbound), and the registry behind
// it (the scoped form, `CurSession()` and `SessionScope`, is binding.h):
//
//   gls::BindSession(s) /    binds `s` to the calling thread until unbound,
//   gls::UnbindSession()     the thread exits, or GC finds `s` ended.
//   gls::SessionManager      the sharded registry of threads bound this way,
//                            with its options and its GC thread. The process
//                            has one default manager (`Default()`), created
//                            by the first server that enables backup.
//
// Bindings belong to the thread's own execution id (a 64-bit counter, never
// reused), so a thread that exits and a new thread that the OS gives the same
// id never share a binding.
//
// Example:
//
//   void Worker(const gls::Session& request) {
//     gls::BindSession(request);
//     Downstream();  // gls::CurSession() is `request` in here
//     gls::UnbindSession();
//   }
//
// Thread-safety: the free functions act on the calling thread only and are
// thread-safe; SessionManager is thread-safe.

#ifndef GLS_SESSION_SESSION_MANAGER_H_
#define GLS_SESSION_SESSION_MANAGER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/binding.h"
#include "gls/session/session.h"
#include "gls/session/session_options.h"

namespace gls {

namespace session_internal {
struct ThreadRecord;
}  // namespace session_internal

// A sharded registry of threads bound with BindSession, with the options it was
// created with and a GC thread that unbinds ended sessions every
// `gc_interval`. A thread joins its shard (under the shard's absl::Mutex) at
// its first bind and leaves it when it exits; binding and unbinding touch
// only the thread's own record, under a per-thread spin lock that only GC
// contends for, so they cost a few ns and scale with threads. Thread-safe.
class SessionManager {
 public:
  // A manager with `options` (shards, GC interval, async); starts its GC
  // thread. Most programs use Default() or InitDefault() instead.
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

  // The options the manager was made with.
  const SessionOptions& options() const { return options_; }

  // Binds `session` to the calling thread, registered in this manager (the
  // first bind of a thread registers it).
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
// Unbinds the calling thread's BindSession binding.
void UnbindSession();

}  // namespace gls

#endif  // GLS_SESSION_SESSION_MANAGER_H_
