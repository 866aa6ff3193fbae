// benchmarks/scale_benchmark.cc
//
// gls where users' load differs from rpc_benchmark's: the chain client ->
// front -> leaf on gRPC's callback API (callback services, callback stubs) at
// 64 and 256 calls in flight; how the cost grows with the number of
// persistent values and their size; and memory per in-flight request. Modes
// as in rpc_benchmark (chain_mode.h); the reference for gls is
// manual-propagate, the same job written by hand.
//
// Runs the phases of scale_phases.h: a check of every chain, the load phase,
// the growth phase, and the memory phase (this program run again per mode
// with --memory_mode, so that no mode inherits another's heap). Prints the
// tables; --json=PATH writes the figures (scale_report.h), from which
// benchmarks/plot_growth.py draws benchmarks/growth.png. Exits 1 if any RPC
// failed, 2 on a bad command line (scale_flags.h).
//
// Usage:
//   scale_benchmark [--modes=plain,manual-propagate,gls]
//                   [--concurrency=64,256] [--rounds=12] [--slice_ms=200]
//                   [--warmup_ms=300] [--interleave=slice]
//                   [--growth_values=0,1,8,64]
//                   [--growth_sizes=16,256,1024,2048]
//                   [--growth_concurrency=16] [--growth_rounds=8]
//                   [--in_flight=1000] [--memory_runs=3] [--json=PATH]

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gls/benchmarks/callback_chain.h"
#include "gls/benchmarks/chain_setup.h"
#include "gls/benchmarks/scale_flags.h"
#include "gls/benchmarks/scale_phases.h"
#include "gls/benchmarks/scale_report.h"

namespace gls_bench {
namespace {

// This program's path, for the memory phase's child processes.
std::string SelfPath() {
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) {
    std::fprintf(stderr, "scale_benchmark: cannot read /proc/self/exe\n");
    std::exit(1);
  }
  return std::string(path, n);
}

int Main(int argc, char** argv) {
  const ScaleOptions options = ParseScaleFlags(argc, argv);
  if (options.memory_mode.has_value()) {
    const MemoryResult m = MeasureMemory(*options.memory_mode, options);
    std::printf("memory %s %.1f %.1f %lld\n", ModeName(m.mode),
                m.rss_bytes_per_request, m.heap_bytes_per_request,
                static_cast<long long>(m.failures));
    return m.failures == 0 ? 0 : 1;
  }

  CallbackLeafService leaf;
  int leaf_port = 0;
  std::unique_ptr<grpc::Server> leaf_server =
      StartServer(&leaf, Mode::kPlain, &leaf_port);
  CallbackChains chains;
  for (Mode mode : options.modes) {
    chains[mode] = MakeCallbackChain(mode, leaf_port);
  }
  for (Mode mode : {Mode::kManualPropagate, Mode::kGls}) {
    if (chains.count(mode) == 0) {
      chains[mode] = MakeCallbackChain(mode, leaf_port);
    }
  }
  for (const auto& [mode, chain] : chains) {
    if (!CheckCallback(*chain)) return 1;
  }

  std::vector<ScaleLoad> load = RunScaleLoad(chains, options);
  std::vector<GrowthPoint> growth;
  if (options.growth_rounds > 0) growth = RunGrowth(chains, options);
  for (auto& [mode, chain] : chains) chain->server->Shutdown();
  leaf_server->Shutdown();
  std::vector<MemoryResult> memory;
  if (options.in_flight > 0) memory = RunMemory(SelfPath(), options);

  PrintScale(load, growth, memory, options);
  if (!options.json.empty()) {
    std::ofstream file(options.json);
    file << ScaleJson(load, growth, memory, options);
    if (!file.good()) {
      std::fprintf(stderr, "scale_benchmark: cannot write %s\n",
                   options.json.c_str());
      return 1;
    }
    std::printf("\nJSON: %s\n", options.json.c_str());
  }

  int64_t failures = 0;
  for (const ScaleLoad& l : load) {
    for (const LoadResult& r : l.modes) failures += r.failures;
  }
  for (const GrowthPoint& p : growth) failures += p.failures;
  for (const MemoryResult& m : memory) failures += m.failures;
  if (failures > 0) {
    std::fprintf(stderr, "scale_benchmark: %lld RPCs failed\n",
                 static_cast<long long>(failures));
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace gls_bench

int main(int argc, char** argv) { return gls_bench::Main(argc, argv); }
