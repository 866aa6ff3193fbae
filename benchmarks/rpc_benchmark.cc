// benchmarks/rpc_benchmark.cc
//
// The RPC-path benchmark of gls: a two-hop chain client -> front -> leaf over
// loopback (127.0.0.1, ports the OS picks), all three roles in this one
// process, in these modes:
//
//   plain   no interceptors; the front calls the leaf with a fresh
//           grpc::ClientContext and forwards nothing.
//   manual  no interceptors; the front copies the request's rpc-persist-*
//           headers into its fresh ClientContext by hand (what users write
//           without gls).
//   gls     gls::server::WithContextBackup(true, false) on the front's server,
//           gls::client::WithContextBackup(RestoreMissingPersistent) on the
//           front's channel to the leaf; the front uses a fresh ClientContext.
//   noop-pair  pass-through server and client interceptors on the front (on
//           every call): gRPC's interceptor machinery for the pair gls uses
//           when a session is bound (throughput phase only with --modes).
//   noop    a pass-through server interceptor on the front and a client
//           interceptor factory that creates nothing on its channel: what
//           gRPC's interceptor machinery costs without gls (allocation phase;
//           throughput phase only with --modes).
//
// Each mode has its own front server and client channel; the leaf (a plain
// sync server) is shared. The client sends every request with a 10 s deadline
// and, unless said otherwise, metadata of realistic size: 3 persistent values
// and 1 transient one, plus gRPC's own headers.
//
// Phases:
//   1. check: one request per mode; the leaf must get exactly the persistent
//      values in manual and gls modes and none in the others. A failure exits
//      with status 1.
//   2. throughput and latency, for each concurrency, `rounds` rounds; the
//      modes are interleaved so the machine's drift hits them alike:
//      - concurrency 1: one client thread calls every mode in turn, one RPC
//        each, in a new random order every cycle, for slice_ms x modes.
//      - concurrency N > 1: N client threads doing blocking calls run every
//        mode for `slice_ms`, in an order that rotates every round.
//      Absolute figures pool the rounds (throughput = RPCs / time, p50 and p99
//      of client-side latency, process CPU time and context switches per
//      RPC); comparisons with plain are medians over rounds of the comparison
//      with plain's slice of the same round.
//   3. allocations: heap allocations of the whole process (client, front and
//      leaf; see alloc_counter.h) per RPC, at concurrency 1, for requests
//      without metainfo and with it; median over `alloc_rounds` rounds of
//      `alloc_rpcs` RPCs per mode, every mode.
//
// Prints the tables with ratios to plain; --json=PATH also writes the figures
// as JSON. Exits 1 if any RPC failed, 2 on bad flags.
//
// Usage:
//   rpc_benchmark [--modes=plain,manual,gls] [--metainfo=true]
//                 [--concurrency=1,8] [--rounds=8] [--slice_ms=400]
//                 [--warmup_ms=300] [--alloc_rounds=3] [--alloc_rpcs=1000]
//                 [--json=PATH]

#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gls/benchmarks/alloc_counter.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/interceptors/server_interceptor.h"
#include "proto/greeter.grpc.pb.h"

namespace gls_bench {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;
using Clock = std::chrono::steady_clock;

enum class Mode { kPlain, kManual, kGls, kNoop, kNoopPair };
constexpr Mode kAllModes[] = {Mode::kPlain, Mode::kManual, Mode::kGls,
                              Mode::kNoop, Mode::kNoopPair};
constexpr int kNumAllModes = 5;

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kPlain:
      return "plain";
    case Mode::kManual:
      return "manual";
    case Mode::kGls:
      return "gls";
    case Mode::kNoop:
      return "noop";
    case Mode::kNoopPair:
      return "noop-pair";
  }
  return "?";
}

// The metainfo every benchmark request carries: 3 persistent values, 1
// transient one.
const std::vector<std::pair<std::string, std::string>>& RequestMetainfo() {
  static const auto* const kMetainfo =
      new std::vector<std::pair<std::string, std::string>>{
          {"rpc-persist-tenant-id", "acme-corp-eu-west-1"},
          {"rpc-persist-trace-id", "4bf92f3577b34da6a3ce929d0e0e4736"},
          {"rpc-persist-user-id", "user-0000012345"},
          {"rpc-transit-caller", "edge-gateway-7f9c"},
      };
  return *kMetainfo;
}

// A request with this name makes the leaf report the metainfo it received.
constexpr absl::string_view kCheckName = "check";

absl::string_view View(grpc::string_ref s) {
  return absl::string_view(s.data(), s.size());
}

// ---------------------------------------------------------------------------
// Flags.

struct Options {
  // Modes of the throughput and latency phase (plain always included).
  std::vector<Mode> modes = {Mode::kPlain, Mode::kManual, Mode::kGls};
  // Whether the requests of that phase carry metainfo.
  bool metainfo = true;
  std::vector<int> concurrency = {1, 8};
  int rounds = 8;
  int slice_ms = 400;
  int warmup_ms = 300;
  int alloc_rounds = 3;
  int alloc_rpcs = 1000;
  std::string json;
};

[[noreturn]] void Usage(const std::string& error) {
  std::fprintf(stderr,
               "rpc_benchmark: %s\n"
               "usage: rpc_benchmark [--modes=plain,manual,gls] "
               "[--metainfo=true] [--concurrency=1,8] [--rounds=8] "
               "[--slice_ms=400] [--warmup_ms=300] [--alloc_rounds=3] "
               "[--alloc_rpcs=1000] [--json=PATH]\n",
               error.c_str());
  std::exit(2);
}

int PositiveInt(absl::string_view flag, absl::string_view value) {
  int n = 0;
  if (!absl::SimpleAtoi(value, &n) || n < 1) {
    Usage(absl::StrCat("bad value for --", flag, ": \"", value, "\""));
  }
  return n;
}

Options ParseFlags(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (!absl::ConsumePrefix(&arg, "--")) Usage(absl::StrCat("bad arg ", arg));
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(arg, absl::MaxSplits('=', 1));
    const absl::string_view name = kv.first;
    const absl::string_view value = kv.second;
    if (name == "modes") {
      options.modes = {Mode::kPlain};
      for (absl::string_view m : absl::StrSplit(value, ',')) {
        bool known = false;
        for (Mode mode : kAllModes) {
          if (m != ModeName(mode)) continue;
          known = true;
          if (mode != Mode::kPlain) options.modes.push_back(mode);
        }
        if (!known) Usage(absl::StrCat("unknown mode \"", m, "\""));
      }
    } else if (name == "metainfo") {
      if (!absl::SimpleAtob(value, &options.metainfo)) {
        Usage(absl::StrCat("bad value for --metainfo: \"", value, "\""));
      }
    } else if (name == "concurrency") {
      options.concurrency.clear();
      for (absl::string_view c : absl::StrSplit(value, ',')) {
        options.concurrency.push_back(PositiveInt(name, c));
      }
    } else if (name == "rounds") {
      options.rounds = PositiveInt(name, value);
    } else if (name == "slice_ms") {
      options.slice_ms = PositiveInt(name, value);
    } else if (name == "warmup_ms") {
      options.warmup_ms = PositiveInt(name, value);
    } else if (name == "alloc_rounds") {
      options.alloc_rounds = PositiveInt(name, value);
    } else if (name == "alloc_rpcs") {
      options.alloc_rpcs = PositiveInt(name, value);
    } else if (name == "json") {
      options.json = std::string(value);
    } else if (name == "help") {
      Usage("help");
    } else {
      Usage(absl::StrCat("unknown flag --", name));
    }
  }
  return options;
}

// ---------------------------------------------------------------------------
// Services and servers.

// The leaf: replies with the request's name; for kCheckName, also reports the
// metainfo headers it received as one Hop.
class LeafService final : public Greeter::Service {
 public:
  grpc::Status SayHello(grpc::ServerContext* context,
                        const HelloRequest* request,
                        HelloReply* reply) override {
    if (request->name() == kCheckName) {
      gls::examples::Hop* hop = reply->add_hops();
      hop->set_service("leaf");
      for (const auto& [name, value] : context->client_metadata()) {
        if (absl::StartsWith(View(name), "rpc-")) {
          (*hop->mutable_metadata())[std::string(View(name))] =
              std::string(View(value));
        }
      }
    }
    reply->set_message(request->name());
    return grpc::Status::OK;
  }
};

// The front: calls the leaf with a fresh ClientContext, as its mode says.
class FrontService final : public Greeter::Service {
 public:
  FrontService(Mode mode, std::shared_ptr<grpc::Channel> leaf)
      : mode_(mode), leaf_(Greeter::NewStub(std::move(leaf))) {}

  grpc::Status SayHello(grpc::ServerContext* context,
                        const HelloRequest* request,
                        HelloReply* reply) override {
    grpc::ClientContext downstream;
    if (mode_ == Mode::kManual) {
      for (const auto& [name, value] : context->client_metadata()) {
        if (absl::StartsWith(View(name), "rpc-persist-")) {
          downstream.AddMetadata(std::string(View(name)),
                                 std::string(View(value)));
        }
      }
    }
    return leaf_->SayHello(&downstream, *request, reply);
  }

 private:
  const Mode mode_;
  const std::unique_ptr<Greeter::Stub> leaf_;
};

// The noop mode's interceptors: gRPC's interceptor machinery, nothing else.
class PassThroughInterceptor final : public grpc::experimental::Interceptor {
 public:
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }
};

class PassThroughServerFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new PassThroughInterceptor();
  }
};

class NullClientFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return nullptr;
  }
};

// The noop-pair mode's client side: a pass-through interceptor on every call,
// as gls has on every call made under a session.
class PassThroughClientFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new PassThroughInterceptor();
  }
};

// Starts a server for `service` with the server interceptor of `mode`.
std::unique_ptr<grpc::Server> StartServer(grpc::Service* service, Mode mode,
                                          int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           port);
  builder.RegisterService(service);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      creators;
  if (mode == Mode::kGls) {
    creators.push_back(gls::server::WithContextBackup(/*enable=*/true,
                                                      /*async=*/false));
  } else if (mode == Mode::kNoop || mode == Mode::kNoopPair) {
    creators.push_back(std::make_unique<PassThroughServerFactory>());
  }
  if (!creators.empty()) {
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || *port == 0) {
    std::fprintf(stderr, "rpc_benchmark: cannot start a server\n");
    std::exit(1);
  }
  return server;
}

std::string Address(int port) { return absl::StrCat("127.0.0.1:", port); }

// One mode's chain: its front server and the client's stub to it.
struct Chain {
  Mode mode;
  std::unique_ptr<FrontService> front;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<Greeter::Stub> stub;
};

std::unique_ptr<Chain> MakeChain(Mode mode, int leaf_port) {
  auto chain = std::make_unique<Chain>();
  chain->mode = mode;
  std::shared_ptr<grpc::Channel> to_leaf;
  if (mode == Mode::kGls || mode == Mode::kNoop || mode == Mode::kNoopPair) {
    std::vector<
        std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
        creators;
    if (mode == Mode::kGls) {
      creators.push_back(gls::client::WithContextBackup(
          gls::client::RestoreMissingPersistent));
    } else if (mode == Mode::kNoopPair) {
      creators.push_back(std::make_unique<PassThroughClientFactory>());
    } else {
      creators.push_back(std::make_unique<NullClientFactory>());
    }
    to_leaf = grpc::experimental::CreateCustomChannelWithInterceptors(
        Address(leaf_port), grpc::InsecureChannelCredentials(),
        grpc::ChannelArguments(), std::move(creators));
  } else {
    to_leaf = grpc::CreateChannel(Address(leaf_port),
                                  grpc::InsecureChannelCredentials());
  }
  chain->front = std::make_unique<FrontService>(mode, std::move(to_leaf));
  int port = 0;
  chain->server = StartServer(chain->front.get(), mode, &port);
  chain->stub = Greeter::NewStub(
      grpc::CreateChannel(Address(port), grpc::InsecureChannelCredentials()));
  return chain;
}

// One client call with a fresh ClientContext.
grpc::Status Call(Greeter::Stub& stub, bool metainfo, absl::string_view name,
                  HelloReply* reply) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  if (metainfo) {
    for (const auto& [key, value] : RequestMetainfo()) {
      context.AddMetadata(key, value);
    }
  }
  HelloRequest request;
  request.set_name(std::string(name));
  return stub.SayHello(&context, request, reply);
}

// ---------------------------------------------------------------------------
// Phase 1: the chain forwards what each mode should.

bool Check(const Chain& chain) {
  HelloReply reply;
  grpc::Status status =
      Call(*chain.stub, /*metainfo=*/true, kCheckName, &reply);
  if (!status.ok() || reply.hops_size() != 1) {
    std::fprintf(stderr, "check %s: RPC failed: %s\n", ModeName(chain.mode),
                 status.error_message().c_str());
    return false;
  }
  std::map<std::string, std::string> got(reply.hops(0).metadata().begin(),
                                         reply.hops(0).metadata().end());
  std::map<std::string, std::string> want;
  if (chain.mode == Mode::kManual || chain.mode == Mode::kGls) {
    for (const auto& [key, value] : RequestMetainfo()) {
      if (absl::StartsWith(key, "rpc-persist-")) want[key] = value;
    }
  }
  if (got != want) {
    std::fprintf(stderr, "check %s: the leaf got {%s}, want {%s}\n",
                 ModeName(chain.mode),
                 absl::StrJoin(got, ", ", absl::PairFormatter("=")).c_str(),
                 absl::StrJoin(want, ", ", absl::PairFormatter("=")).c_str());
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Phase 2: throughput and latency.

// Context switches (voluntary and not) of the whole process so far.
int64_t ProcessContextSwitches() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_nvcsw + usage.ru_nivcsw;
}

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  size_t k = static_cast<size_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + k, values.end());
  return values[k];
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// One mode's slice of one round.
struct Slice {
  int64_t rpcs = 0;
  int64_t failures = 0;
  double seconds = 0;
  double cpu_seconds = 0;        // the whole process's
  int64_t context_switches = 0;  // the whole process's
  std::vector<double> latencies_us;

  double throughput() const { return seconds > 0 ? rpcs / seconds : 0; }
  double cpu_us_per_rpc() const {
    return rpcs > 0 ? cpu_seconds * 1e6 / rpcs : 0;
  }
};

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

// A round at concurrency 1: one client thread calls every mode in turn, one
// RPC each, in a new random order every cycle, for `duration`. A mode's slice
// holds its RPCs only: `seconds` sums their latencies, `cpu_seconds` the
// process CPU time each of them took (at concurrency 1 nothing else runs).
std::vector<Slice> RunInterleavedRound(
    const std::map<Mode, std::unique_ptr<Chain>>& chains,
    const Options& options, Clock::duration duration, std::mt19937& rng) {
  const int n = static_cast<int>(options.modes.size());
  std::vector<Slice> slices(n);
  std::vector<int> order(n);
  for (int m = 0; m < n; ++m) order[m] = m;
  const int64_t switches_start = ProcessContextSwitches();
  HelloReply reply;
  const Clock::time_point end = Clock::now() + duration;
  while (Clock::now() < end) {
    std::shuffle(order.begin(), order.end(), rng);
    for (int m : order) {
      Greeter::Stub& stub = *chains.at(options.modes[m])->stub;
      Slice& slice = slices[m];
      const double cpu_start = ProcessCpuSeconds();
      const Clock::time_point start = Clock::now();
      grpc::Status status = Call(stub, options.metainfo, "bench", &reply);
      const Clock::time_point done = Clock::now();
      slice.cpu_seconds += ProcessCpuSeconds() - cpu_start;
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
  // Context switches are counted for the round, shared out by RPCs.
  int64_t rpcs = 0;
  for (const Slice& slice : slices) rpcs += slice.rpcs;
  const int64_t switches = ProcessContextSwitches() - switches_start;
  for (Slice& slice : slices) {
    slice.context_switches = rpcs > 0 ? switches * slice.rpcs / rpcs : 0;
  }
  return slices;
}

// One mode at one concurrency. Absolute figures pool every slice; the
// comparisons to plain are medians over rounds of the per-round comparison
// with plain's slice of the same round (adjacent in time), which cancels the
// machine's drift.
struct LoadResult {
  int concurrency = 0;
  Mode mode = Mode::kPlain;
  int64_t rpcs = 0;
  int64_t failures = 0;
  double seconds = 0;
  double throughput = 0;  // RPCs per second
  double p50_us = 0;
  double p99_us = 0;
  double cpu_us_per_rpc = 0;
  double switches_per_rpc = 0;
  double throughput_vs_plain = 1;  // median of per-round ratios
  double p50_added_us = 0;         // median of per-round differences
  double p99_vs_plain = 1;         // pooled p99 / plain's pooled p99
  double cpu_vs_plain = 1;         // median of per-round ratios
  std::vector<double> round_throughput_vs_plain;
  std::vector<double> round_p50_added_us;
};

std::vector<LoadResult> RunLoad(
    const std::map<Mode, std::unique_ptr<Chain>>& chains,
    const Options& options) {
  std::vector<LoadResult> results;
  const int n = static_cast<int>(options.modes.size());  // modes[0] is plain
  const auto slice_time = std::chrono::milliseconds(options.slice_ms);
  std::mt19937 rng(20240601);
  for (int concurrency : options.concurrency) {
    for (Mode mode : options.modes) {
      RunSlice(*chains.at(mode)->stub, options.metainfo, concurrency,
               std::chrono::milliseconds(options.warmup_ms));
    }
    // slices[m][round]
    std::vector<std::vector<Slice>> slices(n);
    for (int round = 0; round < options.rounds; ++round) {
      if (concurrency == 1) {
        std::vector<Slice> round_slices =
            RunInterleavedRound(chains, options, slice_time * n, rng);
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
    std::vector<LoadResult> by_mode(n);
    for (int m = 0; m < n; ++m) {
      LoadResult& r = by_mode[m];
      r.concurrency = concurrency;
      r.mode = options.modes[m];
      std::vector<double> latencies;
      double cpu_seconds = 0;
      int64_t switches = 0;
      std::vector<double> throughput_ratios, p50_diffs, cpu_ratios;
      for (int round = 0; round < options.rounds; ++round) {
        const Slice& s = slices[m][round];
        const Slice& plain = slices[0][round];
        r.rpcs += s.rpcs;
        r.failures += s.failures;
        r.seconds += s.seconds;
        cpu_seconds += s.cpu_seconds;
        switches += s.context_switches;
        latencies.insert(latencies.end(), s.latencies_us.begin(),
                         s.latencies_us.end());
        if (plain.throughput() > 0 && plain.cpu_us_per_rpc() > 0) {
          throughput_ratios.push_back(s.throughput() / plain.throughput());
          cpu_ratios.push_back(s.cpu_us_per_rpc() / plain.cpu_us_per_rpc());
        }
        p50_diffs.push_back(Percentile(s.latencies_us, 0.5) -
                            Percentile(plain.latencies_us, 0.5));
      }
      r.throughput = r.seconds > 0 ? r.rpcs / r.seconds : 0;
      r.cpu_us_per_rpc = r.rpcs > 0 ? cpu_seconds * 1e6 / r.rpcs : 0;
      r.switches_per_rpc =
          r.rpcs > 0 ? static_cast<double>(switches) / r.rpcs : 0;
      r.p50_us = Percentile(latencies, 0.50);
      r.p99_us = Percentile(latencies, 0.99);
      r.round_throughput_vs_plain = throughput_ratios;
      r.round_p50_added_us = p50_diffs;
      r.throughput_vs_plain = Median(throughput_ratios);
      r.p50_added_us = Median(p50_diffs);
      r.cpu_vs_plain = Median(cpu_ratios);
      r.p99_vs_plain = by_mode[0].p99_us > 0 ? r.p99_us / by_mode[0].p99_us : 0;
    }
    results.insert(results.end(), by_mode.begin(), by_mode.end());
  }
  return results;
}

// ---------------------------------------------------------------------------
// Phase 3: allocations per RPC.

struct AllocResult {
  bool metainfo = false;
  Mode mode = Mode::kPlain;
  std::vector<double> per_rpc_rounds;
  double per_rpc = 0;  // median over rounds
  int64_t failures = 0;
};

std::vector<AllocResult> RunAllocs(
    const std::map<Mode, std::unique_ptr<Chain>>& chains,
    const Options& options) {
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

// ---------------------------------------------------------------------------
// Output.

const AllocResult& Find(const std::vector<AllocResult>& results, bool metainfo,
                        Mode mode) {
  for (const AllocResult& r : results) {
    if (r.metainfo == metainfo && r.mode == mode) return r;
  }
  std::abort();
}

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

void PrintTables(const std::vector<LoadResult>& load,
                 const std::vector<AllocResult>& allocs,
                 const Options& options) {
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

std::string JsonDouble(double v) { return absl::StrFormat("%.6g", v); }

struct JsonFormatter {
  void operator()(std::string* out, double v) const {
    out->append(JsonDouble(v));
  }
};

std::string ToJson(const std::vector<LoadResult>& load,
                   const std::vector<AllocResult>& allocs,
                   const Options& options) {
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

int Main(int argc, char** argv) {
  const Options options = ParseFlags(argc, argv);

  LeafService leaf;
  int leaf_port = 0;
  std::unique_ptr<grpc::Server> leaf_server =
      StartServer(&leaf, Mode::kPlain, &leaf_port);
  std::map<Mode, std::unique_ptr<Chain>> chains;
  for (Mode mode : kAllModes) chains[mode] = MakeChain(mode, leaf_port);

  for (const auto& [mode, chain] : chains) {
    if (!Check(*chain)) return 1;
  }
  std::vector<LoadResult> load = RunLoad(chains, options);
  std::vector<AllocResult> allocs = RunAllocs(chains, options);

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
