// gls/session/internal/inheritors.h
//
// Internal to gls; not for use outside the library.
//
// `Inheritors`: the threads that inherited one session through `async=true`
// (internal/thread_inherit.cc) and are still running. When the session ends
// while some still run, `WarnAlive` logs the hazard once, naming the request
// and the threads (docs/async.md). A session makes one only when a thread
// inherits it (LazyPtr): sessions no thread inherits pay nothing.
//
// Example:
//
//   inheritors.Add(tid);        // a thread started under the session
//   inheritors.Remove(tid);     // it is about to exit
//   inheritors.WarnAlive(ctx);  // the request ended: warns if any still run
//
// Thread-safety: thread-safe (an absl::Mutex, locked only at thread start,
// thread exit and session end).

#ifndef GLS_SESSION_INTERNAL_INHERITORS_H_
#define GLS_SESSION_INTERNAL_INHERITORS_H_

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/context.h"

namespace gls {
namespace session_internal {

class Inheritors {
 public:
  // Thread `tid` (an OS thread id) inherited the session and runs.
  void Add(int64_t tid) ABSL_LOCKS_EXCLUDED(mu_);
  // Thread `tid` is about to exit.
  void Remove(int64_t tid) ABSL_LOCKS_EXCLUDED(mu_);
  // Logs one warning naming the threads still running, if any, and counts it
  // (`inheritance_warnings`); `context` names the request.
  void WarnAlive(const Context& context) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Mutex mu_;
  std::vector<int64_t> alive_ ABSL_GUARDED_BY(mu_);
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_INHERITORS_H_
