#include "gls/session/stats.h"

#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

// The counters, in stripes: each thread adds to one stripe (chosen at its
// first Add, round robin) with a relaxed atomic add, and GetStats sums the
// stripes. Nothing is set up or torn down per thread: gRPC's sync server
// starts and ends threads all the time under load (rpc_benchmark at
// concurrency 8: about two thread starts per three requests), and a
// per-thread block registered under a lock at a thread's first count and
// retired at its exit cost more than the counting itself. Stripes are
// cache-line aligned, so threads on different stripes share no line.
constexpr int kStripes = 16;

struct alignas(ABSL_CACHELINE_SIZE) Stripe {
  constexpr Stripe() : counts{} {}
  std::atomic<uint64_t> counts[kCounters];
};

// Zero-initialized before any code runs and never destroyed (trivially
// destructible): counting works during static initialization and
// destruction, and from exiting threads.
ABSL_CONST_INIT Stripe stripes[kStripes];

// The calling thread's stripe, or -1 before its first Add. Trivially
// destructible: no exit hook.
ABSL_CONST_INIT thread_local int tls_stripe = -1;

ABSL_ATTRIBUTE_NOINLINE int AssignStripe() {
  ABSL_CONST_INIT static std::atomic<uint32_t> next{0};
  tls_stripe =
      static_cast<int>(next.fetch_add(1, std::memory_order_relaxed) % kStripes);
  return tls_stripe;
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
  if (n == 0) return;
  int stripe = tls_stripe;
  if (ABSL_PREDICT_FALSE(stripe < 0)) stripe = AssignStripe();
  stripes[stripe].counts[index].fetch_add(n, std::memory_order_relaxed);
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
  StatsSnapshot stats;
  for (int i = 0; i < kCounters; ++i) {
    uint64_t sum = 0;
    for (const stats_internal::Stripe& stripe : stats_internal::stripes) {
      sum += stripe.counts[i].load(std::memory_order_relaxed);
    }
    stats.*stats_internal::kFields[i].member = sum;
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
