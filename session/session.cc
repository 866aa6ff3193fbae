#include "gls/session/session.h"

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/internal/mutex_lock.h"

namespace gls {
namespace session_internal {

// Request-local values. Readers take no lock: a writer copies the table under
// the lock and publishes the copy; every version is kept until the session
// dies, so a reader never sees freed memory. (Requests set few values.)
class ValueTable {
 public:
  std::shared_ptr<const void> Get(KeyId key) const {
    const Map* map = current_.load(std::memory_order_acquire);
    if (map == nullptr) return nullptr;
    auto it = map->find(key);
    return it == map->end() ? nullptr : it->second;
  }

  void Set(KeyId key, std::shared_ptr<const void> value) {
    MutexLock lock(&mu_);
    const Map* current = current_.load(std::memory_order_relaxed);
    auto next = current == nullptr ? std::make_unique<Map>()
                                   : std::make_unique<Map>(*current);
    (*next)[key] = std::move(value);
    current_.store(next.get(), std::memory_order_release);
    versions_.push_back(std::move(next));
  }

 private:
  using Map = absl::flat_hash_map<KeyId, std::shared_ptr<const void>>;

  absl::Mutex mu_;  // serializes writers
  std::atomic<const Map*> current_{nullptr};
  std::vector<std::unique_ptr<Map>> versions_ ABSL_GUARDED_BY(mu_);
};

class SessionState {
 public:
  explicit SessionState(Context context) : context_(std::move(context)) {}
  SessionState(const SessionState&) = delete;
  SessionState& operator=(const SessionState&) = delete;
  ~SessionState() { delete values_.load(std::memory_order_acquire); }

  const Context& context() const { return context_; }
  bool ended() const { return ended_.load(std::memory_order_acquire); }
  void End() { ended_.store(true, std::memory_order_release); }

  std::shared_ptr<const void> Get(KeyId key) const {
    const ValueTable* values = values_.load(std::memory_order_acquire);
    return values == nullptr ? nullptr : values->Get(key);
  }

  void Set(KeyId key, std::shared_ptr<const void> value) {
    ValueTable* values = values_.load(std::memory_order_acquire);
    if (values == nullptr) {
      // Created on first use: requests that never set a value pay nothing.
      auto fresh = std::make_unique<ValueTable>();
      if (values_.compare_exchange_strong(values, fresh.get(),
                                          std::memory_order_acq_rel)) {
        values = fresh.release();
      }
    }
    values->Set(key, std::move(value));
  }

 private:
  const Context context_;
  std::atomic<bool> ended_{false};
  std::atomic<ValueTable*> values_{nullptr};
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
