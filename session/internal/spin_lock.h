// gls/session/internal/spin_lock.h
//
// Internal to gls; not for use outside the library.
//
// A one-word lock for state that is almost never contended (a thread's
// BindSession record, a session's request-local values, its lazily built
// context): taking and releasing it uncontended is one atomic exchange and
// one store, a few ns, and touches no shared line. Debian's absl::Mutex,
// built without NDEBUG, takes Abseil's process-wide deadlock-detection lock
// on every Lock (about 36 ns, and it serializes threads), so the per-bind and
// per-Set paths use this instead; absl::Mutex stays where contention is rare
// and sharing is the point (the registry's shards). It is a std::atomic,
// which ThreadSanitizer sees through. A waiter spins briefly, then yields:
// keep critical sections short, and never wait for another thread while
// holding it.
//
// Example:
//
//   SpinLock lock_;
//   int value_ ABSL_GUARDED_BY(lock_);
//   ...
//   SpinLockHolder hold(&lock_);
//   ++value_;
//
// Thread-safety: SpinLock is thread-safe; SpinLockHolder is a
// thread-compatible scoped object.

#ifndef GLS_SESSION_INTERNAL_SPIN_LOCK_H_
#define GLS_SESSION_INTERNAL_SPIN_LOCK_H_

#include <atomic>
#include <thread>

#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"

namespace gls {
namespace session_internal {

// A non-reentrant spin lock (see above). Thread-safe.
class ABSL_LOCKABLE SpinLock {
 public:
  SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    if (ABSL_PREDICT_TRUE(!locked_.exchange(true, std::memory_order_acquire))) {
      return;
    }
    LockSlow();
  }

  void Unlock() ABSL_UNLOCK_FUNCTION() {
    locked_.store(false, std::memory_order_release);
  }

 private:
  // Test-and-test-and-set: spin on a plain load (no line ping-pong), pause
  // between probes, yield the CPU once spinning has not helped (the holder
  // may have been preempted).
  ABSL_ATTRIBUTE_NOINLINE void LockSlow() {
    constexpr int kSpins = 64;
    while (true) {
      for (int i = 0; i < kSpins && locked_.load(std::memory_order_relaxed);
           ++i) {
        Pause();
      }
      if (!locked_.load(std::memory_order_relaxed) &&
          !locked_.exchange(true, std::memory_order_acquire)) {
        return;
      }
      std::this_thread::yield();
    }
  }

  static void Pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  std::atomic<bool> locked_{false};
};

// Holds a SpinLock for its scope. Thread-compatible.
class ABSL_SCOPED_LOCKABLE SpinLockHolder {
 public:
  explicit SpinLockHolder(SpinLock* lock) ABSL_EXCLUSIVE_LOCK_FUNCTION(lock)
      : lock_(lock) {
    lock_->Lock();
  }
  SpinLockHolder(const SpinLockHolder&) = delete;
  SpinLockHolder& operator=(const SpinLockHolder&) = delete;
  ~SpinLockHolder() ABSL_UNLOCK_FUNCTION() { lock_->Unlock(); }

 private:
  SpinLock* const lock_;
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_SPIN_LOCK_H_
