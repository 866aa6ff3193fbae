#include "gls/interceptors/internal/request_registry.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/internal/mutex_lock.h"
#include "gls/session/internal/session_access.h"

namespace gls {
namespace interceptors_internal {
namespace {

using session_internal::MutexLock;
using session_internal::SessionAccess;
using session_internal::SessionState;
using WeakSessions = std::vector<std::weak_ptr<SessionState>>;

class Registry {
 public:
  void Register(const void* key, const Session& session) {
    MutexLock lock(&mu_);
    WeakSessions& sessions = map_[key];
    sessions.erase(std::remove_if(sessions.begin(), sessions.end(),
                                  [](const auto& w) { return w.expired(); }),
                   sessions.end());
    sessions.push_back(SessionAccess::Weak(session));
    // Requests served without the interceptor leave entries nobody forgets:
    // drop the ones whose sessions are all gone now and then.
    if (map_.size() > 2 * prune_at_) {
      for (auto it = map_.begin(); it != map_.end();) {
        bool live = std::any_of(it->second.begin(), it->second.end(),
                                [](const auto& w) { return !w.expired(); });
        if (live) {
          ++it;
        } else {
          map_.erase(it++);
        }
      }
      prune_at_ = std::max<size_t>(kMinPrune, map_.size());
    }
    size_.store(map_.size(), std::memory_order_relaxed);
  }

  size_t Cancel(const void* key, const absl::Status& why) {
    if (size_.load(std::memory_order_relaxed) == 0) return 0;
    std::vector<Session> live;
    {
      MutexLock lock(&mu_);
      auto it = map_.find(key);
      if (it == map_.end()) return 0;
      for (const auto& weak : it->second) {
        Session s = SessionAccess::Lock(weak);
        if (!s.empty()) live.push_back(std::move(s));
      }
    }
    size_t cancelled = 0;
    for (const Session& s : live) cancelled += SessionAccess::Cancel(s, why);
    return cancelled;
  }

  void Forget(const void* key) {
    if (size_.load(std::memory_order_relaxed) == 0) return;
    MutexLock lock(&mu_);
    map_.erase(key);
    size_.store(map_.size(), std::memory_order_relaxed);
  }

 private:
  static constexpr size_t kMinPrune = 64;

  absl::Mutex mu_;
  absl::flat_hash_map<const void*, WeakSessions> map_ ABSL_GUARDED_BY(mu_);
  size_t prune_at_ ABSL_GUARDED_BY(mu_) = kMinPrune;
  std::atomic<size_t> size_{0};
};

Registry& TheRegistry() {
  static Registry* const registry = new Registry();
  return *registry;
}

}  // namespace

void RegisterRequestSession(const void* server_context,
                            const Session& session) {
  TheRegistry().Register(server_context, session);
}

size_t CancelRequestSessions(const void* server_context,
                             const absl::Status& why) {
  return TheRegistry().Cancel(server_context, why);
}

void ForgetRequestSessions(const void* server_context) {
  TheRegistry().Forget(server_context);
}

}  // namespace interceptors_internal
}  // namespace gls
