// benchmarks/scale_report.cc
//
// The tables and JSON of scale_report.h.

#include "gls/benchmarks/scale_report.h"

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gls/benchmarks/report.h"

namespace gls_bench {
namespace {

const LoadResult* FindMode(const ScaleLoad& load, Mode mode) {
  for (const LoadResult& r : load.modes) {
    if (r.mode == mode) return &r;
  }
  return nullptr;
}

// gls's pooled p99 minus manual-propagate's, in µs (0 if either is missing).
double P99AddedVsPropagate(const ScaleLoad& load) {
  const LoadResult* gls = FindMode(load, Mode::kGls);
  const LoadResult* propagate = FindMode(load, Mode::kManualPropagate);
  if (gls == nullptr || propagate == nullptr) return 0;
  return gls->p99_us - propagate->p99_us;
}

std::string JsonComparison(const Comparison& c) {
  return absl::StrCat(
      "{\"throughput\": ", JsonDouble(c.throughput),
      ", \"p50_added_us\": ", JsonDouble(c.p50_added_us),
      ", \"cpu\": ", JsonDouble(c.cpu),
      ", \"rounds_throughput\": ", JsonList(c.round_throughput),
      ", \"rounds_p50_added_us\": ", JsonList(c.round_p50_added_us),
      ", \"rounds_cpu\": ", JsonList(c.round_cpu), "}");
}

// A load comparison's CPU ratio, or "-" when the load phase ran interleaved
// by RPC (every mode then has the round's CPU time per RPC).
std::string CpuRatio(const Comparison& c, const ScaleOptions& options) {
  if (options.interleave_rpcs) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", c.cpu);
  return text;
}

}  // namespace

void PrintScale(const std::vector<ScaleLoad>& load,
                const std::vector<GrowthPoint>& growth,
                const std::vector<MemoryResult>& memory,
                const ScaleOptions& options) {
  if (!load.empty()) {
    std::printf(
        "Callback-API chain client -> front -> leaf (callback services, "
        "callback stubs), loopback, one process; requests with metainfo; "
        "%d rounds x %d ms per mode, interleaved %s\n\n",
        options.rounds, options.slice_ms,
        options.interleave_rpcs
            ? "by RPC (throughput = calls in flight / mean latency; cpu us: "
              "the round's per RPC, the same for every mode)"
            : "by slice");
    std::printf("%-5s %-16s %8s %7s %8s %8s %7s %7s\n", "conc", "mode", "rpc/s",
                "x plain", "p50 us", "p99 us", "cpu us", "x plain");
    for (const ScaleLoad& l : load) {
      for (const LoadResult& r : l.modes) {
        std::printf("%-5d %-16s %8.0f %7.3f %8.1f %8.1f %7.1f %7s\n",
                    r.concurrency, ModeName(r.mode), r.throughput,
                    r.vs_plain.throughput, r.p50_us, r.p99_us, r.cpu_us_per_rpc,
                    CpuRatio(r.vs_plain, options).c_str());
      }
    }
    std::printf(
        "\ngls / manual-propagate (medians over rounds of the comparison in "
        "the same round; +p99: pooled)\n\n");
    std::printf("%-5s %10s %8s %8s %7s  %s\n", "conc", "throughput", "+p50 us",
                "+p99 us", "cpu x", "bar >= 1.00");
    for (const ScaleLoad& l : load) {
      if (!l.gls_vs_propagate.has_value()) continue;
      const Comparison& c = *l.gls_vs_propagate;
      std::printf("%-5d %10.3f %8.2f %8.1f %7s  %s\n", l.concurrency,
                  c.throughput, c.p50_added_us, P99AddedVsPropagate(l),
                  CpuRatio(c, options).c_str(),
                  c.throughput >= 1.0 ? "PASS" : "FAIL");
    }
  }
  if (!growth.empty()) {
    std::printf(
        "\nGrowth: CPU us per RPC (whole process), callback chain, %d calls "
        "in flight, median of %d rounds x %d ms\n\n",
        options.growth_concurrency, options.growth_rounds, options.slice_ms);
    std::printf("%-7s %-7s %12s %8s %9s %10s %7s\n", "values", "bytes",
                "propagate us", "gls us", "gls - us", "throughput", "cpu x");
    for (const GrowthPoint& p : growth) {
      std::printf("%-7d %-7d %12.1f %8.1f %9.2f %10.3f %7.3f\n", p.values,
                  p.value_size, p.propagate_cpu_us, p.gls_cpu_us,
                  p.gls_cpu_us - p.propagate_cpu_us,
                  p.gls_vs_propagate.throughput, p.gls_vs_propagate.cpu);
    }
    std::printf(
        "\nthroughput, cpu x: gls / manual-propagate, medians over rounds of "
        "the comparison in the same round.\n");
  }
  if (!memory.empty()) {
    std::printf(
        "\nMemory per in-flight request: %d requests held by the callback "
        "leaf, whole process (client + front + leaf), median of %d "
        "processes per mode\n\n",
        options.in_flight, options.memory_runs);
    std::printf("%-16s %10s %11s %10s %11s\n", "mode", "RSS B/req",
                "+ vs plain", "heap B/req", "+ vs plain");
    const MemoryResult* plain = nullptr;
    for (const MemoryResult& m : memory) {
      if (m.mode == Mode::kPlain) plain = &m;
    }
    for (const MemoryResult& m : memory) {
      std::printf(
          "%-16s %10.0f %11.0f %10.0f %11.0f\n", ModeName(m.mode),
          m.rss_bytes_per_request,
          plain ? m.rss_bytes_per_request - plain->rss_bytes_per_request : 0.0,
          m.heap_bytes_per_request,
          plain ? m.heap_bytes_per_request - plain->heap_bytes_per_request
                : 0.0);
    }
  }
}

std::string ScaleJson(const std::vector<ScaleLoad>& load,
                      const std::vector<GrowthPoint>& growth,
                      const std::vector<MemoryResult>& memory,
                      const ScaleOptions& options) {
  std::string out = "{\n  \"context\": {";
  absl::StrAppend(
      &out, "\"program\": \"scale_benchmark\", \"api\": \"callback\", ",
      "\"roles\": \"one process\", \"hardware_concurrency\": ",
      std::thread::hardware_concurrency(), ", \"rounds\": ", options.rounds,
      ", \"slice_ms\": ", options.slice_ms,
      ", \"warmup_ms\": ", options.warmup_ms, ", \"interleave\": \"",
      options.interleave_rpcs ? "rpc" : "slice", "\"",
      ", \"growth_concurrency\": ", options.growth_concurrency,
      ", \"growth_rounds\": ", options.growth_rounds,
      ", \"in_flight\": ", options.in_flight,
      ", \"memory_runs\": ", options.memory_runs, "},\n  \"load\": [\n");
  for (size_t i = 0; i < load.size(); ++i) {
    const ScaleLoad& l = load[i];
    std::vector<std::string> modes;
    for (const LoadResult& r : l.modes) {
      modes.push_back(absl::StrCat(
          "{\"mode\": \"", ModeName(r.mode), "\", \"rpcs\": ", r.rpcs,
          ", \"failures\": ", r.failures, ", \"throughput_rps\": ",
          JsonDouble(r.throughput), ", \"p50_us\": ", JsonDouble(r.p50_us),
          ", \"p99_us\": ", JsonDouble(r.p99_us),
          ", \"cpu_us_per_rpc\": ", JsonDouble(r.cpu_us_per_rpc),
          ", \"vs_plain\": ", JsonComparison(r.vs_plain), "}"));
    }
    absl::StrAppend(
        &out, "    {\"concurrency\": ", l.concurrency, ", \"modes\": [",
        absl::StrJoin(modes, ", "), "], \"gls_vs_propagate\": ",
        l.gls_vs_propagate.has_value() ? JsonComparison(*l.gls_vs_propagate)
                                       : "null",
        ", \"gls_p99_added_vs_propagate_us\": ",
        JsonDouble(P99AddedVsPropagate(l)), "}", i + 1 < load.size() ? "," : "",
        "\n");
  }
  absl::StrAppend(&out, "  ],\n  \"growth\": [\n");
  for (size_t i = 0; i < growth.size(); ++i) {
    const GrowthPoint& p = growth[i];
    absl::StrAppend(
        &out, "    {\"values\": ", p.values, ", \"value_size\": ", p.value_size,
        ", \"propagate_cpu_us\": ", JsonDouble(p.propagate_cpu_us),
        ", \"gls_cpu_us\": ", JsonDouble(p.gls_cpu_us),
        ", \"gls_vs_propagate\": ", JsonComparison(p.gls_vs_propagate), "}",
        i + 1 < growth.size() ? "," : "", "\n");
  }
  absl::StrAppend(&out, "  ],\n  \"memory\": [\n");
  for (size_t i = 0; i < memory.size(); ++i) {
    const MemoryResult& m = memory[i];
    absl::StrAppend(
        &out, "    {\"mode\": \"", ModeName(m.mode),
        "\", \"in_flight\": ", m.in_flight,
        ", \"rss_bytes_per_request\": ", JsonDouble(m.rss_bytes_per_request),
        ", \"heap_bytes_per_request\": ", JsonDouble(m.heap_bytes_per_request),
        ", \"failures\": ", m.failures, "}", i + 1 < memory.size() ? "," : "",
        "\n");
  }
  absl::StrAppend(&out, "  ]\n}\n");
  return out;
}

}  // namespace gls_bench
