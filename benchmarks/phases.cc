// benchmarks/phases.cc
//
// The phases of phases.h.

#include "gls/benchmarks/phases.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include "gls/benchmarks/alloc_counter.h"
#include "gls/benchmarks/process_usage.h"

namespace gls_bench {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using Clock = std::chrono::steady_clock;

// Runs `concurrency` client threads doing blocking calls for `duration`.
Slice RunSlice(Greeter::Stub& stub, bool metainfo, int concurrency,
               Clock::duration duration) {
  struct PerThread {
    int64_t rpcs = 0;
    int64_t failures = 0;
    std::vector<double> latencies_us;
  };
  std::vector<PerThread> per_thread(concurrency);
  std::vector<std::thread> threads;
  const double cpu_start = ProcessCpuSeconds();
  const int64_t switches_start = ProcessContextSwitches();
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + duration;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&stub, &out = per_thread[t], metainfo, end] {
      out.latencies_us.reserve(1 << 13);
      HelloReply reply;
      for (Clock::time_point now = Clock::now(); now < end;) {
        grpc::Status status = Call(stub, metainfo, "bench", &reply);
        const Clock::time_point done = Clock::now();
        if (status.ok()) {
          ++out.rpcs;
          out.latencies_us.push_back(
              std::chrono::duration<double, std::micro>(done - now).count());
        } else {
          ++out.failures;
        }
        now = done;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  Slice slice;
  slice.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  slice.cpu_seconds = ProcessCpuSeconds() - cpu_start;
  slice.context_switches = ProcessContextSwitches() - switches_start;
  for (PerThread& t : per_thread) {
    slice.rpcs += t.rpcs;
    slice.failures += t.failures;
    slice.latencies_us.insert(slice.latencies_us.end(), t.latencies_us.begin(),
                              t.latencies_us.end());
  }
  return slice;
}

// A round interleaved by RPC: `concurrency` client threads each call every
// mode in turn, one RPC each, in a new random order every cycle, for
// `duration`, so at every moment the modes share the machine alike. A mode's
// slice holds its RPCs only: `seconds` sums their latencies divided by
// `concurrency`, so rpcs / seconds is the throughput the mode would have
// with `concurrency` calls of its own in flight (Little's law); at
// concurrency 1 `cpu_seconds` sums the process CPU time each RPC took
// (nothing else runs); above it no CPU time belongs to one mode, and every
// mode gets the round's CPU time per RPC (the same for all).
std::vector<Slice> RunInterleavedRound(const Chains& chains,
                                       const RpcOptions& options,
                                       int concurrency,
                                       Clock::duration duration,
                                       uint32_t seed) {
  const int n = static_cast<int>(options.modes.size());
  std::vector<std::vector<Slice>> per_thread(concurrency,
                                             std::vector<Slice>(n));
  const double cpu_start = ProcessCpuSeconds();
  const int64_t switches_start = ProcessContextSwitches();
  const Clock::time_point end = Clock::now() + duration;
  const auto client = [&](int t) {
    std::mt19937 rng(seed + t);
    std::vector<int> order(n);
    for (int m = 0; m < n; ++m) order[m] = m;
    HelloReply reply;
    while (Clock::now() < end) {
      std::shuffle(order.begin(), order.end(), rng);
      for (int m : order) {
        Greeter::Stub& stub = *chains.at(options.modes[m])->stub;
        Slice& slice = per_thread[t][m];
        const double rpc_cpu_start = concurrency == 1 ? ProcessCpuSeconds() : 0;
        const Clock::time_point start = Clock::now();
        grpc::Status status = Call(stub, options.metainfo, "bench", &reply);
        const Clock::time_point done = Clock::now();
        if (concurrency == 1) {
          slice.cpu_seconds += ProcessCpuSeconds() - rpc_cpu_start;
        }
        if (!status.ok()) {
          ++slice.failures;
          continue;
        }
        const double us =
            std::chrono::duration<double, std::micro>(done - start).count();
        ++slice.rpcs;
        slice.seconds += us / 1e6;
        slice.latencies_us.push_back(us);
      }
    }
  };
  if (concurrency == 1) {
    client(0);
  } else {
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t) threads.emplace_back(client, t);
    for (std::thread& thread : threads) thread.join();
  }
  const double cpu = ProcessCpuSeconds() - cpu_start;
  std::vector<Slice> slices(n);
  for (int m = 0; m < n; ++m) {
    Slice& slice = slices[m];
    for (std::vector<Slice>& thread : per_thread) {
      Slice& s = thread[m];
      slice.rpcs += s.rpcs;
      slice.failures += s.failures;
      slice.seconds += s.seconds;
      slice.cpu_seconds += s.cpu_seconds;
      slice.latencies_us.insert(slice.latencies_us.end(),
                                s.latencies_us.begin(), s.latencies_us.end());
    }
  }
  // Context switches (and above concurrency 1 CPU time) are the round's,
  // shared out by RPCs.
  int64_t rpcs = 0;
  for (const Slice& slice : slices) rpcs += slice.rpcs;
  const int64_t switches = ProcessContextSwitches() - switches_start;
  for (Slice& slice : slices) {
    slice.context_switches = rpcs > 0 ? switches * slice.rpcs / rpcs : 0;
    if (concurrency > 1) {
      slice.cpu_seconds = rpcs > 0 ? cpu * slice.rpcs / rpcs : 0;
      slice.seconds /= concurrency;
    }
  }
  return slices;
}

}  // namespace

bool Check(const Chain& chain) {
  HelloReply reply;
  grpc::Status status =
      Call(*chain.stub, /*metainfo=*/true, kCheckName, &reply);
  return CheckForwarded(chain.mode, ModeName(chain.mode), status, reply);
}

std::vector<LoadResult> RunLoad(const Chains& chains,
                                const RpcOptions& options) {
  std::vector<LoadResult> results;
  const int n = static_cast<int>(options.modes.size());  // modes[0] is plain
  const auto slice_time = std::chrono::milliseconds(options.slice_ms);
  std::mt19937 rng(20240601);
  for (int concurrency : options.concurrency) {
    if (options.interleave_rpcs) {
      // Warmed together, as they are measured: no mode is the last warmed.
      RunInterleavedRound(chains, options, concurrency,
                          std::chrono::milliseconds(options.warmup_ms) * n,
                          rng());
    } else {
      for (Mode mode : options.modes) {
        RunSlice(*chains.at(mode)->stub, options.metainfo, concurrency,
                 std::chrono::milliseconds(options.warmup_ms));
      }
    }
    // slices[m][round]
    std::vector<std::vector<Slice>> slices(n);
    for (int round = 0; round < options.rounds; ++round) {
      if (concurrency == 1 || options.interleave_rpcs) {
        std::vector<Slice> round_slices = RunInterleavedRound(
            chains, options, concurrency, slice_time * n, rng());
        for (int m = 0; m < n; ++m) slices[m].push_back(round_slices[m]);
        continue;
      }
      for (int i = 0; i < n; ++i) {
        const int m = (i + round) % n;
        slices[m].push_back(RunSlice(*chains.at(options.modes[m])->stub,
                                     options.metainfo, concurrency,
                                     slice_time));
      }
    }
    std::vector<LoadResult> by_mode =
        SummarizeLoad(concurrency, options.modes, slices);
    results.insert(results.end(), by_mode.begin(), by_mode.end());
  }
  return results;
}

std::vector<AllocResult> RunAllocs(const Chains& chains,
                                   const RpcOptions& options) {
  std::vector<AllocResult> results;
  for (bool metainfo : {false, true}) {
    AllocResult by_mode[kNumAllModes];
    for (int round = 0; round < options.alloc_rounds; ++round) {
      for (int i = 0; i < kNumAllModes; ++i) {
        const int m = (i + round) % kNumAllModes;
        Greeter::Stub& stub = *chains.at(kAllModes[m])->stub;
        HelloReply reply;
        for (int k = 0; k < 20; ++k) Call(stub, metainfo, "bench", &reply);
        int64_t failures = 0;
        StartCounting();
        for (int k = 0; k < options.alloc_rpcs; ++k) {
          if (!Call(stub, metainfo, "bench", &reply).ok()) ++failures;
        }
        const uint64_t allocations = StopCounting();
        by_mode[m].failures += failures;
        by_mode[m].per_rpc_rounds.push_back(static_cast<double>(allocations) /
                                            options.alloc_rpcs);
      }
    }
    for (int m = 0; m < kNumAllModes; ++m) {
      by_mode[m].metainfo = metainfo;
      by_mode[m].mode = kAllModes[m];
      by_mode[m].per_rpc = Median(by_mode[m].per_rpc_rounds);
      results.push_back(by_mode[m]);
    }
  }
  return results;
}

}  // namespace gls_bench
