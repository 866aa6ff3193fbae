// benchmarks/rpc_flags.h
//
// rpc_benchmark's command line: Abseil flags (defined in rpc_flags.cc, parsed
// with absl::ParseCommandLine) and RpcOptions, their checked values, which the
// rest of the program reads instead of the flags.
//
//   --modes=plain,manual,gls   modes of the throughput and latency phase
//                              (plain is always run; the allocation phase runs
//                              every mode)
//   --metainfo=true            whether that phase's requests carry metainfo
//   --w3c=false                whether every request also carries W3C context
//   --concurrency=1,8          client threads, one run per value
//   --rounds=8 --slice_ms=400  rounds per concurrency, ms per mode and round
//   --warmup_ms=300            warm-up per mode and concurrency
//   --interleave=slice         above concurrency 1: each mode alone for
//                              slice_ms per round (slice), or every client
//                              thread calling the modes in turn (rpc)
//   --alloc_rounds=3 --alloc_rpcs=1000   allocation phase: rounds x RPCs
//   --json=PATH                also write the figures as JSON
//
// Example:
//
//   int main(int argc, char** argv) {
//     const gls_bench::RpcOptions options =
//         gls_bench::ParseRpcFlags(argc, argv);
//     for (int concurrency : options.concurrency) { ... }
//   }

#ifndef GLS_BENCHMARKS_RPC_FLAGS_H_
#define GLS_BENCHMARKS_RPC_FLAGS_H_

#include <string>
#include <vector>

#include "gls/benchmarks/chain_mode.h"

namespace gls_bench {

struct RpcOptions {
  // Modes of the throughput and latency phase; modes[0] is always plain.
  std::vector<Mode> modes = {Mode::kPlain, Mode::kManual, Mode::kGls};
  // Whether the requests of that phase carry metainfo.
  bool metainfo = true;
  std::vector<int> concurrency = {1, 8};
  int rounds = 8;
  int slice_ms = 400;
  int warmup_ms = 300;
  // Above concurrency 1, whether every client thread calls the modes in
  // turn (one RPC each, as at concurrency 1) instead of each mode running
  // alone for slice_ms.
  bool interleave_rpcs = false;
  int alloc_rounds = 3;
  int alloc_rpcs = 1000;
  // Where to write the JSON; empty: nowhere.
  std::string json;
};

// Parses the command line and checks the values. A value out of range (an
// unknown mode, a count below 1) or a positional argument prints the problem
// and the usage line and exits with status 2; Abseil's parser exits with
// status 1 on an unknown flag or a value of the wrong type, and handles
// --help.
RpcOptions ParseRpcFlags(int argc, char** argv);

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_RPC_FLAGS_H_
