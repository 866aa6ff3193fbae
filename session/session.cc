#include "gls/session/session.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/internal/mutex_lock.h"
#include "gls/session/internal/recycling_allocator.h"
#include "gls/session/internal/session_access.h"
#include "gls/session/internal/spin_lock.h"
#include "gls/session/internal/value_table.h"
#include "gls/session/log.h"

namespace gls {
namespace session_internal {

// Threads that inherited a session (async=true) and are still running.
// Created on first use: sessions no thread inherits pay nothing.
class Inheritors {
 public:
  void Add(int64_t tid) {
    MutexLock lock(&mu_);
    alive_.push_back(tid);
  }
  void Remove(int64_t tid) {
    MutexLock lock(&mu_);
    auto it = std::find(alive_.begin(), alive_.end(), tid);
    if (it != alive_.end()) alive_.erase(it);
  }
  // Logs one warning naming the threads still alive, if any.
  void WarnAlive(const Context& context) {
    std::vector<int64_t> alive;
    {
      MutexLock lock(&mu_);
      alive = alive_;
    }
    if (alive.empty()) return;
    constexpr size_t kMaxNamed = 8;
    std::string tids;
    for (size_t i = 0; i < alive.size() && i < kMaxNamed; ++i) {
      absl::StrAppend(&tids, i == 0 ? "" : ", ", alive[i]);
    }
    if (alive.size() > kMaxNamed) {
      absl::StrAppend(&tids, " and ", alive.size() - kMaxNamed, " more");
    }
    LogError(absl::StrCat(
        "async=true: request ",
        QuoteForLog(context.method().empty() ? "(no method)"
                                             : context.method()),
        " ended while ", alive.size(),
        " thread(s) that inherited its session were still running (thread ",
        tids,
        "). While it was in flight, everything those threads ran saw its "
        "values, tasks of other requests included. Start long-lived threads "
        "under gls::NoInheritScope, or carry sessions explicitly (gls::Go, "
        "gls::Wrap, gls::ThreadPool)."));
  }

 private:
  absl::Mutex mu_;
  std::vector<int64_t> alive_ ABSL_GUARDED_BY(mu_);
};

class SessionState {
 public:
  // A session with a context built already.
  explicit SessionState(Context context)
      : deadline_(context.deadline()), storage_(std::move(context)) {
    built_.store(&storage_, std::memory_order_release);
  }
  // A session whose context is built from `source` on first read.
  SessionState(const ContextSource* source, absl::Time deadline)
      : deadline_(deadline), source_(source) {}
  SessionState(const SessionState&) = delete;
  SessionState& operator=(const SessionState&) = delete;
  ~SessionState() {
    delete values_.load(std::memory_order_acquire);
    delete inheritors_.load(std::memory_order_acquire);
  }

  const Context& context() const {
    if (const Context* built = built_.load(std::memory_order_acquire)) {
      return *built;
    }
    SpinLockHolder hold(&lock_);
    BuildLocked();
    return storage_;
  }
  absl::Time deadline() const { return deadline_; }

  // Builds the context if other holders may still read it, then forgets the
  // source.
  void Seal(bool build) {
    SpinLockHolder hold(&lock_);
    if (source_ == nullptr) return;
    if (build) BuildLocked();
    source_ = nullptr;
  }

  bool WithSource(absl::FunctionRef<void(const ContextSource&)> fn) const {
    if (built_.load(std::memory_order_acquire) != nullptr) return false;
    SpinLockHolder hold(&lock_);
    if (built_.load(std::memory_order_relaxed) != nullptr ||
        source_ == nullptr) {
      return false;
    }
    fn(*source_);
    return true;
  }

  bool ended() const { return ended_.load(std::memory_order_acquire); }
  void End() {
    Inheritors* inheritors = inheritors_.load(std::memory_order_acquire);
    if (inheritors == nullptr) {
      ended_.store(true, std::memory_order_release);
    } else if (!ended_.exchange(true, std::memory_order_acq_rel)) {
      inheritors->WarnAlive(context());
    }
  }

  Inheritors& inheritors() {
    Inheritors* inheritors = inheritors_.load(std::memory_order_acquire);
    if (inheritors == nullptr) {
      auto fresh = std::make_unique<Inheritors>();
      if (inheritors_.compare_exchange_strong(inheritors, fresh.get(),
                                              std::memory_order_acq_rel)) {
        inheritors = fresh.release();
      }
    }
    return *inheritors;
  }

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
  // Builds the context from the source once (the empty context if the
  // session was sealed without it: no one else held it then).
  void BuildLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    if (built_.load(std::memory_order_relaxed) != nullptr) return;
    if (source_ != nullptr) storage_ = source_->Build();
    built_.store(&storage_, std::memory_order_release);
  }

  const absl::Time deadline_;
  mutable SpinLock lock_;
  // The request's metadata as gRPC holds it, until sealed.
  const ContextSource* source_ ABSL_GUARDED_BY(lock_) = nullptr;
  // &storage_ once built; storage_ is written once, under lock_, before.
  mutable std::atomic<const Context*> built_{nullptr};
  mutable Context storage_;
  std::atomic<bool> ended_{false};
  std::atomic<ValueTable*> values_{nullptr};
  std::atomic<Inheritors*> inheritors_{nullptr};
};

std::shared_ptr<const void> GetValue(const SessionState& state, KeyId key) {
  return state.Get(key);
}
void SetValue(SessionState& state, KeyId key, std::shared_ptr<const void> v) {
  state.Set(key, std::move(v));
}

void SessionAccess::AddInheritor(const Session& session, int64_t tid) {
  if (session.state_ != nullptr) session.state_->inheritors().Add(tid);
}
void SessionAccess::RemoveInheritor(const Session& session, int64_t tid) {
  if (session.state_ != nullptr) session.state_->inheritors().Remove(tid);
}

Session SessionAccess::NewLazy(const ContextSource* source,
                               absl::Time deadline) {
  Session session;
  session.state_ = std::allocate_shared<SessionState>(
      RecyclingAllocator<SessionState>(), source, deadline);
  return session;
}

void SessionAccess::Seal(const Session& session) {
  if (session.state_ == nullptr) return;
  // The caller's own copy is one; any other may be read after the request.
  session.state_->Seal(/*build=*/session.state_.use_count() > 1);
}

absl::Time SessionAccess::Deadline(const Session& session) {
  return session.state_ == nullptr ? absl::InfiniteFuture()
                                   : session.state_->deadline();
}

bool SessionAccess::WithSource(
    const Session& session, absl::FunctionRef<void(const ContextSource&)> fn) {
  return session.state_ != nullptr && session.state_->WithSource(fn);
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
