// gls/session/stats.h
//
// gls's observability: process-wide counters of what context backup did, and
// an opt-in trace log.
//
// Counters. Every layer of gls counts its events (a request bound to a
// session, a header dropped over budget, a BackupHandler that threw, ...) in
// process-wide counters that only grow. `GetStats` returns their current
// values; `FormatStats` makes one log line of them. A program exports them
// to its own metrics system by polling GetStats (e.g. from its /metrics
// handler) and reporting the differences between two snapshots.
//
// Trace log. With the environment variable GLS_TRACE=1 (also true, yes, on),
// gls writes one line per event it traces through gls's log sink (log.h),
// each starting with "trace: ". The variable is read once, on first use; a
// value gls does not understand leaves tracing off and is reported through
// gls::LogError (and counted in `environment_errors`).
//
// Example:
//
//   gls::StatsSnapshot before = gls::GetStats();
//   ...  // serve for a while
//   gls::StatsSnapshot now = gls::GetStats();
//   uint64_t restored = now.values_restored - before.values_restored;
//   gls::LogError(gls::FormatStats(now));  // or the program's own log
//   // requests_bound=3 backups_applied=2 values_restored=4 dropped_by_budget=0
//   // ... backward_values_carried=0
//
// Inside gls (namespace gls::stats_internal, not for use outside the
// library), a hot path counts and traces so:
//
//   stats_internal::Add(stats_internal::Counter::kValuesRestored, added);
//   if (stats_internal::TraceEnabled()) {
//     stats_internal::Trace(absl::StrCat("restored ", added, " values"));
//   }
//
// Cost. `Add` is one relaxed atomic add to one of 16 cache-line-aligned
// stripes of counters (the calling thread's, chosen round robin at its first
// Add); there is no lock and nothing to set up or tear down per thread, so
// servers that start and end threads all the time pay nothing for it.
// GetStats sums the stripes without a lock.
// `TraceEnabled` is one relaxed atomic load and a branch once the variable
// has been read. benchmarks/session_benchmark.cc measures both (BM_StatsAdd,
// BM_TraceEnabledOff).
//
// Thread-safety: StatsSnapshot is a plain value (thread-compatible); every
// function here is thread-safe, also during static destruction and from
// exiting threads.

#ifndef GLS_SESSION_STATS_H_
#define GLS_SESSION_STATS_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gls {

// The environment variable that turns the trace log on.
inline constexpr char kTraceEnvVar[] = "GLS_TRACE";

// The process-wide counters at one moment. A plain value (thread-compatible).
struct StatsSnapshot {
  // Server requests bound to a session.
  uint64_t requests_bound = 0;
  // Outbound calls where context backup changed or checked what the call
  // sends (the BackupHandler was called or the fallback ran).
  uint64_t backups_applied = 0;
  // Persistent values and allowlisted headers added to outbound calls.
  uint64_t values_restored = 0;
  // Headers dropped over max_added_bytes (forward or backward).
  uint64_t dropped_by_budget = 0;
  // Values removed by strip_persistent lists.
  uint64_t dropped_by_list = 0;
  // Headers dropped because gRPC would reject them, and invalid keys.
  uint64_t dropped_invalid = 0;
  // BackupHandler calls that threw.
  uint64_t handler_errors = 0;
  // Bad fields of CLOUDWEGO_SESSION_CONFIG_KEY and bad values of GLS_TRACE.
  uint64_t environment_errors = 0;
  // Sessions of async=true servers that ended while threads inheriting them
  // still ran.
  uint64_t inheritance_warnings = 0;
  // Outbound calls cancelled because their request was cancelled or its
  // deadline passed.
  uint64_t cancellations_propagated = 0;
  // Backward values received from downstream or sent upstream.
  uint64_t backward_values_carried = 0;
};

// The process-wide counters, summed over threads (live and exited). Each
// counter is at least its value in any snapshot taken before (counters only
// grow); events counted concurrently with the call may or may not be in it,
// so two counters of one snapshot need not be from the same instant.
StatsSnapshot GetStats();

// One line naming every field in declaration order, e.g.
// "requests_bound=3 backups_applied=2 values_restored=4 ...
// backward_values_carried=0".
std::string FormatStats(const StatsSnapshot& stats);

// Internal to gls; not for use outside the library.
namespace stats_internal {

// One per field of StatsSnapshot, in the same order.
enum class Counter : int {
  kRequestsBound,
  kBackupsApplied,
  kValuesRestored,
  kDroppedByBudget,
  kDroppedByList,
  kDroppedInvalid,
  kHandlerErrors,
  kEnvironmentErrors,
  kInheritanceWarnings,
  kCancellationsPropagated,
  kBackwardValuesCarried,
  kCount,  // not a counter
};

// Adds `n` to counter `c` (not kCount): one relaxed atomic add to the calling
// thread's stripe; nothing when `n` is 0.
void Add(Counter c, uint64_t n = 1);

// Parses a value of GLS_TRACE: "", "0", "false", "no", "off" are off; "1",
// "true", "yes", "on" are on (case-insensitive, surrounding spaces ignored).
// Anything else: InvalidArgument naming the variable and the quoted value,
// and `*on` is set to false.
absl::Status ParseTraceFlag(absl::string_view value, bool* on);

// Reads GLS_TRACE now: true if it is set to an "on" value. A bad value is
// logged (gls::LogError, one line) and counted in environment_errors, and
// tracing stays off. TraceEnabled() calls it once, at its first use.
bool TraceFlagFromEnvironment();

// What TraceEnabled() loads: kTraceUnread until the variable is read.
inline constexpr int kTraceUnread = 0;
inline constexpr int kTraceOff = 1;
inline constexpr int kTraceOn = 2;
extern std::atomic<int> trace_state;

// Reads the variable (once per process) unless the state was set meanwhile;
// returns whether tracing is on.
bool TraceEnabledSlow();

// Whether the trace log is on. Once the variable is read: one relaxed load
// and a branch.
inline bool TraceEnabled() {
  const int state = trace_state.load(std::memory_order_relaxed);
  if (ABSL_PREDICT_TRUE(state == kTraceOff)) return false;
  if (state == kTraceOn) return true;
  return TraceEnabledSlow();
}

// If tracing is on, writes "trace: " + `line` to gls's log sink (log.h) as
// one line. Build `line` only under `if (TraceEnabled())`.
void Trace(absl::string_view line);

// Turns tracing on or off for the rest of the process, whatever GLS_TRACE
// says (if the variable was not read yet, it never is). For tests and
// benchmarks.
void SetTraceEnabledForTest(bool on);

}  // namespace stats_internal
}  // namespace gls

#endif  // GLS_SESSION_STATS_H_
