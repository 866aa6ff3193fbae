// A cross-talk stress test over real servers: client -> front -> leaf, with
// the front started as WithContextBackup(true, /*async=*/true). For every
// request the front calls the leaf with a fresh grpc::ClientContext along four
// paths at once: on the handler thread, through gls::ThreadPool, through
// gls::Go and through a plain std::async (async=true inheritance). The client
// keeps 64 requests in flight, each with its own tenant, and every fourth with
// no metainfo at all. The test proves that under this load every leaf call
// carries exactly its own request's tenant (or none for a request without
// metainfo), never another request's, and never a transient value: no
// session leaks between requests through reused handler threads, pool
// threads, or new threads.
//
// GLS_STRESS_REQUESTS overrides the number of requests (default 10000).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/session/async.h"
#include "gls/session/thread_pool.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;
using ::gls::examples::Hop;
using ::gls::testing::LeafGreeter;
using ::gls::testing::TestServer;

constexpr int kDefaultRequests = 10000;
constexpr int kWindow = 64;  // requests in flight at once
constexpr char kTenantHeader[] = "rpc-persist-tenant";
constexpr char kHopHeader[] = "rpc-transit-hop";
// The front's paths to the leaf, in the order of the reply's hops.
constexpr const char* kPaths[] = {"handler-thread", "thread-pool", "go",
                                  "std-async"};
constexpr int kNumPaths = sizeof(kPaths) / sizeof(kPaths[0]);

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(60);
}

// The number of requests: GLS_STRESS_REQUESTS if set, else the default;
// nullopt if the variable is set but not a positive integer.
std::optional<int> NumRequests() {
  const char* env = std::getenv("GLS_STRESS_REQUESTS");
  if (env == nullptr || *env == '\0') return kDefaultRequests;
  int n = 0;
  if (!absl::SimpleAtoi(env, &n) || n <= 0) return std::nullopt;
  return n;
}

// Whether request `i` carries metainfo (every fourth carries none).
bool HasMetainfo(int i) { return i % 4 != 3; }

// Front (sync API): calls the leaf on all four paths concurrently, each with a
// fresh ClientContext, and replies with the leaf's hops in kPaths order. Each
// hop's `via` is the leaf's reply message, which echoes the name sent to it.
class StressFront final : public Greeter::Service {
 public:
  StressFront(std::shared_ptr<grpc::Channel> leaf, ThreadPool* pool)
      : stub_(Greeter::NewStub(leaf)), pool_(pool) {}

  grpc::Status SayHello(grpc::ServerContext*, const HelloRequest* request,
                        HelloReply* reply) override {
    const int active = active_.fetch_add(1) + 1;
    int seen = max_active_.load();
    while (active > seen && !max_active_.compare_exchange_weak(seen, active)) {
    }
    grpc::Status status = Handle(request->name(), reply);
    active_.fetch_sub(1);
    return status;
  }

  // The most requests the handler ever ran at once.
  int max_active() const { return max_active_.load(); }

 private:
  grpc::Status Handle(const std::string& name, HelloReply* reply) {
    std::promise<std::optional<Hop>> pooled;
    if (!pool_->Schedule(
            [&] { pooled.set_value(CallLeaf(kPaths[1], name)); })) {
      pooled.set_value(std::nullopt);  // the pool is shutting down
    }
    std::optional<Hop> go;
    std::thread go_thread = Go([&] { go = CallLeaf(kPaths[2], name); });
    std::future<std::optional<Hop>> implicit = std::async(
        std::launch::async, [&] { return CallLeaf(kPaths[3], name); });
    std::optional<Hop> direct = CallLeaf(kPaths[0], name);
    go_thread.join();
    std::optional<Hop> hops[kNumPaths] = {std::move(direct),
                                          pooled.get_future().get(),
                                          std::move(go), implicit.get()};
    for (int k = 0; k < kNumPaths; ++k) {
      if (!hops[k].has_value()) {
        return grpc::Status(
            grpc::StatusCode::INTERNAL,
            absl::StrCat("leaf call via ", kPaths[k], " failed for ", name));
      }
      *reply->add_hops() = std::move(*hops[k]);
    }
    return grpc::Status::OK;
  }

  // Calls the leaf with a fresh ClientContext and name "<via>/<name>";
  // returns the leaf's hop with `via` set to the leaf's reply message, or
  // nullopt if the call failed.
  std::optional<Hop> CallLeaf(const char* via, const std::string& name) {
    grpc::ClientContext context;  // fresh: carries nothing of the request
    context.set_deadline(Deadline());
    HelloRequest request;
    request.set_name(absl::StrCat(via, "/", name));
    HelloReply reply;
    grpc::Status status = stub_->SayHello(&context, request, &reply);
    if (!status.ok() || reply.hops_size() != 1) return std::nullopt;
    Hop hop = reply.hops(0);
    hop.set_via(reply.message());
    return hop;
  }

  std::unique_ptr<Greeter::Stub> stub_;
  ThreadPool* pool_;
  std::atomic<int> active_{0};
  std::atomic<int> max_active_{0};
};

// One request in flight.
struct Call {
  int index = 0;
  grpc::ClientContext context;
  HelloRequest request;
  HelloReply reply;
  grpc::Status status;
};

// What the client found in the replies.
struct Tally {
  int failed_rpcs = 0;
  int wrong = 0;    // another tenant, a tenant where none belongs, a transient
                    // value, an unexpected header, or another request's reply
  int missing = 0;  // no tenant where one belongs, or no hop for a path
  std::vector<std::string> examples;  // the first few problems, for the log

  void Note(std::string problem) {
    if (examples.size() < 10) examples.push_back(std::move(problem));
  }
};

// Checks one finished request against what it sent.
void Check(const Call& call, Tally& tally) {
  const int i = call.index;
  if (!call.status.ok()) {
    ++tally.failed_rpcs;
    tally.Note(absl::StrCat("request ", i, ": ", call.status.error_message()));
    return;
  }
  const std::string tenant = absl::StrCat("t", i);
  for (int k = 0; k < kNumPaths; ++k) {
    const std::string where = absl::StrCat("request ", i, " via ", kPaths[k]);
    if (k >= call.reply.hops_size()) {
      ++tally.missing;
      tally.Note(absl::StrCat(where, ": no hop"));
      continue;
    }
    const Hop& hop = call.reply.hops(k);
    if (hop.via() != absl::StrCat("Hello ", kPaths[k], "/r", i)) {
      ++tally.wrong;
      tally.Note(absl::StrCat(where, ": reply of \"", hop.via(), "\""));
    }
    bool saw_tenant = false;
    for (const auto& [key, value] : hop.metadata()) {
      if (key == kTenantHeader) {
        saw_tenant = true;
        if (!HasMetainfo(i) || value != tenant) {
          ++tally.wrong;
          tally.Note(absl::StrCat(where, ": leaf got tenant ", value));
        }
      } else {
        ++tally.wrong;  // a transient value, or anything else
        tally.Note(absl::StrCat(where, ": leaf got ", key, "=", value));
      }
    }
    if (HasMetainfo(i) && !saw_tenant) {
      ++tally.missing;
      tally.Note(absl::StrCat(where, ": leaf got no tenant"));
    }
  }
}

// Tests that under 64 concurrent requests with distinct tenants, every leaf
// call on every path carries exactly its own request's tenant and nothing
// transient.
TEST(StressTest, NoCrossTalkUnderLoad) {
  std::optional<int> num_requests = NumRequests();
  ASSERT_TRUE(num_requests.has_value())
      << "GLS_STRESS_REQUESTS must be a positive integer, got \""
      << std::getenv("GLS_STRESS_REQUESTS") << "\"";
  const int n = *num_requests;

  LeafGreeter leaf("leaf");
  TestServer leaf_server({&leaf}, /*backup=*/false);
  ThreadPool pool(8);
  StressFront front(leaf_server.BackupChannel(client::RestoreMissingPersistent),
                    &pool);
  TestServer front_server({&front}, /*backup=*/true, /*async=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());

  absl::Mutex mu;
  std::deque<std::unique_ptr<Call>> finished;  // guarded by mu
  Tally tally;
  int started = 0;
  int in_flight = 0;
  int checked = 0;
  const auto start_time = std::chrono::steady_clock::now();
  while (checked < n) {
    for (; started < n && in_flight < kWindow; ++started, ++in_flight) {
      Call* call = new Call;  // owned by `finished` once the call is done
      call->index = started;
      if (HasMetainfo(started)) {
        call->context.AddMetadata(kTenantHeader, absl::StrCat("t", started));
        call->context.AddMetadata(kHopHeader, absl::StrCat("h", started));
      }
      call->context.set_deadline(Deadline());
      call->request.set_name(absl::StrCat("r", started));
      stub->async()->SayHello(&call->context, &call->request, &call->reply,
                              [&mu, &finished, call](grpc::Status status) {
                                call->status = std::move(status);
                                absl::MutexLock lock(&mu);
                                finished.emplace_back(call);
                              });
    }
    std::deque<std::unique_ptr<Call>> batch;
    {
      auto any_finished = [&finished] { return !finished.empty(); };
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(&any_finished));
      batch.swap(finished);
    }
    for (const std::unique_ptr<Call>& call : batch) {
      Check(*call, tally);
      --in_flight;
      ++checked;
    }
  }
  const double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - start_time)
                             .count();

  std::printf(
      "stress_test: %d requests (%d without metainfo), %d leaf calls, "
      "window %d (front ran up to %d at once), %.2f s (%.0f requests/s); "
      "failed %d, wrong %d, missing %d\n",
      n, n / 4, n * kNumPaths, kWindow, front.max_active(), seconds,
      n / seconds, tally.failed_rpcs, tally.wrong, tally.missing);
  for (const std::string& problem : tally.examples) {
    std::printf("  %s\n", problem.c_str());
  }
  EXPECT_EQ(tally.failed_rpcs, 0);
  EXPECT_EQ(tally.wrong, 0);
  EXPECT_EQ(tally.missing, 0);
}

}  // namespace
}  // namespace gls
