// benchmarks/scale_phases.h
//
// scale_benchmark's phases, over callback chains (callback_chain.h), one per
// mode, sharing one callback leaf:
//
//   1. CheckCallback: one request with metainfo through a mode's chain; the
//      leaf must get exactly the persistent values in the manual modes and
//      gls, none in the others.
//   2. RunScaleLoad: for each concurrency, options.rounds rounds; in each,
//      every mode of options.modes keeps `concurrency` calls in flight for
//      slice_ms, in an order that rotates every round, or, with
//      options.interleave_rpcs, the modes share one closed loop of
//      `concurrency` calls for slice_ms x modes, interleaved by RPC
//      (RunInterleavedClosedLoop; warmed up the same way). Requests carry
//      the metainfo of rpc_benchmark (3 persistent values, 1 transient).
//   3. RunGrowth: manual-propagate and gls at growth_concurrency, at every
//      point (a number of persistent values of 16 B each, or the size of one
//      value); growth_rounds rounds, each running every point and mode once,
//      in an order that rotates every round.
//   4. MeasureMemory (in a child process per mode and run): RSS and heap in
//      use before and with options.in_flight requests held by the leaf, per
//      request.
//
// Example:
//
//   std::vector<gls_bench::ScaleLoad> load =
//       gls_bench::RunScaleLoad(chains, options);
//
// Thread-safety: one phase at a time.

#ifndef GLS_BENCHMARKS_SCALE_PHASES_H_
#define GLS_BENCHMARKS_SCALE_PHASES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gls/benchmarks/callback_chain.h"
#include "gls/benchmarks/scale_flags.h"
#include "gls/benchmarks/stats.h"

namespace gls_bench {

using CallbackChains = std::map<Mode, std::unique_ptr<CallbackChain>>;

// Phase 1. Prints what is wrong to stderr and returns false if the chain does
// not forward what its mode should.
bool CheckCallback(const CallbackChain& chain);

// Phase 2's figures at one concurrency: each mode's LoadResult (in the order
// of options.modes), and gls compared with manual-propagate (if both ran).
struct ScaleLoad {
  int concurrency = 0;
  std::vector<LoadResult> modes;
  std::optional<Comparison> gls_vs_propagate;
};
std::vector<ScaleLoad> RunScaleLoad(const CallbackChains& chains,
                                    const ScaleOptions& options);

// Phase 3's figures at one point.
struct GrowthPoint {
  int values = 0;               // persistent values per request
  int value_size = 0;           // bytes each
  double propagate_cpu_us = 0;  // manual-propagate's CPU per RPC (median)
  double gls_cpu_us = 0;        // gls's
  Comparison gls_vs_propagate;
  int64_t failures = 0;  // of both modes
};
// The series by number of values, then by size (one value each).
std::vector<GrowthPoint> RunGrowth(const CallbackChains& chains,
                                   const ScaleOptions& options);

// Phase 4's figures of one process.
struct MemoryResult {
  Mode mode = Mode::kPlain;
  int in_flight = 0;
  double rss_bytes_per_request = 0;
  double heap_bytes_per_request = 0;
  int64_t failures = 0;
};
// In the child process: starts a leaf and `mode`'s chain, warms it up, holds
// options.in_flight requests and measures.
MemoryResult MeasureMemory(Mode mode, const ScaleOptions& options);
// In the parent: runs `argv0` with --memory_mode for every mode of
// options.modes, memory_runs times each, in turn; the median per mode. Exits
// with status 1 if a child fails.
std::vector<MemoryResult> RunMemory(const std::string& argv0,
                                    const ScaleOptions& options);

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_SCALE_PHASES_H_
