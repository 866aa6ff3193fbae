// End-to-end tests of a two-hop chain: client -> A -> B, where A's handler
// calls B with a fresh grpc::ClientContext through a backup channel.
#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/session/session_manager.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;
using ::gls::testing::LeafGreeter;
using ::gls::testing::TestServer;
using Headers = std::map<std::string, std::string>;
using Metadata = std::multimap<std::string, std::string>;

// A (sync): forwards to B with a fresh ClientContext holding `own_metadata`.
class FrontGreeter final : public Greeter::Service {
 public:
  FrontGreeter(std::shared_ptr<grpc::Channel> backend, Metadata own_metadata)
      : stub_(Greeter::NewStub(backend)), own_(std::move(own_metadata)) {}
  grpc::Status SayHello(grpc::ServerContext*, const HelloRequest* request,
                        HelloReply* reply) override {
    grpc::Status status;
    *reply = testing::CallGreeter(*stub_, request->name(), own_, &status);
    return status;
  }

 private:
  std::unique_ptr<Greeter::Stub> stub_;
  const Metadata own_;
};

// A (callback): the same, from the reactor-creating handler body.
class CallbackFrontGreeter final : public Greeter::CallbackService {
 public:
  explicit CallbackFrontGreeter(std::shared_ptr<grpc::Channel> backend)
      : stub_(Greeter::NewStub(backend)) {}
  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* ctx,
                                     const HelloRequest* request,
                                     HelloReply* reply) override {
    grpc::Status status;
    *reply = testing::CallGreeter(*stub_, request->name(), {}, &status);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

 private:
  std::unique_ptr<Greeter::Stub> stub_;
};

Headers LeafHeaders(const HelloReply& reply) {
  if (reply.hops_size() != 1) return {{"error", "no hop"}};
  const auto& md = reply.hops(0).metadata();
  return Headers(md.begin(), md.end());
}

const Metadata kClientMetadata = {{"rpc-persist-tenant", "acme"},
                                  {"rpc-persist-log-id", "42"},
                                  {"rpc-transit-hop", "edge"},
                                  {"authorization", "Bearer secret"}};

// Tests that B receives the persistent values, no transient value from the
// client and no authorization (sync and callback A).
TEST(ChainTest, TwoHopsCarryPersistentOnly) {
  LeafGreeter leaf("B");
  TestServer b({&leaf}, /*backup=*/true);
  FrontGreeter sync_front(b.BackupChannel(client::RestoreMissingPersistent),
                          {});
  CallbackFrontGreeter callback_front(
      b.BackupChannel(client::RestoreMissingPersistent));
  for (grpc::Service* front :
       std::vector<grpc::Service*>{&sync_front, &callback_front}) {
    TestServer a({front}, /*backup=*/true);
    auto stub = Greeter::NewStub(a.Channel());
    grpc::Status status;
    HelloReply reply =
        testing::CallGreeter(*stub, "x", kClientMetadata, &status);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(LeafHeaders(reply), (Headers{{"rpc-persist-log-id", "42"},
                                           {"rpc-persist-tenant", "acme"}}));
  }
}

// Tests Kitex's TestCallWithContextBackup over real hops: prev persistent
// b=b, c=c and transient e=e; cur persistent b=bb, transient f=f; handler
// returns (cur, true): B gets b=bb, c=c, f=f and no e.
TEST(ChainTest, KitexTestVector) {
  LeafGreeter leaf("B");
  TestServer b({&leaf}, true);
  FrontGreeter front(b.BackupChannel([](const Context&, const Context& cur) {
    return client::BackupResult{cur, true};
  }),
                     {{"rpc-persist-b", "bb"}, {"rpc-transit-f", "f"}});
  TestServer a({&front}, true);
  auto stub = Greeter::NewStub(a.Channel());
  grpc::Status status;
  HelloReply reply = testing::CallGreeter(
      *stub, "x",
      {{"rpc-persist-b", "b"}, {"rpc-persist-c", "c"}, {"rpc-transit-e", "e"}},
      &status);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(LeafHeaders(reply), (Headers{{"rpc-persist-b", "bb"},
                                         {"rpc-persist-c", "c"},
                                         {"rpc-transit-f", "f"}}));
}

// Tests 200 concurrent requests with distinct tenants: every downstream call
// carries its own request's tenant.
TEST(ChainTest, ConcurrentRequestsNeverMixTenants) {
  LeafGreeter leaf("B");
  TestServer b({&leaf}, true);
  FrontGreeter front(b.BackupChannel(client::RestoreMissingPersistent), {});
  TestServer a({&front}, true);
  auto stub = Greeter::NewStub(a.Channel());

  auto calls = testing::CallConcurrently(*stub, 200);
  int mismatches = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    ASSERT_TRUE(calls[i]->status.ok()) << calls[i]->status.error_message();
    Headers got = LeafHeaders(calls[i]->reply);
    if (got != Headers{{"rpc-persist-tenant", absl::StrCat("tenant-", i)}}) {
      ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace gls
