// benchmarks/scale_phases.cc
//
// The phases of scale_phases.h.

#include "gls/benchmarks/scale_phases.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gls/benchmarks/callback_load.h"
#include "gls/benchmarks/chain_services.h"
#include "gls/benchmarks/chain_setup.h"
#include "gls/benchmarks/process_usage.h"

namespace gls_bench {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;

Metadata RequestMetadata() {
  return Metadata(RequestMetainfo().begin(), RequestMetainfo().end());
}

// `modes` (each with its chain in `chains`) interleaved for `rounds` rounds,
// each mode slice_ms per round, the order rotating every round:
// slices[m][round].
std::vector<std::vector<Slice>> RunRounds(const CallbackChains& chains,
                                          const std::vector<Mode>& modes,
                                          const Metadata& metadata,
                                          int in_flight, int rounds,
                                          int slice_ms) {
  const int n = static_cast<int>(modes.size());
  std::vector<std::vector<Slice>> slices(n);
  for (int round = 0; round < rounds; ++round) {
    for (int i = 0; i < n; ++i) {
      const int m = (i + round) % n;
      slices[m].push_back(RunClosedLoop(*chains.at(modes[m])->stub, metadata,
                                        in_flight,
                                        std::chrono::milliseconds(slice_ms)));
    }
  }
  return slices;
}

int IndexOf(const std::vector<Mode>& modes, Mode mode) {
  for (int i = 0; i < static_cast<int>(modes.size()); ++i) {
    if (modes[i] == mode) return i;
  }
  return -1;
}

// Median CPU microseconds per RPC over rounds.
double MedianCpu(const std::vector<Slice>& slices) {
  std::vector<double> cpu;
  for (const Slice& s : slices) cpu.push_back(s.cpu_us_per_rpc());
  return Median(cpu);
}

}  // namespace

bool CheckCallback(const CallbackChain& chain) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  for (const auto& [key, value] : RequestMetainfo()) {
    context.AddMetadata(key, value);
  }
  HelloRequest request;
  request.set_name(std::string(kCheckName));
  HelloReply reply;
  grpc::Status status = chain.stub->SayHello(&context, request, &reply);
  return CheckForwarded(chain.mode,
                        absl::StrCat(ModeName(chain.mode), " (callback)"),
                        status, reply);
}

std::vector<ScaleLoad> RunScaleLoad(const CallbackChains& chains,
                                    const ScaleOptions& options) {
  const Metadata metadata = RequestMetadata();
  std::vector<Greeter::Stub*> stubs;
  for (Mode mode : options.modes) stubs.push_back(chains.at(mode)->stub.get());
  const int n = static_cast<int>(stubs.size());
  std::mt19937 rng(20240601);
  std::vector<ScaleLoad> results;
  for (int concurrency : options.concurrency) {
    std::vector<std::vector<Slice>> slices(n);  // slices[m][round]
    if (options.interleave_rpcs) {
      // Warmed together, as they are measured: no mode is the last warmed.
      RunInterleavedClosedLoop(stubs, metadata, concurrency,
                               std::chrono::milliseconds(options.warmup_ms) * n,
                               rng());
      for (int round = 0; round < options.rounds; ++round) {
        std::vector<Slice> round_slices = RunInterleavedClosedLoop(
            stubs, metadata, concurrency,
            std::chrono::milliseconds(options.slice_ms) * n, rng());
        for (int m = 0; m < n; ++m) slices[m].push_back(round_slices[m]);
      }
    } else {
      for (Greeter::Stub* stub : stubs) {
        RunClosedLoop(*stub, metadata, concurrency,
                      std::chrono::milliseconds(options.warmup_ms));
      }
      slices = RunRounds(chains, options.modes, metadata, concurrency,
                         options.rounds, options.slice_ms);
    }
    ScaleLoad load;
    load.concurrency = concurrency;
    load.modes = SummarizeLoad(concurrency, options.modes, slices);
    const int gls = IndexOf(options.modes, Mode::kGls);
    const int propagate = IndexOf(options.modes, Mode::kManualPropagate);
    if (gls >= 0 && propagate >= 0) {
      load.gls_vs_propagate = Compare(slices[gls], slices[propagate]);
    }
    results.push_back(std::move(load));
  }
  return results;
}

std::vector<GrowthPoint> RunGrowth(const CallbackChains& chains,
                                   const ScaleOptions& options) {
  const Mode modes[] = {Mode::kManualPropagate, Mode::kGls};
  std::vector<std::pair<int, int>> points;  // (values, size)
  for (int values : options.growth_values) points.emplace_back(values, 16);
  for (int size : options.growth_sizes) points.emplace_back(1, size);
  std::vector<Metadata> metadata;
  for (const auto& [values, size] : points) {
    metadata.push_back(PersistentValues(values, size));
  }
  // Every (point, mode) cell runs once per round, in an order that rotates
  // every round, so the machine's drift hits every point alike:
  // slices[cell][round], cell = 2 * point + mode.
  const int cells = 2 * static_cast<int>(points.size());
  const auto run = [&](int cell, int ms) {
    return RunClosedLoop(*chains.at(modes[cell % 2])->stub, metadata[cell / 2],
                         options.growth_concurrency,
                         std::chrono::milliseconds(ms));
  };
  for (int cell = 0; cell < cells; ++cell) run(cell, options.warmup_ms / 4 + 1);
  std::vector<std::vector<Slice>> slices(cells);
  for (int round = 0; round < options.growth_rounds; ++round) {
    for (int i = 0; i < cells; ++i) {
      const int cell = (i + round) % cells;
      slices[cell].push_back(run(cell, options.slice_ms));
    }
  }
  std::vector<GrowthPoint> results;
  for (int p = 0; p < static_cast<int>(points.size()); ++p) {
    const std::vector<Slice>& propagate = slices[2 * p];
    const std::vector<Slice>& gls = slices[2 * p + 1];
    GrowthPoint point;
    point.values = points[p].first;
    point.value_size = points[p].second;
    point.propagate_cpu_us = MedianCpu(propagate);
    point.gls_cpu_us = MedianCpu(gls);
    point.gls_vs_propagate = Compare(gls, propagate);
    for (const std::vector<Slice>* mode_slices : {&propagate, &gls}) {
      for (const Slice& slice : *mode_slices) point.failures += slice.failures;
    }
    results.push_back(std::move(point));
  }
  return results;
}

MemoryResult MeasureMemory(Mode mode, const ScaleOptions& options) {
  CallbackLeafService leaf;
  int leaf_port = 0;
  std::unique_ptr<grpc::Server> leaf_server =
      StartServer(&leaf, Mode::kPlain, &leaf_port);
  std::unique_ptr<CallbackChain> chain = MakeCallbackChain(mode, leaf_port);
  const Metadata metadata = RequestMetadata();
  // Warm-up: connections, gRPC's threads and the allocators' first arenas;
  // never as many calls at once as the measure (memory the allocator kept
  // from it would hide what the held requests take).
  RunClosedLoop(*chain->stub, metadata, 16, std::chrono::milliseconds(300));

  MemoryResult result;
  result.mode = mode;
  result.in_flight = options.in_flight;
  const int64_t rss_before = ProcessRssBytes();
  const int64_t heap_before = HeapBytesInUse();
  {
    HeldCalls held(*chain->stub, metadata, options.in_flight);
    if (!leaf.WaitHeld(options.in_flight, absl::Seconds(30))) {
      std::fprintf(stderr, "memory %s: the leaf did not get %d requests\n",
                   ModeName(mode), options.in_flight);
      result.failures = options.in_flight;
    }
    const int64_t rss_held = ProcessRssBytes();
    const int64_t heap_held = HeapBytesInUse();
    result.rss_bytes_per_request =
        static_cast<double>(rss_held - rss_before) / options.in_flight;
    result.heap_bytes_per_request =
        static_cast<double>(heap_held - heap_before) / options.in_flight;
    leaf.Release();
    result.failures += held.Wait();
  }
  chain->server->Shutdown();
  leaf_server->Shutdown();
  return result;
}

std::vector<MemoryResult> RunMemory(const std::string& argv0,
                                    const ScaleOptions& options) {
  std::map<Mode, std::vector<MemoryResult>> runs;
  for (int run = 0; run < options.memory_runs; ++run) {
    for (Mode mode : options.modes) {
      const std::string command =
          absl::StrCat("'", argv0, "' --memory_mode=", ModeName(mode),
                       " --in_flight=", options.in_flight);
      std::FILE* pipe = popen(command.c_str(), "r");
      std::string output;
      char buffer[256];
      while (pipe != nullptr &&
             std::fgets(buffer, sizeof(buffer), pipe) != nullptr) {
        output += buffer;
      }
      const int status = pipe != nullptr ? pclose(pipe) : -1;
      MemoryResult r;
      r.mode = mode;
      r.in_flight = options.in_flight;
      const std::vector<absl::string_view> fields =
          absl::StrSplit(absl::StripAsciiWhitespace(output), ' ');
      if (status != 0 || fields.size() != 5 || fields[0] != "memory" ||
          !absl::SimpleAtod(fields[2], &r.rss_bytes_per_request) ||
          !absl::SimpleAtod(fields[3], &r.heap_bytes_per_request) ||
          !absl::SimpleAtoi(fields[4], &r.failures)) {
        std::fprintf(stderr, "scale_benchmark: memory run of %s failed: %s\n",
                     ModeName(mode), output.c_str());
        std::exit(1);
      }
      runs[mode].push_back(r);
    }
  }
  std::vector<MemoryResult> results;
  for (Mode mode : options.modes) {
    std::vector<double> rss;
    std::vector<double> heap;
    MemoryResult median;
    median.mode = mode;
    median.in_flight = options.in_flight;
    for (const MemoryResult& r : runs[mode]) {
      rss.push_back(r.rss_bytes_per_request);
      heap.push_back(r.heap_bytes_per_request);
      median.failures += r.failures;
    }
    median.rss_bytes_per_request = Median(rss);
    median.heap_bytes_per_request = Median(heap);
    results.push_back(median);
  }
  return results;
}

}  // namespace gls_bench
