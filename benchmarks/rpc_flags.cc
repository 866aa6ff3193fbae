// benchmarks/rpc_flags.cc
//
// rpc_benchmark's flags and their checks (see rpc_flags.h).

#include "gls/benchmarks/rpc_flags.h"

#include <limits>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "gls/benchmarks/chain_setup.h"
#include "gls/benchmarks/flag_checks.h"

ABSL_FLAG(std::vector<std::string>, modes,
          std::vector<std::string>({"plain", "manual", "gls"}),
          "modes of the throughput and latency phase, comma-separated, from "
          "plain, manual, manual-propagate, gls, noop, noop-pair (plain is "
          "always run; the allocation phase runs every mode)");
ABSL_FLAG(bool, metainfo, true,
          "whether the requests of the throughput and latency phase carry "
          "metainfo (3 persistent values, 1 transient)");
ABSL_FLAG(bool, w3c, false,
          "whether every request also carries W3C context (traceparent, "
          "tracestate, a baggage of 3 members), with or without metainfo");
ABSL_FLAG(std::vector<std::string>, concurrency,
          std::vector<std::string>({"1", "8"}),
          "client threads of the throughput and latency phase, "
          "comma-separated: one run per value");
ABSL_FLAG(int, rounds, 8, "rounds per concurrency");
ABSL_FLAG(int, slice_ms, 400, "milliseconds per mode and round");
ABSL_FLAG(int, warmup_ms, 300, "warm-up milliseconds per mode and concurrency");
ABSL_FLAG(std::string, interleave, "slice",
          "above concurrency 1, how a round interleaves the modes: slice "
          "(each mode runs alone for slice_ms) or rpc (every client thread "
          "calls the modes in turn, one RPC each, for slice_ms x modes; "
          "throughput from latency: concurrency / mean latency; CPU time is "
          "the round's per RPC, the same for every mode)");
ABSL_FLAG(int, alloc_rounds, 3,
          "rounds of the allocation phase (0: no allocation phase, as for "
          "counting instructions of one kind of request)");
ABSL_FLAG(int, alloc_rpcs, 1000,
          "RPCs per mode and round of the allocation phase");
ABSL_FLAG(std::string, json, "", "also write the figures as JSON to this path");

namespace gls_bench {
namespace {

constexpr char kUsage[] =
    "usage: rpc_benchmark [--modes=plain,manual,gls] [--metainfo=true] "
    "[--w3c=false] "
    "[--concurrency=1,8] [--rounds=8] [--slice_ms=400] [--warmup_ms=300] "
    "[--interleave=slice] "
    "[--alloc_rounds=3] [--alloc_rpcs=1000] [--json=PATH]";

}  // namespace

RpcOptions ParseRpcFlags(int argc, char** argv) {
  const FlagChecks checks("rpc_benchmark", kUsage);
  checks.Parse(argc, argv, "benchmarks/rpc_flags.cc",
               "the RPC-path benchmark of gls (client -> front -> leaf over "
               "loopback; see BENCHMARKS.md)");
  RpcOptions options;
  options.modes = checks.Modes(absl::GetFlag(FLAGS_modes));
  options.metainfo = absl::GetFlag(FLAGS_metainfo);
  SetRequestW3c(absl::GetFlag(FLAGS_w3c));
  options.concurrency =
      checks.IntList("concurrency", absl::GetFlag(FLAGS_concurrency), 1,
                     std::numeric_limits<int>::max());
  options.rounds = checks.AtLeast("rounds", absl::GetFlag(FLAGS_rounds), 1);
  options.slice_ms =
      checks.AtLeast("slice_ms", absl::GetFlag(FLAGS_slice_ms), 1);
  options.warmup_ms =
      checks.AtLeast("warmup_ms", absl::GetFlag(FLAGS_warmup_ms), 1);
  options.interleave_rpcs =
      checks.InterleaveRpcs(absl::GetFlag(FLAGS_interleave));
  options.alloc_rounds =
      checks.AtLeast("alloc_rounds", absl::GetFlag(FLAGS_alloc_rounds), 0);
  options.alloc_rpcs =
      checks.AtLeast("alloc_rpcs", absl::GetFlag(FLAGS_alloc_rpcs), 1);
  options.json = absl::GetFlag(FLAGS_json);
  return options;
}

}  // namespace gls_bench
