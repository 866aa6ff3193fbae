// benchmarks/report.cc
//
// The tables and JSON of report.h.

#include "gls/benchmarks/report.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

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

struct JsonFormatter {
  void operator()(std::string* out, double v) const {
    out->append(JsonDouble(v));
  }
};

// The JSON keys of a comparison with plain or manual. Those of plain keep the
// names they had before manual was added (rounds_cpu_vs_plain is newer).
struct ComparisonKeys {
  const char* throughput;
  const char* p50_added;
  const char* cpu;
  const char* rounds_throughput;
  const char* rounds_p50_added;
  const char* rounds_cpu;
};
constexpr ComparisonKeys kVsPlain = {
    "throughput_vs_plain",        "p50_added_us",        "cpu_vs_plain",
    "rounds_throughput_vs_plain", "rounds_p50_added_us", "rounds_cpu_vs_plain"};
constexpr ComparisonKeys kVsManual = {"throughput_vs_manual",
                                      "p50_added_vs_manual_us",
                                      "cpu_vs_manual",
                                      "rounds_throughput_vs_manual",
                                      "rounds_p50_added_vs_manual_us",
                                      "rounds_cpu_vs_manual"};

// The comparison's members, each preceded by ", "; every value is null if `c`
// is null.
std::string JsonComparison(const ComparisonKeys& keys, const Comparison* c) {
  auto member = [](const char* key, const std::string& value) {
    return absl::StrCat(", \"", key, "\": ", value);
  };
  if (c == nullptr) {
    std::string out;
    for (const char* key :
         {keys.throughput, keys.p50_added, keys.cpu, keys.rounds_throughput,
          keys.rounds_p50_added, keys.rounds_cpu}) {
      out += member(key, "null");
    }
    return out;
  }
  return absl::StrCat(
      member(keys.throughput, JsonDouble(c->throughput)),
      member(keys.p50_added, JsonDouble(c->p50_added_us)),
      member(keys.cpu, JsonDouble(c->cpu)),
      member(keys.rounds_throughput, JsonList(c->round_throughput)),
      member(keys.rounds_p50_added, JsonList(c->round_p50_added_us)),
      member(keys.rounds_cpu, JsonList(c->round_cpu)));
}

}  // namespace

void PrintTables(const std::vector<LoadResult>& load,
                 const std::vector<AllocResult>& allocs,
                 const RpcOptions& options) {
  std::printf(
      "RPC chain client -> front -> leaf, loopback, one process; requests "
      "%s metainfo; %d rounds x %d ms per mode, interleaved %s\n\n",
      options.metainfo ? "with" : "without", options.rounds, options.slice_ms,
      options.interleave_rpcs
          ? "by RPC at every concurrency (above 1: throughput = concurrency "
            "/ mean latency; cpu us: the round's per RPC, the same for every "
            "mode)"
          : "by RPC at concurrency 1, by slice above");
  std::printf("%-4s %-9s %7s %7s %7s %7s %7s %7s %7s %7s %5s | %8s %8s %8s\n",
              "conc", "mode", "rpc/s", "x plain", "p50 us", "+p50 us", "p99 us",
              "x plain", "cpu us", "x plain", "csw", "x manual", "+p50 us",
              "cpu x");
  for (const LoadResult& r : load) {
    std::string vs_manual = absl::StrFormat("%8s %8s %8s", "-", "-", "-");
    if (r.vs_manual.has_value()) {
      vs_manual = absl::StrFormat("%8.3f %8.2f %8.3f", r.vs_manual->throughput,
                                  r.vs_manual->p50_added_us, r.vs_manual->cpu);
    }
    std::printf(
        "%-4d %-9s %7.0f %7.3f %7.1f %7.2f %7.1f %7.3f %7.1f %7.3f %5.2f | "
        "%s\n",
        r.concurrency, ModeName(r.mode), r.throughput, r.vs_plain.throughput,
        r.p50_us, r.vs_plain.p50_added_us, r.p99_us, r.p99_vs_plain,
        r.cpu_us_per_rpc, r.vs_plain.cpu, r.switches_per_rpc,
        vs_manual.c_str());
  }
  std::printf(
      "\nx plain, +p50 us, cpu x plain; x manual, +p50 us, cpu x manual (right "
      "of |): medians over rounds of the comparison with plain, or manual, in "
      "the same round;\np99 x plain: pooled p99s; cpu us: CPU time of the "
      "whole process (client, front, leaf) per RPC; csw: its context switches "
      "per RPC.\n");
  if (allocs.empty()) return;
  std::printf(
      "\nHeap allocations per RPC, whole process (client + front + leaf), "
      "concurrency 1, median of %d rounds x %d RPCs\n\n",
      options.alloc_rounds, options.alloc_rpcs);
  std::printf("%-9s %-9s %11s %10s %8s %10s  %s\n", "metainfo", "mode",
              "allocs/RPC", "+ vs plain", "x plain", "+ vs noop", "rounds");
  for (const AllocResult& r : allocs) {
    const AllocResult& plain = Find(allocs, r.metainfo, Mode::kPlain);
    const AllocResult& noop = Find(allocs, r.metainfo, Mode::kNoop);
    std::vector<std::string> rounds;
    for (double v : r.per_rpc_rounds) {
      rounds.push_back(absl::StrFormat("%.2f", v));
    }
    std::printf("%-9s %-9s %11.2f %10.2f %8.3f %10.2f  %s\n",
                r.metainfo ? "yes" : "no", ModeName(r.mode), r.per_rpc,
                r.per_rpc - plain.per_rpc, Ratio(r.per_rpc, plain.per_rpc),
                r.per_rpc - noop.per_rpc, absl::StrJoin(rounds, " ").c_str());
  }
}

std::string JsonDouble(double v) { return absl::StrFormat("%.6g", v); }

std::string JsonList(const std::vector<double>& values) {
  return absl::StrCat("[", absl::StrJoin(values, ", ", JsonFormatter()), "]");
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
      ", \"warmup_ms\": ", options.warmup_ms, ", \"interleave\": \"",
      options.interleave_rpcs ? "rpc" : "slice", "\"",
      ", \"alloc_rounds\": ", options.alloc_rounds,
      ", \"alloc_rpcs\": ", options.alloc_rpcs, ", \"load_modes\": [",
      absl::StrJoin(options.modes, ", ",
                    [](std::string* out, Mode mode) {
                      absl::StrAppend(out, "\"", ModeName(mode), "\"");
                    }),
      "]},\n  \"load\": [\n");
  for (size_t i = 0; i < load.size(); ++i) {
    const LoadResult& r = load[i];
    absl::StrAppend(
        &out, "    {\"concurrency\": ", r.concurrency, ", \"mode\": \"",
        ModeName(r.mode), "\", \"rpcs\": ", r.rpcs,
        ", \"failures\": ", r.failures,
        ", \"seconds\": ", JsonDouble(r.seconds),
        ", \"throughput_rps\": ", JsonDouble(r.throughput),
        ", \"p50_us\": ", JsonDouble(r.p50_us),
        ", \"p99_us\": ", JsonDouble(r.p99_us),
        ", \"p99_vs_plain\": ", JsonDouble(r.p99_vs_plain),
        ", \"cpu_us_per_rpc\": ", JsonDouble(r.cpu_us_per_rpc),
        ", \"context_switches_per_rpc\": ", JsonDouble(r.switches_per_rpc),
        JsonComparison(kVsPlain, &r.vs_plain),
        JsonComparison(kVsManual,
                       r.vs_manual.has_value() ? &*r.vs_manual : nullptr),
        "}", i + 1 < load.size() ? "," : "", "\n");
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
