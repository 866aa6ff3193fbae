// benchmarks/stats.cc
//
// The statistics of stats.h.

#include "gls/benchmarks/stats.h"

#include <algorithm>
#include <cstddef>

namespace gls_bench {

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  size_t k = static_cast<size_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + k, values.end());
  return values[k];
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

Comparison Compare(const std::vector<Slice>& slices,
                   const std::vector<Slice>& reference) {
  Comparison c;
  for (size_t round = 0; round < slices.size(); ++round) {
    const Slice& s = slices[round];
    const Slice& ref = reference[round];
    if (ref.throughput() > 0 && ref.cpu_us_per_rpc() > 0) {
      c.round_throughput.push_back(s.throughput() / ref.throughput());
      c.round_cpu.push_back(s.cpu_us_per_rpc() / ref.cpu_us_per_rpc());
    }
    c.round_p50_added_us.push_back(Percentile(s.latencies_us, 0.5) -
                                   Percentile(ref.latencies_us, 0.5));
  }
  c.throughput = Median(c.round_throughput);
  c.p50_added_us = Median(c.round_p50_added_us);
  c.cpu = Median(c.round_cpu);
  return c;
}

std::vector<LoadResult> SummarizeLoad(
    int concurrency, const std::vector<Mode>& modes,
    const std::vector<std::vector<Slice>>& slices) {
  const int n = static_cast<int>(modes.size());
  const int manual = static_cast<int>(
      std::find(modes.begin(), modes.end(), Mode::kManual) - modes.begin());
  std::vector<LoadResult> by_mode(n);
  for (int m = 0; m < n; ++m) {
    LoadResult& r = by_mode[m];
    r.concurrency = concurrency;
    r.mode = modes[m];
    std::vector<double> latencies;
    double cpu_seconds = 0;
    int64_t switches = 0;
    for (const Slice& s : slices[m]) {
      r.rpcs += s.rpcs;
      r.failures += s.failures;
      r.seconds += s.seconds;
      cpu_seconds += s.cpu_seconds;
      switches += s.context_switches;
      latencies.insert(latencies.end(), s.latencies_us.begin(),
                       s.latencies_us.end());
    }
    r.throughput = r.seconds > 0 ? r.rpcs / r.seconds : 0;
    r.cpu_us_per_rpc = r.rpcs > 0 ? cpu_seconds * 1e6 / r.rpcs : 0;
    r.switches_per_rpc =
        r.rpcs > 0 ? static_cast<double>(switches) / r.rpcs : 0;
    r.p50_us = Percentile(latencies, 0.50);
    r.p99_us = Percentile(latencies, 0.99);
    r.vs_plain = Compare(slices[m], slices[0]);
    if (manual < n) r.vs_manual = Compare(slices[m], slices[manual]);
    r.p99_vs_plain = by_mode[0].p99_us > 0 ? r.p99_us / by_mode[0].p99_us : 0;
  }
  return by_mode;
}

}  // namespace gls_bench
