// benchmarks/report.cc
//
// The tables and JSON of report.h.

#include "gls/benchmarks/report.h"

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace gls_bench {
namespace {

const AllocResult& Find(const std::vector<AllocResult>& results, bool metainfo,
                        Mode mode) {
  for (const AllocResult& r : results) {
    if (r.metainfo == metainfo && r.mode == mode) return r;
  }
  std::abort();
}

std::string JsonDouble(double v) { return absl::StrFormat("%.6g", v); }

struct JsonFormatter {
  void operator()(std::string* out, double v) const {
    out->append(JsonDouble(v));
  }
};

}  // namespace

void PrintTables(const std::vector<LoadResult>& load,
                 const std::vector<AllocResult>& allocs,
                 const RpcOptions& options) {
  std::printf(
      "RPC chain client -> front -> leaf, loopback, one process; requests "
      "%s metainfo; %d rounds x %d ms per mode, interleaved\n\n",
      options.metainfo ? "with" : "without", options.rounds, options.slice_ms);
  std::printf("%-5s %-7s %9s %8s %8s %8s %8s %8s %8s %8s %6s\n", "conc", "mode",
              "rpc/s", "x plain", "p50 us", "+p50 us", "p99 us", "x plain",
              "cpu us", "x plain", "csw");
  for (const LoadResult& r : load) {
    std::printf(
        "%-5d %-7s %9.0f %8.3f %8.1f %8.2f %8.1f %8.3f %8.1f %8.3f %6.2f\n",
        r.concurrency, ModeName(r.mode), r.throughput, r.throughput_vs_plain,
        r.p50_us, r.p50_added_us, r.p99_us, r.p99_vs_plain, r.cpu_us_per_rpc,
        r.cpu_vs_plain, r.switches_per_rpc);
  }
  std::printf(
      "\nx plain, +p50: medians over rounds of the comparison with plain in "
      "the "
      "same round;\ncpu us: CPU time of the whole process (client, front, "
      "leaf) per RPC; csw: its context switches per RPC.\n");
  std::printf(
      "\nHeap allocations per RPC, whole process (client + front + leaf), "
      "concurrency 1, median of %d rounds x %d RPCs\n\n",
      options.alloc_rounds, options.alloc_rpcs);
  std::printf("%-9s %-7s %11s %10s %8s %10s  %s\n", "metainfo", "mode",
              "allocs/RPC", "+ vs plain", "x plain", "+ vs noop", "rounds");
  for (const AllocResult& r : allocs) {
    const AllocResult& plain = Find(allocs, r.metainfo, Mode::kPlain);
    const AllocResult& noop = Find(allocs, r.metainfo, Mode::kNoop);
    std::vector<std::string> rounds;
    for (double v : r.per_rpc_rounds) {
      rounds.push_back(absl::StrFormat("%.2f", v));
    }
    std::printf("%-9s %-7s %11.2f %10.2f %8.3f %10.2f  %s\n",
                r.metainfo ? "yes" : "no", ModeName(r.mode), r.per_rpc,
                r.per_rpc - plain.per_rpc, Ratio(r.per_rpc, plain.per_rpc),
                r.per_rpc - noop.per_rpc, absl::StrJoin(rounds, " ").c_str());
  }
}

std::string ToJson(const std::vector<LoadResult>& load,
                   const std::vector<AllocResult>& allocs,
                   const RpcOptions& options) {
  std::string out = "{\n  \"context\": {";
  absl::StrAppend(
      &out, "\"program\": \"rpc_benchmark\", \"roles\": \"one process\", ",
      "\"hardware_concurrency\": ", std::thread::hardware_concurrency(),
      ", \"load_metainfo\": ", options.metainfo ? "true" : "false",
      ", \"rounds\": ", options.rounds, ", \"slice_ms\": ", options.slice_ms,
      ", \"warmup_ms\": ", options.warmup_ms,
      ", \"alloc_rounds\": ", options.alloc_rounds,
      ", \"alloc_rpcs\": ", options.alloc_rpcs, "},\n  \"load\": [\n");
  for (size_t i = 0; i < load.size(); ++i) {
    const LoadResult& r = load[i];
    absl::StrAppend(
        &out, "    {\"concurrency\": ", r.concurrency, ", \"mode\": \"",
        ModeName(r.mode), "\", \"rpcs\": ", r.rpcs,
        ", \"failures\": ", r.failures,
        ", \"seconds\": ", JsonDouble(r.seconds),
        ", \"throughput_rps\": ", JsonDouble(r.throughput),
        ", \"throughput_vs_plain\": ", JsonDouble(r.throughput_vs_plain),
        ", \"p50_us\": ", JsonDouble(r.p50_us),
        ", \"p50_added_us\": ", JsonDouble(r.p50_added_us),
        ", \"p99_us\": ", JsonDouble(r.p99_us),
        ", \"p99_vs_plain\": ", JsonDouble(r.p99_vs_plain),
        ", \"cpu_us_per_rpc\": ", JsonDouble(r.cpu_us_per_rpc),
        ", \"cpu_vs_plain\": ", JsonDouble(r.cpu_vs_plain),
        ", \"context_switches_per_rpc\": ", JsonDouble(r.switches_per_rpc),
        ", \"rounds_throughput_vs_plain\": [",
        absl::StrJoin(r.round_throughput_vs_plain, ", ", JsonFormatter()),
        "], \"rounds_p50_added_us\": [",
        absl::StrJoin(r.round_p50_added_us, ", ", JsonFormatter()), "]}",
        i + 1 < load.size() ? "," : "", "\n");
  }
  absl::StrAppend(&out, "  ],\n  \"allocations\": [\n");
  for (size_t i = 0; i < allocs.size(); ++i) {
    const AllocResult& r = allocs[i];
    const AllocResult& plain = Find(allocs, r.metainfo, Mode::kPlain);
    const AllocResult& noop = Find(allocs, r.metainfo, Mode::kNoop);
    std::vector<std::string> rounds;
    for (double v : r.per_rpc_rounds) rounds.push_back(JsonDouble(v));
    absl::StrAppend(
        &out, "    {\"metainfo\": ", r.metainfo ? "true" : "false",
        ", \"mode\": \"", ModeName(r.mode),
        "\", \"per_rpc\": ", JsonDouble(r.per_rpc),
        ", \"added_vs_plain\": ", JsonDouble(r.per_rpc - plain.per_rpc),
        ", \"vs_plain\": ", JsonDouble(Ratio(r.per_rpc, plain.per_rpc)),
        ", \"added_vs_noop\": ", JsonDouble(r.per_rpc - noop.per_rpc),
        ", \"rounds\": [", absl::StrJoin(rounds, ", "),
        "], \"failures\": ", r.failures, "}", i + 1 < allocs.size() ? "," : "",
        "\n");
  }
  absl::StrAppend(&out, "  ]\n}\n");
  return out;
}

}  // namespace gls_bench
