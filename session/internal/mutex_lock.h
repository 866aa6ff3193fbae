// gls/session/internal/mutex_lock.h
//
// Internal to gls; not for use outside the library.
//
// Scoped locks over absl::Mutex that also report their happens-before edges
// to ThreadSanitizer. Debian's Abseil shared libraries are not built with
// TSan, so TSan cannot see absl::Mutex by itself and reports every access it
// guards as a race; with these wrappers the library's own TSan runs are
// exact. Without TSan they compile to plain absl::MutexLock behaviour.
//
// Example:
//
//   session_internal::MutexLock lock(&mu_);
//   while (!ready_) session_internal::Wait(&cv_, &mu_);
//
// Thread-safety: like absl::MutexLock (thread-compatible scoped objects).

#ifndef GLS_SESSION_INTERNAL_MUTEX_LOCK_H_
#define GLS_SESSION_INTERNAL_MUTEX_LOCK_H_

#include "absl/base/config.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#ifdef ABSL_HAVE_THREAD_SANITIZER
#include <sanitizer/tsan_interface.h>
#endif

namespace gls {
namespace session_internal {

inline void TsanAcquire(const absl::Mutex* mu) {
#ifdef ABSL_HAVE_THREAD_SANITIZER
  __tsan_acquire(const_cast<absl::Mutex*>(mu));
#else
  (void)mu;
#endif
}

inline void TsanRelease(const absl::Mutex* mu) {
#ifdef ABSL_HAVE_THREAD_SANITIZER
  __tsan_release(const_cast<absl::Mutex*>(mu));
#else
  (void)mu;
#endif
}

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(absl::Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu)
      : mu_(mu) {
    mu_->Lock();
    TsanAcquire(mu_);
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  ~MutexLock() ABSL_UNLOCK_FUNCTION() {
    TsanRelease(mu_);
    mu_->Unlock();
  }

 private:
  absl::Mutex* const mu_;
};

// cv->Wait(mu), reporting the release and re-acquire it does. (Waits use
// absl::CondVar rather than Mutex::Await: absl::Mutex evaluates Await
// conditions on other threads, inside its uninstrumented code.)
inline void Wait(absl::CondVar* cv, absl::Mutex* mu)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
  TsanRelease(mu);
  cv->Wait(mu);
  TsanAcquire(mu);
}

// cv->WaitWithTimeout(mu, timeout), likewise. Returns true on timeout.
inline bool WaitWithTimeout(absl::CondVar* cv, absl::Mutex* mu,
                            absl::Duration timeout)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
  TsanRelease(mu);
  bool timed_out = cv->WaitWithTimeout(mu, timeout);
  TsanAcquire(mu);
  return timed_out;
}

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_MUTEX_LOCK_H_
