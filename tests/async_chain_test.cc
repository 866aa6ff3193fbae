// End-to-end tests of async propagation over real servers with
// WithContextBackup(true, /*async=*/true): a front handler makes its outbound
// call on its own thread, through the session-carrying pool, through gls::Go,
// through plain std::async, and from a callback reactor finished by pool work.
#include <functional>
#include <future>
#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
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
using ::gls::testing::LeafGreeter;
using ::gls::testing::TestServer;

// Calls the leaf with a fresh ClientContext; returns the tenant it received,
// labelled with `via`.
std::string CallLeaf(Greeter::Stub& stub, const std::string& via) {
  grpc::Status status;
  HelloReply reply = testing::CallGreeter(stub, via, {}, &status);
  if (!status.ok()) return via + ":error:" + status.error_message();
  const auto& md = reply.hops(0).metadata();
  auto it = md.find("rpc-persist-tenant");
  bool transient = md.count("rpc-transit-hop") > 0;
  return via + ":" + (it == md.end() ? "none" : it->second) +
         (transient ? ":LEAKED-TRANSIENT" : "");
}

// A path from a sync handler to its outbound call, for the tests that run on
// each: runs `call` there, with `pool` for the paths that need one, and
// returns its result.
struct Path {
  const char* name;   // the test's name
  const char* label;  // CallLeaf's `via`
  std::function<std::string(ThreadPool& pool,
                            const std::function<std::string()>& call)>
      run;
};

void PrintTo(const Path& path, std::ostream* os) { *os << path.name; }

const Path kPaths[] = {
    {"HandlerThread", "handler-thread",
     [](ThreadPool&, const std::function<std::string()>& call) {
       return call();
     }},
    {"ThreadPool", "thread-pool",
     [](ThreadPool& pool, const std::function<std::string()>& call) {
       std::promise<std::string> pooled;
       pool.Schedule([&] { pooled.set_value(call()); });
       return pooled.get_future().get();
     }},
    {"Go", "go",
     [](ThreadPool&, const std::function<std::string()>& call) {
       std::string go;
       Go([&] { go = call(); }).join();
       return go;
     }},
    {"StdAsync", "std-async",
     [](ThreadPool&, const std::function<std::string()>& call) {
       return std::async(std::launch::async, call).get();
     }},
};

// Sync front: makes its outbound call along one path.
class SyncFront final : public Greeter::Service {
 public:
  SyncFront(std::shared_ptr<grpc::Channel> leaf, ThreadPool* pool, Path path)
      : stub_(Greeter::NewStub(leaf)), pool_(pool), path_(std::move(path)) {}
  grpc::Status SayHello(grpc::ServerContext*, const HelloRequest*,
                        HelloReply* reply) override {
    reply->set_message(
        path_.run(*pool_, [&] { return CallLeaf(*stub_, path_.label); }));
    return grpc::Status::OK;
  }

 private:
  std::unique_ptr<Greeter::Stub> stub_;
  ThreadPool* pool_;
  const Path path_;
};

// Callback front: the handler returns at once; pool work makes the outbound
// calls (directly and through std::async) and finishes the reactor.
class CallbackFront final : public Greeter::CallbackService {
 public:
  CallbackFront(std::shared_ptr<grpc::Channel> leaf, ThreadPool* pool)
      : stub_(Greeter::NewStub(leaf)), pool_(pool) {}
  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* ctx,
                                     const HelloRequest*,
                                     HelloReply* reply) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    pool_->Schedule([this, reply, reactor] {
      reply->set_message(CallLeaf(*stub_, "thread-pool"));
      reply->add_hops()->set_via(std::async(std::launch::async, [this] {
                                   return CallLeaf(*stub_, "std-async");
                                 }).get());
      reactor->Finish(grpc::Status::OK);
    });
    return reactor;
  }

 private:
  std::unique_ptr<Greeter::Stub> stub_;
  ThreadPool* pool_;
};

class AsyncChainTest : public ::testing::Test {
 protected:
  LeafGreeter leaf_{"leaf"};
  TestServer leaf_server_{{&leaf_}, /*backup=*/true, /*async=*/true};
  ThreadPool pool_{4};
};

class AsyncChainPathTest : public AsyncChainTest,
                           public ::testing::WithParamInterface<Path> {};

// Tests that the path carries the request's tenant (and no transient value).
TEST_P(AsyncChainPathTest, PathCarriesTheRequest) {
  SyncFront sync_front(
      leaf_server_.BackupChannel(client::RestoreMissingPersistent), &pool_,
      GetParam());
  TestServer front({&sync_front}, true, true);
  auto stub = Greeter::NewStub(front.Channel());
  grpc::Status status;
  HelloReply reply = testing::CallGreeter(
      *stub, "x", {{"rpc-persist-tenant", "acme"}, {"rpc-transit-hop", "h"}},
      &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.message(), std::string(GetParam().label) + ":acme");
}

INSTANTIATE_TEST_SUITE_P(Paths, AsyncChainPathTest, ::testing::ValuesIn(kPaths),
                         [](const ::testing::TestParamInfo<Path>& info) {
                           return std::string(info.param.name);
                         });

// Tests that under 200 concurrent requests through the callback front (pool
// work and std::async from it) each downstream call carries its own tenant.
TEST_F(AsyncChainTest, ConcurrentCallbackRequestsNeverMix) {
  CallbackFront callback_front(
      leaf_server_.BackupChannel(client::RestoreMissingPersistent), &pool_);
  TestServer front({&callback_front}, true, true);
  auto stub = Greeter::NewStub(front.Channel());
  auto calls = testing::CallConcurrently(*stub, 200);
  int mismatches = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    ASSERT_TRUE(calls[i]->status.ok()) << calls[i]->status.error_message();
    std::string tenant = absl::StrCat("tenant-", i);
    const HelloReply& reply = calls[i]->reply;
    if (reply.message() != "thread-pool:" + tenant) ++mismatches;
    if (reply.hops_size() != 1 ||
        reply.hops(0).via() != "std-async:" + tenant) {
      ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace gls
