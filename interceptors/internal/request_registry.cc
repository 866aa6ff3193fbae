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

// One request's entry: its scopes' sessions, and how it was cancelled if
// that happened before a scope registered (the scope is cancelled at once).
struct Entry {
  std::vector<std::weak_ptr<SessionState>> sessions;
  absl::Status cancelled;  // OK: not cancelled
};

class Registry {
 public:
  void Register(const void* key, const Session& session) {
    absl::Status cancelled;
    {
      MutexLock lock(&mu_);
      cancelled = RegisterLocked(key, session);
    }
    if (!cancelled.ok()) SessionAccess::Cancel(session, cancelled);
  }

  size_t Cancel(const void* key, const absl::Status& why) {
    std::vector<Session> live;
    {
      MutexLock lock(&mu_);
      Entry& entry = map_[key];  // kept, so a later scope is cancelled too
      if (entry.cancelled.ok()) entry.cancelled = why;
      for (const auto& weak : entry.sessions) {
        Session s = SessionAccess::Lock(weak);
        if (!s.empty()) live.push_back(std::move(s));
      }
      size_.store(map_.size(), std::memory_order_relaxed);
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

  // Returns the status the request was cancelled with (OK: not cancelled).
  absl::Status RegisterLocked(const void* key, const Session& session)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Entry& entry = map_[key];
    std::vector<std::weak_ptr<SessionState>>& sessions = entry.sessions;
    const absl::Status cancelled = entry.cancelled;
    sessions.erase(std::remove_if(sessions.begin(), sessions.end(),
                                  [](const auto& w) { return w.expired(); }),
                   sessions.end());
    sessions.push_back(SessionAccess::Weak(session));
    // Requests served without the interceptor leave entries nobody forgets:
    // drop the ones whose sessions are all gone now and then.
    if (map_.size() > 2 * prune_at_) {
      for (auto it = map_.begin(); it != map_.end();) {
        const auto& scopes = it->second.sessions;
        bool live = std::any_of(scopes.begin(), scopes.end(),
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
    return cancelled;
  }

  absl::Mutex mu_;
  absl::flat_hash_map<const void*, Entry> map_ ABSL_GUARDED_BY(mu_);
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
