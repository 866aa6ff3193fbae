// benchmarks/phases.h
//
// rpc_benchmark's three phases, run over the chains of chain_setup.h:
//
//   1. Check: one request with metainfo through a mode's chain; the leaf must
//      get exactly the persistent values in the manual and gls modes and none
//      in the others.
//   2. RunLoad: throughput and latency, for each concurrency, options.rounds
//      rounds; the modes of options.modes are interleaved so the machine's
//      drift hits them alike:
//      - concurrency 1: one client thread calls every mode in turn, one RPC
//        each, in a new random order every cycle, for slice_ms x modes.
//      - concurrency N > 1: N client threads doing blocking calls run every
//        mode for slice_ms, in an order that rotates every round; with
//        options.interleave_rpcs, each of the N threads calls every mode in
//        turn as at concurrency 1, for slice_ms x modes, and a mode's
//        throughput is N / its mean latency (Little's law: what it would do
//        with N calls of its own in flight). Slices let each mode show what
//        it costs the whole process (CPU time, other threads); interleaving
//        by RPC shares the machine's moment-to-moment drift, and each
//        server's and connection's state, between the modes: two modes
//        running the same code differ by up to 7 % by slice and within
//        0.7 % by RPC at concurrency 8 (BENCHMARKS.md).
//      Each concurrency starts with warmup_ms per mode. The figures are made
//      by SummarizeLoad (stats.h): throughput, p50 and p99 of client-side
//      latency, process CPU time and context switches per RPC.
//   3. RunAllocs: heap allocations of the whole process (client, front and
//      leaf; see alloc_counter.h) per RPC, at concurrency 1, for requests
//      without metainfo and with it; median over alloc_rounds rounds of
//      alloc_rpcs RPCs per mode, every mode (not just options.modes).
//
// Example:
//
//   for (const auto& [mode, chain] : chains) {
//     if (!gls_bench::Check(*chain)) return 1;
//   }
//   std::vector<gls_bench::LoadResult> load =
//       gls_bench::RunLoad(chains, options);
//   std::vector<gls_bench::AllocResult> allocs =
//       gls_bench::RunAllocs(chains, options);
//
// Thread-safety: one phase at a time (RunLoad starts client threads of its
// own; RunAllocs counts every allocation of the process).

#ifndef GLS_BENCHMARKS_PHASES_H_
#define GLS_BENCHMARKS_PHASES_H_

#include <vector>

#include "gls/benchmarks/chain_setup.h"
#include "gls/benchmarks/rpc_flags.h"
#include "gls/benchmarks/stats.h"

namespace gls_bench {

// Phase 1. Prints what is wrong to stderr and returns false if the chain does
// not forward what its mode should.
bool Check(const Chain& chain);

// Phase 2. `chains` must hold every mode of options.modes. Results by
// concurrency, then in the order of options.modes.
std::vector<LoadResult> RunLoad(const Chains& chains,
                                const RpcOptions& options);

// Phase 3. `chains` must hold every mode. Results without metainfo, then with
// it, each in the order of kAllModes.
std::vector<AllocResult> RunAllocs(const Chains& chains,
                                   const RpcOptions& options);

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_PHASES_H_
