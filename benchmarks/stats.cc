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

std::vector<LoadResult> SummarizeLoad(
    int concurrency, const std::vector<Mode>& modes,
    const std::vector<std::vector<Slice>>& slices) {
  const int n = static_cast<int>(modes.size());
  std::vector<LoadResult> by_mode(n);
  for (int m = 0; m < n; ++m) {
    LoadResult& r = by_mode[m];
    r.concurrency = concurrency;
    r.mode = modes[m];
    std::vector<double> latencies;
    double cpu_seconds = 0;
    int64_t switches = 0;
    std::vector<double> throughput_ratios, p50_diffs, cpu_ratios;
    for (size_t round = 0; round < slices[m].size(); ++round) {
      const Slice& s = slices[m][round];
      const Slice& plain = slices[0][round];
      r.rpcs += s.rpcs;
      r.failures += s.failures;
      r.seconds += s.seconds;
      cpu_seconds += s.cpu_seconds;
      switches += s.context_switches;
      latencies.insert(latencies.end(), s.latencies_us.begin(),
                       s.latencies_us.end());
      if (plain.throughput() > 0 && plain.cpu_us_per_rpc() > 0) {
        throughput_ratios.push_back(s.throughput() / plain.throughput());
        cpu_ratios.push_back(s.cpu_us_per_rpc() / plain.cpu_us_per_rpc());
      }
      p50_diffs.push_back(Percentile(s.latencies_us, 0.5) -
                          Percentile(plain.latencies_us, 0.5));
    }
    r.throughput = r.seconds > 0 ? r.rpcs / r.seconds : 0;
    r.cpu_us_per_rpc = r.rpcs > 0 ? cpu_seconds * 1e6 / r.rpcs : 0;
    r.switches_per_rpc =
        r.rpcs > 0 ? static_cast<double>(switches) / r.rpcs : 0;
    r.p50_us = Percentile(latencies, 0.50);
    r.p99_us = Percentile(latencies, 0.99);
    r.round_throughput_vs_plain = throughput_ratios;
    r.round_p50_added_us = p50_diffs;
    r.throughput_vs_plain = Median(throughput_ratios);
    r.p50_added_us = Median(p50_diffs);
    r.cpu_vs_plain = Median(cpu_ratios);
    r.p99_vs_plain = by_mode[0].p99_us > 0 ? r.p99_us / by_mode[0].p99_us : 0;
  }
  return by_mode;
}

}  // namespace gls_bench
