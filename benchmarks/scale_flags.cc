// benchmarks/scale_flags.cc
//
// scale_benchmark's flags and their checks (see scale_flags.h).

#include "gls/benchmarks/scale_flags.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "gls/benchmarks/flag_checks.h"

ABSL_FLAG(std::vector<std::string>, modes,
          std::vector<std::string>({"plain", "manual-propagate", "gls"}),
          "modes of the load phase, comma-separated, from plain, manual, "
          "manual-propagate, gls, noop, noop-pair (plain is always run)");
ABSL_FLAG(std::vector<std::string>, concurrency,
          std::vector<std::string>({"64", "256"}),
          "calls in flight in the load phase, comma-separated: one run per "
          "value");
ABSL_FLAG(int, rounds, 12, "rounds per concurrency of the load phase");
ABSL_FLAG(int, slice_ms, 200, "milliseconds per mode and round");
ABSL_FLAG(int, warmup_ms, 300, "warm-up milliseconds per mode and concurrency");
ABSL_FLAG(std::string, interleave, "slice",
          "how a round of the load phase interleaves the modes: slice (each "
          "mode alone for slice_ms) or rpc (every slot of the closed loop "
          "calls the modes in turn, one call each, for slice_ms x modes; "
          "throughput from latency: calls in flight / mean latency; CPU time "
          "is the round's per RPC, the same for every mode)");
ABSL_FLAG(std::vector<std::string>, growth_values,
          std::vector<std::string>({"0", "1", "8", "64"}),
          "growth phase: numbers of persistent values (16 bytes each)");
ABSL_FLAG(std::vector<std::string>, growth_sizes,
          std::vector<std::string>({"16", "256", "1024", "2048"}),
          "growth phase: sizes in bytes of one persistent value");
ABSL_FLAG(int, growth_concurrency, 16, "calls in flight in the growth phase");
ABSL_FLAG(int, growth_rounds, 8, "rounds per point of the growth phase");
ABSL_FLAG(int, in_flight, 1000,
          "memory phase: requests the leaf holds at once (0: no memory phase)");
ABSL_FLAG(int, memory_runs, 3, "memory phase: processes per mode");
ABSL_FLAG(std::string, json, "", "also write the figures as JSON to this path");
ABSL_FLAG(std::string, memory_mode, "",
          "internal: measure memory of this one mode and print it (the "
          "memory phase runs the program again with it)");

namespace gls_bench {
namespace {

constexpr char kUsage[] =
    "usage: scale_benchmark [--modes=plain,manual-propagate,gls] "
    "[--concurrency=64,256] [--rounds=12] [--slice_ms=200] [--warmup_ms=300] "
    "[--interleave=slice] [--growth_values=0,1,8,64] "
    "[--growth_sizes=16,256,1024,2048] "
    "[--growth_concurrency=16] [--growth_rounds=8] [--in_flight=1000] "
    "[--memory_runs=3] [--json=PATH]";

}  // namespace

ScaleOptions ParseScaleFlags(int argc, char** argv) {
  const FlagChecks checks("scale_benchmark", kUsage);
  checks.Parse(argc, argv, "benchmarks/scale_flags.cc",
               "gls at scale: the callback-API chain at high concurrency, "
               "cost growth with values, memory per in-flight request (see "
               "BENCHMARKS.md)");
  ScaleOptions options;
  options.modes = checks.Modes(absl::GetFlag(FLAGS_modes));
  options.concurrency = checks.IntList(
      "concurrency", absl::GetFlag(FLAGS_concurrency), 1, 100000);
  options.rounds = checks.AtLeast("rounds", absl::GetFlag(FLAGS_rounds), 1);
  options.slice_ms =
      checks.AtLeast("slice_ms", absl::GetFlag(FLAGS_slice_ms), 1);
  options.warmup_ms =
      checks.AtLeast("warmup_ms", absl::GetFlag(FLAGS_warmup_ms), 1);
  options.interleave_rpcs =
      checks.InterleaveRpcs(absl::GetFlag(FLAGS_interleave));
  // At most 64 values and 2 KiB: what fits gls's default budget per call
  // (client::kDefaultMaxAddedBytes) with these names.
  options.growth_values = checks.IntList(
      "growth_values", absl::GetFlag(FLAGS_growth_values), 0, 64);
  options.growth_sizes = checks.IntList(
      "growth_sizes", absl::GetFlag(FLAGS_growth_sizes), 1, 2048);
  options.growth_concurrency = checks.AtLeast(
      "growth_concurrency", absl::GetFlag(FLAGS_growth_concurrency), 1);
  options.growth_rounds =
      checks.AtLeast("growth_rounds", absl::GetFlag(FLAGS_growth_rounds), 0);
  options.in_flight =
      checks.AtLeast("in_flight", absl::GetFlag(FLAGS_in_flight), 0);
  options.memory_runs =
      checks.AtLeast("memory_runs", absl::GetFlag(FLAGS_memory_runs), 1);
  options.json = absl::GetFlag(FLAGS_json);
  const std::string memory_mode = absl::GetFlag(FLAGS_memory_mode);
  if (!memory_mode.empty()) options.memory_mode = checks.ModeNamed(memory_mode);
  return options;
}

}  // namespace gls_bench
