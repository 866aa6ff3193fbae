#include "gls/session/session.h"

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/internal/mutex_lock.h"

namespace gls {
namespace session_internal {

class SessionState {
 public:
  explicit SessionState(Context context) : context_(std::move(context)) {}

  const Context& context() const { return context_; }
  bool ended() const { return ended_.load(std::memory_order_acquire); }
  void End() { ended_.store(true, std::memory_order_release); }

  std::shared_ptr<const void> Get(KeyId key) const {
    ReaderMutexLock lock(&mu_);
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : it->second;
  }
  void Set(KeyId key, std::shared_ptr<const void> value) {
    MutexLock lock(&mu_);
    values_[key] = std::move(value);
  }

 private:
  const Context context_;
  std::atomic<bool> ended_{false};
  mutable absl::Mutex mu_;
  absl::flat_hash_map<KeyId, std::shared_ptr<const void>> values_
      ABSL_GUARDED_BY(mu_);
};

std::shared_ptr<const void> GetValue(const SessionState& state, KeyId key) {
  return state.Get(key);
}
void SetValue(SessionState& state, KeyId key, std::shared_ptr<const void> v) {
  state.Set(key, std::move(v));
}

}  // namespace session_internal

Session::Session(Context context)
    : state_(std::make_shared<session_internal::SessionState>(
          std::move(context))) {}

bool Session::IsValid() const { return state_ != nullptr && !state_->ended(); }

void Session::End() const {
  if (state_ != nullptr) state_->End();
}

const Context& Session::context() const {
  static const Context* const kEmpty = new Context();
  return state_ == nullptr ? *kEmpty : state_->context();
}

}  // namespace gls
