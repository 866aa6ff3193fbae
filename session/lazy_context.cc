#include "gls/session/internal/lazy_context.h"

#include <utility>

namespace gls {
namespace session_internal {

LazyContext::LazyContext(Context context) : storage_(std::move(context)) {
  built_.store(&storage_, std::memory_order_release);
}

const Context& LazyContext::BuildSlow() const {
  SpinLockHolder hold(&lock_);
  BuildLocked();
  return storage_;
}

void LazyContext::Seal(bool build) {
  SpinLockHolder hold(&lock_);
  if (source_ == nullptr) return;
  if (build) BuildLocked();
  source_ = nullptr;
}

bool LazyContext::WithSource(
    absl::FunctionRef<void(const ContextSource&)> fn) const {
  if (built_.load(std::memory_order_acquire) != nullptr) return false;
  SpinLockHolder hold(&lock_);
  if (built_.load(std::memory_order_relaxed) != nullptr || source_ == nullptr) {
    return false;
  }
  fn(*source_);
  return true;
}

void LazyContext::BuildLocked() const {
  if (built_.load(std::memory_order_relaxed) != nullptr) return;
  if (source_ != nullptr) storage_ = source_->Build();
  built_.store(&storage_, std::memory_order_release);
}

}  // namespace session_internal
}  // namespace gls
