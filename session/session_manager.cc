#include "gls/session/session_manager.h"

#include <atomic>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gls/session/internal/mutex_lock.h"
#include "gls/session/internal/spin_lock.h"
#include "gls/session/log.h"
#include "gls/session/no_inherit.h"

namespace gls {

namespace session_internal {

uint64_t NewExecutionId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// One per thread that called BindSession. The owner thread binds and unbinds
// under `lock`, which only the GC thread ever contends for (CollectGarbage,
// under the shard's mutex): the per-bind path touches no shared line. The
// record is in its manager's shard from the thread's first bind until it
// exits (or binds with another manager). Thread-safe.
struct ThreadRecord {
  const uint64_t id = NewExecutionId();
  // Written under the shard's mutex, by the owner (Register, Deregister) or
  // by ~SessionManager; read by the owner without it.
  std::atomic<SessionManager*> manager{nullptr};
  std::atomic<const Session*>* const current = &tls_current;
  SpinLock lock;
  Session bound ABSL_GUARDED_BY(lock);

  ~ThreadRecord() {
    SessionManager* m = manager.load(std::memory_order_acquire);
    if (m != nullptr) m->Deregister(this);
    // No other thread can reach the record now.
    const Session* self = &bound;
    current->compare_exchange_strong(self, nullptr);
  }
};

thread_local ThreadRecord tls_record;

}  // namespace session_internal

using session_internal::SpinLockHolder;
using session_internal::ThreadRecord;

struct alignas(64) SessionManager::Shard {
  mutable absl::Mutex mu;
  absl::flat_hash_map<uint64_t, ThreadRecord*> records ABSL_GUARDED_BY(mu);
};

namespace {

// Options from code are checked by the same rule as the environment's
// (ValidateSessionOptions): a bad field is logged and replaced by its
// default instead of crashing the process.
SessionOptions Sanitized(const SessionOptions& options) {
  absl::Status status = ValidateSessionOptions(options);
  if (status.ok()) return options;
  const SessionOptions defaults;
  SessionOptions fixed = options;
  SessionOptions probe = defaults;
  probe.shard_number = options.shard_number;
  if (!ValidateSessionOptions(probe).ok()) {
    fixed.shard_number = defaults.shard_number;
  }
  probe = defaults;
  probe.gc_interval = options.gc_interval;
  if (!ValidateSessionOptions(probe).ok()) {
    fixed.gc_interval = defaults.gc_interval;
  }
  LogError(absl::StrCat(status.message(), "; using shard_number ",
                        fixed.shard_number, ", gc_interval ",
                        absl::FormatDuration(fixed.gc_interval)));
  return fixed;
}

}  // namespace

SessionManager::SessionManager(const SessionOptions& options)
    : options_(Sanitized(options)), shards_(new Shard[options_.shard_number]) {
  NoInheritScope no_inherit;
  gc_thread_ = std::thread([this] { GcLoop(); });
}

SessionManager::~SessionManager() {
  StopGc();
  for (int i = 0; i < options_.shard_number; ++i) {
    session_internal::MutexLock lock(&shards_[i].mu);
    for (auto& entry : shards_[i].records) {
      entry.second->manager.store(nullptr, std::memory_order_release);
    }
  }
}

namespace {

// The default manager, created by the first call: with `code` overridden by
// the environment, or (code == nullptr) with plain defaults. Never destroyed:
// threads may bind and exit during static destruction; the holder's
// destructor stops the GC thread at exit.
SessionManager& DefaultManager(const SessionOptions* code) {
  struct Holder {
    SessionManager* manager;
    ~Holder() { manager->StopGc(); }
  };
  static Holder holder{new SessionManager(
      code == nullptr ? SessionOptions()
                      : SessionOptionsFromEnvironment(*code))};
  return *holder.manager;
}

}  // namespace

SessionManager& SessionManager::InitDefault(const SessionOptions& code) {
  return DefaultManager(&code);
}

SessionManager& SessionManager::Default() { return DefaultManager(nullptr); }

SessionManager::Shard& SessionManager::ShardFor(uint64_t id) const {
  return shards_[id % static_cast<uint64_t>(options_.shard_number)];
}

void SessionManager::Register(ThreadRecord* record) {
  Shard& shard = ShardFor(record->id);
  session_internal::MutexLock lock(&shard.mu);
  shard.records[record->id] = record;
  record->manager.store(this, std::memory_order_release);
}

void SessionManager::Deregister(ThreadRecord* record) {
  Shard& shard = ShardFor(record->id);
  session_internal::MutexLock lock(&shard.mu);
  shard.records.erase(record->id);
  record->manager.store(nullptr, std::memory_order_release);
}

void SessionManager::BindSession(Session session) {
  ThreadRecord& record = session_internal::tls_record;
  SessionManager* registered = record.manager.load(std::memory_order_acquire);
  if (ABSL_PREDICT_FALSE(registered != this)) {
    // Once per thread (and per change of manager): the only shared lock.
    if (registered != nullptr) registered->Deregister(&record);
    Register(&record);
  }
  {
    SpinLockHolder hold(&record.lock);
    // The previous binding goes out in `session`, released after the lock.
    std::swap(record.bound, session);
    record.current->store(&record.bound, std::memory_order_relaxed);
  }
}

void SessionManager::UnbindSession() {
  ThreadRecord& record = session_internal::tls_record;
  Session old;  // released after the lock
  {
    SpinLockHolder hold(&record.lock);
    // Only this thread and (under `lock`) the GC thread write `current`.
    if (record.current->load(std::memory_order_relaxed) == &record.bound) {
      record.current->store(nullptr, std::memory_order_relaxed);
    }
    old = std::exchange(record.bound, Session());
  }
}

size_t SessionManager::CollectGarbage() {
  size_t cleared = 0;
  for (int i = 0; i < options_.shard_number; ++i) {
    session_internal::MutexLock lock(&shards_[i].mu);
    for (auto& entry : shards_[i].records) {
      ThreadRecord* record = entry.second;
      SpinLockHolder hold(&record->lock);
      if (record->bound.empty() || record->bound.IsValid()) continue;
      // Only unbind if the thread still sees this binding (not a scope on
      // top of it); the owner frees the session itself at its next bind,
      // unbind or exit. A compare-exchange: the owner's scopes store
      // `current` without the lock.
      const Session* self = &record->bound;
      if (record->current->compare_exchange_strong(self, nullptr)) ++cleared;
    }
  }
  return cleared;
}

size_t SessionManager::RegisteredThreads() const {
  size_t n = 0;
  for (int i = 0; i < options_.shard_number; ++i) {
    session_internal::MutexLock lock(&shards_[i].mu);
    n += shards_[i].records.size();
  }
  return n;
}

void SessionManager::StopGc() {
  {
    session_internal::MutexLock lock(&gc_mu_);
    gc_stop_ = true;
    gc_cv_.SignalAll();
  }
  if (gc_thread_.joinable()) gc_thread_.join();
}

void SessionManager::GcLoop() {
  absl::Time next = absl::Now() + options_.gc_interval;
  while (true) {
    {
      session_internal::MutexLock lock(&gc_mu_);
      while (!gc_stop_ && absl::Now() < next) {
        session_internal::WaitWithTimeout(&gc_cv_, &gc_mu_, next - absl::Now());
      }
      if (gc_stop_) return;
    }
    CollectGarbage();
    next = absl::Now() + options_.gc_interval;
  }
}

void BindSession(Session session) {
  SessionManager::Default().BindSession(std::move(session));
}

void UnbindSession() { SessionManager::Default().UnbindSession(); }

}  // namespace gls
