#include "gls/session/internal/cancel_watcher.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/internal/mutex_lock.h"
#include "gls/session/internal/session_access.h"
#include "gls/session/no_inherit.h"

namespace gls {
namespace session_internal {
namespace {

// The watched sessions and the thread that looks at them. Leaked on purpose:
// the thread runs until the process exits.
class Watcher {
 public:
  void Watch(const Session& session, absl::Time by) {
    std::weak_ptr<SessionState> weak = SessionAccess::Weak(session);
    MutexLock lock(&mu_);
    Entry& entry = entries_[weak.lock().get()];
    entry.weak = std::move(weak);
    entry.next = std::min(entry.next, by);
    ++entry.generation;
    if (!started_) {
      started_ = true;
      NoInheritScope no_inherit;
      std::thread([this] { Run(); }).detach();
    }
    if (by < wake_) cv_.Signal();
  }

 private:
  struct Entry {
    std::weak_ptr<SessionState> weak;
    absl::Time next = absl::InfiniteFuture();
    uint64_t generation = 0;
  };
  struct Due {
    const SessionState* key;
    std::weak_ptr<SessionState> weak;
    uint64_t generation;
  };

  void Run() {
    for (;;) {
      std::vector<Due> due;
      {
        MutexLock lock(&mu_);
        for (;;) {
          const absl::Time now = absl::Now();
          wake_ = absl::InfiniteFuture();
          for (const auto& [key, entry] : entries_) {
            if (entry.next <= now) {
              due.push_back({key, entry.weak, entry.generation});
            } else {
              wake_ = std::min(wake_, entry.next);
            }
          }
          if (!due.empty()) break;
          WaitWithTimeout(&cv_, &mu_, wake_ - now);
        }
      }
      // Outside the lock: a pass cancels calls and may run gRPC's hooks.
      std::vector<absl::Time> next(due.size(), absl::InfiniteFuture());
      for (size_t i = 0; i < due.size(); ++i) {
        Session session = SessionAccess::Lock(due[i].weak);
        bool poll = false;
        if (!session.empty()) {
          SessionAccess::WatchPass(session, absl::Now(), &next[i], &poll);
        }
      }
      MutexLock lock(&mu_);
      for (size_t i = 0; i < due.size(); ++i) {
        auto it = entries_.find(due[i].key);
        if (it == entries_.end()) continue;
        if (it->second.generation != due[i].generation) {
          // Watch() ran meanwhile: keep its time, and ours if earlier.
          it->second.next = std::min(it->second.next, next[i]);
        } else if (next[i] == absl::InfiniteFuture()) {
          entries_.erase(it);
        } else {
          it->second.next = next[i];
        }
      }
    }
  }

  absl::Mutex mu_;
  absl::CondVar cv_;
  absl::flat_hash_map<const SessionState*, Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::Time wake_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool started_ ABSL_GUARDED_BY(mu_) = false;
};

Watcher& TheWatcher() {
  static Watcher* const watcher = new Watcher();
  return *watcher;
}

}  // namespace

void WatchSession(const Session& session, absl::Time by) {
  if (!SessionAccess::Cancellable(session)) return;
  TheWatcher().Watch(session, by);
}

}  // namespace session_internal
}  // namespace gls
