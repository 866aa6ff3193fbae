#include "gls/session/stats.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/internal/mutex_lock.h"
#include "gls/session/log.h"

namespace gls {
namespace stats_internal {

ABSL_CONST_INIT std::atomic<int> trace_state{kTraceUnread};

namespace {

constexpr int kCounters = static_cast<int>(Counter::kCount);

// The fields of StatsSnapshot in Counter order, with their names.
struct Field {
  const char* name;
  uint64_t StatsSnapshot::*member;
};
constexpr Field kFields[] = {
    {"requests_bound", &StatsSnapshot::requests_bound},
    {"backups_applied", &StatsSnapshot::backups_applied},
    {"values_restored", &StatsSnapshot::values_restored},
    {"dropped_by_budget", &StatsSnapshot::dropped_by_budget},
    {"dropped_by_list", &StatsSnapshot::dropped_by_list},
    {"dropped_invalid", &StatsSnapshot::dropped_invalid},
    {"handler_errors", &StatsSnapshot::handler_errors},
    {"environment_errors", &StatsSnapshot::environment_errors},
    {"inheritance_warnings", &StatsSnapshot::inheritance_warnings},
    {"cancellations_propagated", &StatsSnapshot::cancellations_propagated},
    {"backward_values_carried", &StatsSnapshot::backward_values_carried},
};
static_assert(sizeof(kFields) / sizeof(kFields[0]) == kCounters,
              "one kFields entry per Counter");
static_assert(sizeof(StatsSnapshot) == kCounters * sizeof(uint64_t),
              "one Counter per StatsSnapshot field");

// One thread's counters. Only the owner thread writes them, with a relaxed
// load and store (no read-modify-write: nobody else writes); GetStats reads
// them. Cache-line aligned, so no other thread's data shares its lines.
struct alignas(ABSL_CACHELINE_SIZE) ThreadBlock {
  ThreadBlock() {
    for (std::atomic<uint64_t>& c : counts) {
      c.store(0, std::memory_order_relaxed);
    }
  }
  std::atomic<uint64_t> counts[kCounters];
};

// The blocks of live threads, and the totals of the threads that exited.
// Never destroyed (GetRegistry leaks it): threads may count and exit during
// static destruction. Thread-safe.
struct Registry {
  absl::Mutex mu;
  uint64_t retired[kCounters] ABSL_GUARDED_BY(mu) = {};
  std::vector<ThreadBlock*> live ABSL_GUARDED_BY(mu);
};

Registry& GetRegistry() {
  static Registry* const registry = new Registry();
  return *registry;
}

// The calling thread's block: null until its first Add and once it was
// retired. Trivially destructible, so it can be read at any point of thread
// exit; read on every Add.
thread_local ThreadBlock* tls_block = nullptr;

// True once the calling thread's block was retired (the thread is exiting):
// its later counts go straight to the retired totals, under the lock.
thread_local bool tls_exiting = false;

// Retires the thread's block when the thread exits: folds its counts into
// the retired totals and unregisters it, in one critical section, so
// GetStats counts every event exactly once. Touched only at the thread's
// first Add (which registers its destructor).
class BlockOwner {
 public:
  void Adopt(ThreadBlock* block) { block_ = block; }

  ~BlockOwner() {
    tls_exiting = true;
    tls_block = nullptr;
    if (block_ == nullptr) return;
    Registry& registry = GetRegistry();
    {
      session_internal::MutexLock lock(&registry.mu);
      for (int i = 0; i < kCounters; ++i) {
        registry.retired[i] +=
            block_->counts[i].load(std::memory_order_relaxed);
      }
      std::vector<ThreadBlock*>& live = registry.live;
      auto it = std::find(live.begin(), live.end(), block_);
      if (it != live.end()) {
        *it = live.back();
        live.pop_back();
      }
    }
    delete block_;
    block_ = nullptr;
  }

 private:
  ThreadBlock* block_ = nullptr;
};

thread_local BlockOwner tls_owner;

// Add's path at the thread's first call and during its exit.
ABSL_ATTRIBUTE_NOINLINE void AddSlow(int index, uint64_t n) {
  Registry& registry = GetRegistry();
  if (tls_exiting) {
    session_internal::MutexLock lock(&registry.mu);
    registry.retired[index] += n;
    return;
  }
  ThreadBlock* block = new ThreadBlock();
  block->counts[index].store(n, std::memory_order_relaxed);
  {
    session_internal::MutexLock lock(&registry.mu);
    registry.live.push_back(block);
  }
  // Registers BlockOwner's destructor for this thread. (Should a thread count
  // first after its thread_local destructors ran, e.g. from a pthread key
  // destructor, the block simply stays registered: still counted, leaked.)
  tls_owner.Adopt(block);
  tls_block = block;
}

// The outcome of reading GLS_TRACE, computed once per process.
struct TraceEnvironment {
  bool on = false;
  absl::Status status;  // not OK: a bad value, to report
};

TraceEnvironment ReadTraceEnvironment() {
  TraceEnvironment env;
  const char* value = std::getenv(kTraceEnvVar);
  if (value != nullptr) env.status = ParseTraceFlag(value, &env.on);
  return env;
}

void ReportTraceFlagError(const absl::Status& status) {
  LogError(status.message());
  Add(Counter::kEnvironmentErrors);
}

}  // namespace

void Add(Counter c, uint64_t n) {
  const int index = static_cast<int>(c);
  assert(index >= 0 && index < kCounters);
  ThreadBlock* const block = tls_block;
  if (ABSL_PREDICT_FALSE(block == nullptr)) {
    AddSlow(index, n);
    return;
  }
  std::atomic<uint64_t>& cell = block->counts[index];
  cell.store(cell.load(std::memory_order_relaxed) + n,
             std::memory_order_relaxed);
}

absl::Status ParseTraceFlag(absl::string_view value, bool* on) {
  *on = false;
  const absl::string_view v = absl::StripAsciiWhitespace(value);
  for (absl::string_view off : {"", "0", "false", "no", "off"}) {
    if (absl::EqualsIgnoreCase(v, off)) return absl::OkStatus();
  }
  for (absl::string_view yes : {"1", "true", "yes", "on"}) {
    if (absl::EqualsIgnoreCase(v, yes)) {
      *on = true;
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      kTraceEnvVar, ": bad value ", QuoteForLog(value),
      " (expected 1, true, yes, on or 0, false, no, off); tracing stays off"));
}

bool TraceFlagFromEnvironment() {
  TraceEnvironment env = ReadTraceEnvironment();
  if (!env.status.ok()) ReportTraceFlagError(env.status);
  return env.on;
}

bool TraceEnabledSlow() {
  // The first caller reads the variable; concurrent first callers wait for
  // it. Nothing is logged inside the initialization, so a log sink that
  // itself asks TraceEnabled() cannot re-enter it.
  static const TraceEnvironment* const env =
      new TraceEnvironment(ReadTraceEnvironment());
  int expected = kTraceUnread;
  if (trace_state.compare_exchange_strong(expected,
                                          env->on ? kTraceOn : kTraceOff,
                                          std::memory_order_relaxed) &&
      !env->status.ok()) {
    ReportTraceFlagError(env->status);  // by the one thread that set it
  }
  return trace_state.load(std::memory_order_relaxed) == kTraceOn;
}

void Trace(absl::string_view line) {
  if (!TraceEnabled()) return;
  LogError(absl::StrCat("trace: ", line));
}

void SetTraceEnabledForTest(bool on) {
  trace_state.store(on ? kTraceOn : kTraceOff, std::memory_order_relaxed);
}

}  // namespace stats_internal

StatsSnapshot GetStats() {
  using stats_internal::kCounters;
  uint64_t sums[kCounters];
  stats_internal::Registry& registry = stats_internal::GetRegistry();
  {
    session_internal::MutexLock lock(&registry.mu);
    for (int i = 0; i < kCounters; ++i) sums[i] = registry.retired[i];
    for (const stats_internal::ThreadBlock* block : registry.live) {
      for (int i = 0; i < kCounters; ++i) {
        sums[i] += block->counts[i].load(std::memory_order_relaxed);
      }
    }
  }
  StatsSnapshot stats;
  for (int i = 0; i < kCounters; ++i) {
    stats.*stats_internal::kFields[i].member = sums[i];
  }
  return stats;
}

std::string FormatStats(const StatsSnapshot& stats) {
  std::string out;
  for (const stats_internal::Field& field : stats_internal::kFields) {
    absl::StrAppend(&out, out.empty() ? "" : " ", field.name, "=",
                    stats.*field.member);
  }
  return out;
}

}  // namespace gls
