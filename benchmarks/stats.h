// benchmarks/stats.h
//
// rpc_benchmark's statistics: percentiles and medians; a mode's slice of a
// round (Slice); and the figures of each mode, made from a concurrency's
// rounds (LoadResult: absolute figures pooling every round, comparisons with
// plain and with manual as medians over rounds of the comparison with the
// reference's slice of the same round, which cancels the machine's drift) or
// from the allocation rounds (AllocResult).
//
// Example:
//
//   double p99 = gls_bench::Percentile(latencies_us, 0.99);
//   double mid = gls_bench::Median({3.0, 1.0, 2.0});  // 2.0
//   // slices[m][round]: mode modes[m]'s slice of each round; modes[0] is
//   // plain.
//   std::vector<gls_bench::LoadResult> results =
//       gls_bench::SummarizeLoad(/*concurrency=*/8, modes, slices);
//   double x_plain = results[2].vs_plain.throughput;  // modes[2] x plain
//   if (results[2].vs_manual.has_value()) {  // manual is one of `modes`
//     double x_manual = results[2].vs_manual->throughput;
//   }

#ifndef GLS_BENCHMARKS_STATS_H_
#define GLS_BENCHMARKS_STATS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "gls/benchmarks/chain_mode.h"

namespace gls_bench {

// The value at rank p * (n - 1) (rounded down) of `values`, p in [0, 1]; 0 for
// no values.
double Percentile(std::vector<double> values, double p);

// The median of `values` (the mean of the middle two for an even count); 0 for
// no values.
double Median(std::vector<double> values);

// a / b, or 0 if b is not positive.
double Ratio(double a, double b);

// One mode's slice of one round.
struct Slice {
  int64_t rpcs = 0;
  int64_t failures = 0;
  double seconds = 0;
  double cpu_seconds = 0;        // the whole process's
  int64_t context_switches = 0;  // the whole process's
  std::vector<double> latencies_us;

  double throughput() const { return seconds > 0 ? rpcs / seconds : 0; }
  double cpu_us_per_rpc() const {
    return rpcs > 0 ? cpu_seconds * 1e6 / rpcs : 0;
  }
};

// One mode compared with a reference mode (plain or manual): medians over
// rounds of the per-round comparison with the reference's slice of the same
// round (adjacent in time), which cancels the machine's drift. The per-round
// figures are kept in round order; a round where the reference ran no RPC
// gives no ratio.
struct Comparison {
  double throughput = 1;    // median of per-round throughput ratios
  double p50_added_us = 0;  // median of per-round p50 differences
  double cpu = 1;           // median of per-round CPU-per-RPC ratios
  std::vector<double> round_throughput;
  std::vector<double> round_p50_added_us;
  std::vector<double> round_cpu;
};

// The comparison of `slices` (one mode's slice of each round) with
// `reference` (the reference mode's slices of the same rounds).
Comparison Compare(const std::vector<Slice>& slices,
                   const std::vector<Slice>& reference);

// One mode at one concurrency. Absolute figures pool every slice; the
// comparisons to plain and manual are medians over rounds of the per-round
// comparison with the reference's slice of the same round (see Comparison);
// p99_vs_plain alone compares pooled figures.
struct LoadResult {
  int concurrency = 0;
  Mode mode = Mode::kPlain;
  int64_t rpcs = 0;
  int64_t failures = 0;
  double seconds = 0;
  double throughput = 0;  // RPCs per second
  double p50_us = 0;
  double p99_us = 0;
  double cpu_us_per_rpc = 0;
  double switches_per_rpc = 0;
  double p99_vs_plain = 1;  // pooled p99 / plain's pooled p99
  Comparison vs_plain;
  // Set if manual ran in the same rounds.
  std::optional<Comparison> vs_manual;
};

// The LoadResult of each of `modes` (modes[0] is plain) at `concurrency`, from
// slices[m][round], the slice of modes[m] in each round (every mode has the
// same number of rounds). Compares every mode with plain, and with manual if
// `modes` holds it. In the order of `modes`.
std::vector<LoadResult> SummarizeLoad(
    int concurrency, const std::vector<Mode>& modes,
    const std::vector<std::vector<Slice>>& slices);

// One mode's allocations per RPC, for requests with or without metainfo.
struct AllocResult {
  bool metainfo = false;
  Mode mode = Mode::kPlain;
  std::vector<double> per_rpc_rounds;
  double per_rpc = 0;  // median over rounds
  int64_t failures = 0;
};

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_STATS_H_
