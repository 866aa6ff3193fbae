// End-to-end tests of async propagation over real servers with
// WithContextBackup(true, /*async=*/true): a front handler makes its outbound
// call through the session-carrying pool, through gls::Go, through plain
// std::async, and from a callback reactor finished by pool work.
#include <future>
#include <map>
#include <string>
#include <vector>

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

// Sync front: one outbound call per path.
class SyncFront final : public Greeter::Service {
 public:
  SyncFront(std::shared_ptr<grpc::Channel> leaf, ThreadPool* pool)
      : stub_(Greeter::NewStub(leaf)), pool_(pool) {}
  grpc::Status SayHello(grpc::ServerContext*, const HelloRequest*,
                        HelloReply* reply) override {
    reply->set_message(CallLeaf(*stub_, "handler-thread"));
    std::promise<std::string> pooled;
    pool_->Schedule([&] { pooled.set_value(CallLeaf(*stub_, "thread-pool")); });
    std::string go;
    Go([&] { go = CallLeaf(*stub_, "go"); }).join();
    std::string implicit = std::async(std::launch::async, [&] {
                             return CallLeaf(*stub_, "std-async");
                           }).get();
    for (const std::string& s : {pooled.get_future().get(), go, implicit}) {
      reply->add_hops()->set_via(s);
    }
    return grpc::Status::OK;
  }

 private:
  std::unique_ptr<Greeter::Stub> stub_;
  ThreadPool* pool_;
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

// Tests that every path carries the request's tenant (and no transient value).
TEST_F(AsyncChainTest, EveryPathCarriesTheRequest) {
  SyncFront sync_front(
      leaf_server_.BackupChannel(client::RestoreMissingPersistent), &pool_);
  TestServer front({&sync_front}, true, true);
  auto stub = Greeter::NewStub(front.Channel());
  grpc::Status status;
  HelloReply reply = testing::CallGreeter(
      *stub, "x", {{"rpc-persist-tenant", "acme"}, {"rpc-transit-hop", "h"}},
      &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.message(), "handler-thread:acme");
  ASSERT_EQ(reply.hops_size(), 3);
  EXPECT_EQ(reply.hops(0).via(), "thread-pool:acme");
  EXPECT_EQ(reply.hops(1).via(), "go:acme");
  EXPECT_EQ(reply.hops(2).via(), "std-async:acme");
}

// Tests 200 concurrent requests through the callback front (pool work and
// std::async from it): each downstream call carries its own tenant.
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
