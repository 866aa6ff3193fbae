#include "gls/session/session.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/internal/cancel_watcher.h"
#include "gls/session/internal/cancellation.h"
#include "gls/session/internal/mutex_lock.h"
#include "gls/session/internal/recycling_allocator.h"
#include "gls/session/internal/session_access.h"
#include "gls/session/internal/spin_lock.h"
#include "gls/session/internal/value_table.h"
#include "gls/session/log.h"
#include "gls/session/metainfo.h"
#include "gls/session/stats.h"

namespace gls {
namespace session_internal {

// A request's deadline cancels it twice over: gls's cancel watcher passes
// within a tick after the deadline, and the server sees the request closed (the client's timer
// fired, or gRPC's own). A close seen this close to the deadline or after it
// counts as the deadline, so that the calls end with one status whichever
// comes first. The slack covers the client's deadline firing a little before
// the server's view of it (the timeout counted from the headers' arrival:
// measured up to 2 ms on loopback, more under load).
constexpr absl::Duration kDeadlineSlack = absl::Milliseconds(100);

absl::Status RequestDeadlinePassed() {
  return absl::DeadlineExceededError(
      "gls: the incoming request's deadline passed");
}

// Backward values of one session. Created on first use.
class BackwardValues {
 public:
  void SetToSend(std::string key, std::string value) {
    MutexLock lock(&mu_);
    to_send_[std::move(key)] = std::move(value);
  }
  void AddReceived(std::string key, std::string value) {
    MutexLock lock(&mu_);
    received_[std::move(key)] = std::move(value);
  }
  std::map<std::string, std::string> to_send() const {
    MutexLock lock(&mu_);
    return to_send_;
  }
  std::map<std::string, std::string> received() const {
    MutexLock lock(&mu_);
    return received_;
  }
  std::optional<std::string> FindReceived(const std::string& key) const {
    MutexLock lock(&mu_);
    auto it = received_.find(key);
    if (it == received_.end()) return std::nullopt;
    return it->second;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> to_send_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> received_ ABSL_GUARDED_BY(mu_);
};

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
    stats_internal::Add(stats_internal::Counter::kInheritanceWarnings);
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

class SessionState : public std::enable_shared_from_this<SessionState> {
 public:
  // A session with a context built already.
  explicit SessionState(Context context)
      : deadline_(context.deadline()),
        has_persistent_(!context.persistent().empty()),
        has_w3c_(context.trace().valid() || !context.baggage().empty()),
        storage_(std::move(context)) {
    built_.store(&storage_, std::memory_order_release);
  }
  // A session whose context is built from `source` on first read.
  SessionState(const ContextSource* source, absl::Time deadline,
               bool has_persistent, bool has_w3c)
      : deadline_(deadline),
        has_persistent_(has_persistent),
        has_w3c_(has_w3c),
        source_(source) {}
  SessionState(const SessionState&) = delete;
  SessionState& operator=(const SessionState&) = delete;
  ~SessionState() {
    delete values_.load(std::memory_order_acquire);
    delete inheritors_.load(std::memory_order_acquire);
    delete backward_.load(std::memory_order_acquire);
    // Owners unregister their calls before the last copy goes; a target left
    // behind may still hold a reference.
    for (const CancelTarget& t : targets_) {
      if (t.ops->registration_holds_ref()) t.ops->Unref(t.call);
    }
    SpinLockHolder hold(&cancel_lock_);
    if (watch_node_.listed()) StopWatching(&watch_node_);
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
  bool has_persistent() const { return has_persistent_; }
  bool has_w3c() const { return has_w3c_; }

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

  BackwardValues& backward() {
    BackwardValues* backward = backward_.load(std::memory_order_acquire);
    if (backward == nullptr) {
      auto fresh = std::make_unique<BackwardValues>();
      if (backward_.compare_exchange_strong(backward, fresh.get(),
                                            std::memory_order_acq_rel)) {
        backward = fresh.release();
      }
    }
    return *backward;
  }
  const BackwardValues* backward_if_any() const {
    return backward_.load(std::memory_order_acquire);
  }

  // Cancellation; see SessionAccess.
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

  absl::Status cancel_status() const {
    SpinLockHolder hold(&cancel_lock_);
    return cancel_status_;
  }

  // Returns false if cancelled already; else registers `target`, and lists
  // the session with the cancel watcher if it needs watching.
  bool AddTarget(const CancelTarget& target) {
    SpinLockHolder hold(&cancel_lock_);
    if (!cancel_status_.ok()) return false;
    if (target.ops->registration_holds_ref()) target.ops->Ref(target.call);
    targets_.push_back(target);
    if (!watch_node_.listed() &&
        (poller_ != nullptr || deadline_ != absl::InfiniteFuture() ||
         target.deadline != absl::InfiniteFuture())) {
      StartWatching(&watch_node_);
    }
    return true;
  }

  void RemoveTarget(void* call) {
    CancelTarget removed;
    {
      SpinLockHolder hold(&cancel_lock_);
      auto it =
          std::find_if(targets_.begin(), targets_.end(),
                       [&](const CancelTarget& t) { return t.call == call; });
      if (it == targets_.end()) return;
      removed = *it;
      targets_.erase(it);
      if (targets_.empty() && watch_node_.listed()) StopWatching(&watch_node_);
    }
    if (removed.ops->registration_holds_ref()) {
      removed.ops->Unref(removed.call);
    }
  }

  std::vector<bool> TargetsHoldRef() {
    SpinLockHolder hold(&cancel_lock_);
    std::vector<bool> out;
    for (const CancelTarget& t : targets_) {
      out.push_back(t.ops->registration_holds_ref());
    }
    return out;
  }

  size_t Cancel(absl::Status why) {
    if (absl::IsCancelled(why) && absl::Now() >= deadline_ - kDeadlineSlack) {
      why = RequestDeadlinePassed();  // see kDeadlineSlack
    }
    absl::InlinedVector<CancelTarget, 4> hold;
    {
      SpinLockHolder hold_lock(&cancel_lock_);
      if (!cancel_status_.ok()) return 0;
      cancel_status_ = why;
      cancelled_.store(true, std::memory_order_release);
      for (const CancelTarget& t : targets_) {
        t.ops->Ref(t.call);
        hold.push_back(t);
      }
    }
    // Outside the lock: cancelling may run the calls' completions (and user
    // code that makes more calls under this session) on this thread.
    for (const CancelTarget& t : hold) {
      t.ops->Cancel(t.call, why);
      t.ops->Unref(t.call);
    }
    return hold.size();
  }

  void AttachPoller(CancelPoller* poller) {
    SpinLockHolder hold(&cancel_lock_);
    poller_ = poller;
  }

  void DetachPoller() {
    const std::thread::id self = std::this_thread::get_id();
    for (;;) {
      {
        SpinLockHolder hold(&cancel_lock_);
        poller_ = nullptr;
        if (polling_thread_ == std::thread::id() || polling_thread_ == self) {
          return;
        }
      }
      std::this_thread::yield();  // a poll is running on the watcher
    }
  }

  size_t WatchPass(absl::Time now, bool poll) {
    CancelPoller* poller = nullptr;
    {
      SpinLockHolder hold(&cancel_lock_);
      if (targets_.empty() || !cancel_status_.ok()) {
        if (watch_node_.listed()) StopWatching(&watch_node_);
        return 0;
      }
      if (poll) poller = poller_;
      if (poller != nullptr) polling_thread_ = std::this_thread::get_id();
    }
    size_t cancelled = 0;
    if (poller != nullptr) {
      const bool was_cancelled = poller->PollCancelled();
      {
        SpinLockHolder hold(&cancel_lock_);
        polling_thread_ = std::thread::id();
      }
      if (was_cancelled) {
        cancelled += Cancel(
            absl::CancelledError("gls: the incoming request was cancelled"));
      }
    }
    if (deadline_ <= now) {
      cancelled += Cancel(RequestDeadlinePassed());
    }
    absl::InlinedVector<CancelTarget, 4> due;
    {
      SpinLockHolder hold(&cancel_lock_);
      // A cancelled session cancelled every target already.
      for (CancelTarget& t : targets_) {
        if (!cancel_status_.ok()) break;
        if (t.deadline <= now) {
          t.ops->Ref(t.call);
          due.push_back(t);
          t.deadline = absl::InfiniteFuture();  // fires once
        }
      }
    }
    const absl::Status handler_deadline = absl::DeadlineExceededError(
        "gls: the deadline of the context the BackupHandler returned passed");
    for (const CancelTarget& t : due) {
      t.ops->Cancel(t.call, handler_deadline);
      t.ops->Unref(t.call);
    }
    cancelled += due.size();

    // Unlisted once nothing is left to watch for; a later call lists it again.
    SpinLockHolder hold(&cancel_lock_);
    bool needed = !targets_.empty() && cancel_status_.ok() &&
                  (poller_ != nullptr || deadline_ != absl::InfiniteFuture());
    for (const CancelTarget& t : targets_) {
      if (t.deadline != absl::InfiniteFuture()) needed = true;
    }
    if (!needed && watch_node_.listed()) StopWatching(&watch_node_);
    return cancelled;
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
  const bool has_persistent_;
  const bool has_w3c_;
  mutable SpinLock lock_;
  // The request's metadata as gRPC holds it, until sealed.
  const ContextSource* source_ ABSL_GUARDED_BY(lock_) = nullptr;
  // &storage_ once built; storage_ is written once, under lock_, before.
  mutable std::atomic<const Context*> built_{nullptr};
  mutable Context storage_;
  std::atomic<bool> ended_{false};
  std::atomic<ValueTable*> values_{nullptr};
  std::atomic<Inheritors*> inheritors_{nullptr};
  std::atomic<BackwardValues*> backward_{nullptr};

  // Cancellation. Most requests register a call or two: no allocation.
  mutable SpinLock cancel_lock_;
  std::atomic<bool> cancelled_{false};
  absl::Status cancel_status_ ABSL_GUARDED_BY(cancel_lock_);
  absl::InlinedVector<CancelTarget, 2> targets_ ABSL_GUARDED_BY(cancel_lock_);
  CancelPoller* poller_ ABSL_GUARDED_BY(cancel_lock_) = nullptr;
  // The thread inside poller_->PollCancelled(), if any.
  std::thread::id polling_thread_ ABSL_GUARDED_BY(cancel_lock_);
  // The cancel watcher's link; listed and unlisted under cancel_lock_.
  WatchNode watch_node_{this};
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

// allocate_shared puts the state and its control block (libstdc++: a vtable
// pointer and two 32-bit counts) in one allocation, which must fit a
// recycled block or every request would malloc its session.
static_assert(sizeof(SessionState) + sizeof(void*) + 2 * sizeof(int32_t) <=
                  kRecycledBlockSize,
              "a session state no longer fits a recycled block");

Session SessionAccess::NewLazy(const ContextSource* source, absl::Time deadline,
                               bool has_persistent, bool has_w3c) {
  Session session;
  session.state_ = std::allocate_shared<SessionState>(
      RecyclingAllocator<SessionState>(), source, deadline, has_persistent,
      has_w3c);
  return session;
}

bool SessionAccess::HasPersistent(const Session& session) {
  return session.state_ != nullptr && session.state_->has_persistent();
}

bool SessionAccess::HasW3c(const Session& session) {
  return session.state_ != nullptr && session.state_->has_w3c();
}

void SessionAccess::Seal(const Session& session) {
  if (session.state_ == nullptr) return;
  // The caller's own copy is one; any other may be read after the request.
  session.state_->Seal(/*build=*/session.state_.use_count() > 1);
}

absl::Time SessionAccess::Deadline(const Session& session) {
  return session.state_ == nullptr || session.detached_
             ? absl::InfiniteFuture()
             : session.state_->deadline();
}

bool SessionAccess::Cancellable(const Session& session) {
  return session.state_ != nullptr && !session.detached_;
}

bool SessionAccess::AddCancelTarget(const Session& session,
                                    CancelTarget target) {
  if (!Cancellable(session)) return true;
  return session.state_->AddTarget(target);
}

void SessionAccess::RemoveCancelTarget(const Session& session, void* call) {
  if (Cancellable(session)) session.state_->RemoveTarget(call);
}

std::vector<bool> SessionAccess::TargetsHoldRefForTest(const Session& session) {
  return Cancellable(session) ? session.state_->TargetsHoldRef()
                              : std::vector<bool>();
}

size_t SessionAccess::Cancel(const Session& session, const absl::Status& why) {
  return Cancellable(session) ? session.state_->Cancel(why) : 0;
}

absl::Status SessionAccess::CancelStatus(const Session& session) {
  return Cancellable(session) ? session.state_->cancel_status()
                              : absl::OkStatus();
}

void SessionAccess::AttachPoller(const Session& session, CancelPoller* poller) {
  if (Cancellable(session)) session.state_->AttachPoller(poller);
}

void SessionAccess::DetachPoller(const Session& session) {
  if (Cancellable(session)) session.state_->DetachPoller();
}

std::weak_ptr<SessionState> SessionAccess::Weak(const Session& session) {
  return session.state_;
}

Session SessionAccess::Lock(const std::weak_ptr<SessionState>& weak) {
  Session session;
  session.state_ = weak.lock();
  return session;
}

Session SessionAccess::LockState(SessionState* state) {
  Session session;
  session.state_ = state->weak_from_this().lock();
  return session;
}

size_t SessionAccess::WatchPass(const Session& session, absl::Time now,
                                bool poll) {
  return Cancellable(session) ? session.state_->WatchPass(now, poll) : 0;
}

std::vector<std::pair<std::string, std::string>> SessionAccess::BackwardToSend(
    const Session& session) {
  std::vector<std::pair<std::string, std::string>> out;
  if (session.state_ == nullptr) return out;
  const BackwardValues* backward = session.state_->backward_if_any();
  if (backward == nullptr) return out;
  for (auto& kv : backward->to_send()) out.push_back(std::move(kv));
  return out;
}

void SessionAccess::AddReceivedBackward(const Session& session, std::string key,
                                        std::string value) {
  if (session.state_ == nullptr) return;
  session.state_->backward().AddReceived(std::move(key), std::move(value));
}

std::vector<std::pair<std::string, std::string>>
SessionAccess::BackwardReceived(const Session& session) {
  std::vector<std::pair<std::string, std::string>> out;
  if (session.state_ == nullptr) return out;
  const BackwardValues* backward = session.state_->backward_if_any();
  if (backward == nullptr) return out;
  for (auto& kv : backward->received()) out.push_back(std::move(kv));
  return out;
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

bool Session::IsCancelled() const {
  return state_ != nullptr && !detached_ && state_->cancelled();
}

Session Session::Detach() const {
  Session copy = *this;
  copy.detached_ = state_ != nullptr;
  return copy;
}

bool Session::SetBackwardValue(absl::string_view key,
                               absl::string_view value) const {
  if (state_ == nullptr || key.empty()) return false;
  state_->backward().SetToSend(CanonicalKey(key), std::string(value));
  return true;
}

std::optional<std::string> Session::GetBackwardValue(
    absl::string_view key) const {
  if (state_ == nullptr) return std::nullopt;
  const session_internal::BackwardValues* backward = state_->backward_if_any();
  if (backward == nullptr) return std::nullopt;
  return backward->FindReceived(CanonicalKey(key));
}

std::map<std::string, std::string> Session::RecvAllBackwardValues() const {
  if (state_ == nullptr) return {};
  const session_internal::BackwardValues* backward = state_->backward_if_any();
  return backward == nullptr ? std::map<std::string, std::string>()
                             : backward->received();
}

const Context& Session::context() const {
  static const Context* const kEmpty = new Context();
  return state_ == nullptr ? *kEmpty : state_->context();
}

}  // namespace gls
