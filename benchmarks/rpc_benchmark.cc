// benchmarks/rpc_benchmark.cc
//
// The RPC-path benchmark of gls: a two-hop chain client -> front -> leaf over
// loopback, all three roles in this one process (so one allocation counter
// sees them all), in the modes plain, manual, manual-propagate, gls, noop and
// noop-pair (chain_mode.h). Each mode has its own front server and client
// channel; the leaf (a plain sync server) is shared. The client sends every
// request with a 10 s deadline and, unless said otherwise, metadata of
// realistic size: 3 persistent values and 1 transient one, plus gRPC's own
// headers.
//
// Runs three phases (phases.h): a check that each mode forwards what it
// should, throughput and latency with the modes interleaved, and heap
// allocations per RPC. Prints the tables with ratios to plain and to manual
// (each a median over rounds of the comparison within a round); --json=PATH
// also writes the figures as JSON (report.h). Exits 1 if any RPC failed; on a
// bad command line (rpc_flags.h), 2 for a value out of range or a positional
// argument, 1 for what Abseil's parser rejects itself (an unknown flag, a
// value of the wrong type) and after --help.
//
// Usage:
//   rpc_benchmark [--modes=plain,manual,gls] [--metainfo=true] [--w3c=false]
//                 [--concurrency=1,8] [--rounds=8] [--slice_ms=400]
//                 [--warmup_ms=300] [--interleave=slice] [--alloc_rounds=3]
//                 [--alloc_rpcs=1000] [--json=PATH]
//
// The parts, in the library gls_rpc_bench (CMake) or :rpc_bench (Bazel):
//   rpc_flags.h       flags and RpcOptions
//   chain_mode.h      the modes
//   chain_services.h  leaf and front services, pass-through interceptors
//   chain_setup.h     servers, channels and client calls per mode
//   phases.h          check, throughput and latency, allocations
//   stats.h           percentiles, medians, per-round comparisons
//   report.h          tables and JSON
//   alloc_counter.h   the allocation counter (linked into this executable)

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <vector>

#include "gls/benchmarks/chain_services.h"
#include "gls/benchmarks/chain_setup.h"
#include "gls/benchmarks/phases.h"
#include "gls/benchmarks/report.h"
#include "gls/benchmarks/rpc_flags.h"
#include "gls/benchmarks/stats.h"

namespace gls_bench {
namespace {

int Main(int argc, char** argv) {
  const RpcOptions options = ParseRpcFlags(argc, argv);

  LeafService leaf;
  int leaf_port = 0;
  std::unique_ptr<grpc::Server> leaf_server =
      StartServer(&leaf, Mode::kPlain, &leaf_port);
  Chains chains = MakeChains(leaf_port);

  for (const auto& [mode, chain] : chains) {
    if (!Check(*chain)) return 1;
  }
  std::vector<LoadResult> load = RunLoad(chains, options);
  std::vector<AllocResult> allocs;
  if (options.alloc_rounds > 0) allocs = RunAllocs(chains, options);

  PrintTables(load, allocs, options);
  if (!options.json.empty()) {
    std::ofstream file(options.json);
    file << ToJson(load, allocs, options);
    if (!file.good()) {
      std::fprintf(stderr, "rpc_benchmark: cannot write %s\n",
                   options.json.c_str());
      return 1;
    }
    std::printf("\nJSON: %s\n", options.json.c_str());
  }

  int64_t failures = 0;
  for (const LoadResult& r : load) failures += r.failures;
  for (const AllocResult& r : allocs) failures += r.failures;
  for (auto& [mode, chain] : chains) chain->server->Shutdown();
  leaf_server->Shutdown();
  if (failures > 0) {
    std::fprintf(stderr, "rpc_benchmark: %lld RPCs failed\n",
                 static_cast<long long>(failures));
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace gls_bench

int main(int argc, char** argv) { return gls_bench::Main(argc, argv); }
