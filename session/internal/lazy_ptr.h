// gls/session/internal/lazy_ptr.h
//
// Internal to gls; not for use outside the library.
//
// `LazyPtr<T>`: an object of type T made the first time it is needed and
// deleted with its owner. A session state holds its optional parts this way
// (request-local values, backward values, inheriting threads), so a request
// that never uses one pays one null pointer for it, not an allocation.
//
// Example:
//
//   LazyPtr<ValueTable> values_;
//   if (const ValueTable* v = values_.get()) ...  // read: nothing made
//   values_.GetOrCreate().Set(key, value);        // write: made once
//
// Thread-safety: thread-safe. Racing first calls of GetOrCreate make one
// object each and keep exactly one of them (a compare-and-swap); the others
// are deleted before they return.

#ifndef GLS_SESSION_INTERNAL_LAZY_PTR_H_
#define GLS_SESSION_INTERNAL_LAZY_PTR_H_

#include <atomic>
#include <memory>

namespace gls {
namespace session_internal {

template <typename T>
class LazyPtr {
 public:
  LazyPtr() = default;
  LazyPtr(const LazyPtr&) = delete;
  LazyPtr& operator=(const LazyPtr&) = delete;
  ~LazyPtr() { delete ptr_.load(std::memory_order_acquire); }

  // The object, or null if it was never made.
  T* get() const { return ptr_.load(std::memory_order_acquire); }

  // The object, made now if it was not yet.
  T& GetOrCreate() {
    T* current = ptr_.load(std::memory_order_acquire);
    if (current == nullptr) {
      auto fresh = std::make_unique<T>();
      if (ptr_.compare_exchange_strong(current, fresh.get(),
                                       std::memory_order_acq_rel)) {
        current = fresh.release();
      }
    }
    return *current;
  }

 private:
  std::atomic<T*> ptr_{nullptr};
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_LAZY_PTR_H_
