#include "gls/session/internal/cancel_watcher.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/internal/mutex_lock.h"
#include "gls/session/internal/session_access.h"
#include "gls/session/internal/spin_lock.h"
#include "gls/session/no_inherit.h"

namespace gls {
namespace session_internal {

// The listed sessions, in shards of intrusive lists, and the thread that
// looks at them. Leaked on purpose: the thread runs until the process exits.
class Watcher {
 public:
  Watcher() {
    NoInheritScope no_inherit;
    std::thread([this] { Run(); }).detach();
  }

  void Start(WatchNode* node) {
    static std::atomic<uint32_t> next_shard{0};
    thread_local const int my_shard = static_cast<int>(
        next_shard.fetch_add(1, std::memory_order_relaxed) % kShards);
    Shard& shard = shards_[my_shard];
    // Only the owner writes first_listed_ms_ (under its lock), before the
    // node is linked, so reading it here needs no shard lock.
    const bool first = node->first_listed_ms_ == 0;
    const uint32_t now_ms = first ? NowMs() : 0;
    bool wake;
    {
      SpinLockHolder hold(&shard.lock);
      if (first) node->first_listed_ms_ = now_ms;
      node->shard_ = my_shard;
      node->prev_ = nullptr;
      node->next_ = shard.head;
      if (shard.head != nullptr) shard.head->prev_ = node;
      shard.head = node;
      // Pairs with Park(), through this shard's lock: either the watcher
      // looks at this shard after the node is linked (and does not park),
      // or it had set parked_ before it looked, and this reads it.
      wake = parked_.load(std::memory_order_relaxed);
    }
    if (wake) {
      MutexLock lock(&mu_);
      cv_.Signal();
    }
  }

  void Stop(WatchNode* node) {
    Shard& shard = shards_[node->shard_];
    {
      SpinLockHolder hold(&shard.lock);
      if (node->prev_ != nullptr) {
        node->prev_->next_ = node->next_;
      } else {
        shard.head = node->next_;
      }
      if (node->next_ != nullptr) node->next_->prev_ = node->prev_;
      node->prev_ = node->next_ = nullptr;
      node->shard_ = -1;
    }
  }

 private:
  static constexpr int kShards = 16;

  // The steady clock in milliseconds, mod 2^32, never 0 (0 marks a node
  // never listed).
  static uint32_t NowMs() {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now().time_since_epoch());
    const uint32_t now = static_cast<uint32_t>(ms.count());
    return now == 0 ? 1 : now;
  }
  // Idle this long, the watcher parks instead of ticking.
  static constexpr absl::Duration kParkAfter = absl::Seconds(1);

  struct alignas(64) Shard {
    SpinLock lock;
    WatchNode* head ABSL_GUARDED_BY(lock) = nullptr;
  };

  void Run() {
    // Each listed session, and whether to poll it this pass.
    std::vector<std::pair<Session, bool>> sessions;
    absl::Time idle_since = absl::Now();
    for (;;) {
      absl::SleepFor(kWatchTick);
      const uint32_t now_ms = NowMs();
      if (!AnyListed()) {
        if (absl::Now() - idle_since >= kParkAfter) {
          Park();
          idle_since = absl::Now();
        }
        continue;
      }
      idle_since = absl::Now();
      // Strong references taken under the shard locks, used outside them: a
      // pass cancels calls and may run gRPC's hooks.
      for (Shard& shard : shards_) {
        SpinLockHolder hold(&shard.lock);
        for (WatchNode* n = shard.head; n != nullptr; n = n->next_) {
          Session session = SessionAccess::LockState(n->owner_);
          if (!session.empty()) {
            // Old enough to poll (modulo 2^32 ms: about 49 days).
            sessions.emplace_back(
                std::move(session),
                static_cast<uint32_t>(now_ms - n->first_listed_ms_) >=
                    kMinPollAgeMs);
          }
        }
      }
      const SteadyTime now = SteadyNow();
      for (const auto& [session, poll] : sessions) {
        SessionAccess::WatchPass(session, now, poll);
      }
      sessions.clear();  // outside the shard locks: may free sessions
    }
  }

  // Whether any node is listed: each shard's head under its lock. There is
  // no count of listed nodes: one shared by every thread that lists would
  // move its cache line between cores twice per request.
  bool AnyListed() {
    for (Shard& shard : shards_) {
      SpinLockHolder hold(&shard.lock);
      if (shard.head != nullptr) return true;
    }
    return false;
  }

  // Sets parked_ before looking at the shards (Start reads it under the
  // shard lock it links under), and sleeps until a listing signals. mu_ is
  // held from the store to the wait, so a signal is not lost.
  void Park() {
    MutexLock lock(&mu_);
    parked_.store(true, std::memory_order_relaxed);
    while (!AnyListed()) cv_.Wait(&mu_);
    parked_.store(false, std::memory_order_relaxed);
  }

  std::array<Shard, kShards> shards_;
  std::atomic<bool> parked_{false};
  absl::Mutex mu_;  // only to park and wake
  absl::CondVar cv_;
};

namespace {

Watcher& TheWatcher() {
  static Watcher* const watcher = new Watcher();
  return *watcher;
}

}  // namespace

void StartWatching(WatchNode* node) { TheWatcher().Start(node); }

void StopWatching(WatchNode* node) { TheWatcher().Stop(node); }

}  // namespace session_internal
}  // namespace gls
