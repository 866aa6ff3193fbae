// End-to-end tests of a two-hop chain: client -> A -> B, where A's handler
// calls B with a fresh grpc::ClientContext through a backup channel.
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>

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
using ::gls::testing::ForwardingGreeter;
using ::gls::testing::HopHeaders;
using ::gls::testing::LeafGreeter;
using ::gls::testing::Metadata;
using ::gls::testing::TestServer;
using Headers = std::map<std::string, std::string>;

// A on the callback API: calls B with a fresh ClientContext from the
// reactor-creating handler body, as testing::ForwardingGreeter does on the sync
// API.
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

const Metadata kClientMetadata = {{"rpc-persist-tenant", "acme"},
                                  {"rpc-persist-log-id", "42"},
                                  {"rpc-transit-hop", "edge"},
                                  {"authorization", "Bearer secret"}};

// A front's API, for the tests that run on each: makes A's service, calling
// B through `backend`.
struct FrontApi {
  const char* name;
  std::function<std::unique_ptr<grpc::Service>(
      std::shared_ptr<grpc::Channel> backend)>
      make_front;
};

void PrintTo(const FrontApi& api, std::ostream* os) { *os << api.name; }

class ChainFrontApiTest : public ::testing::TestWithParam<FrontApi> {};

// Tests that B receives the persistent values, no transient value from the
// client and no authorization.
TEST_P(ChainFrontApiTest, TwoHopsCarryPersistentOnly) {
  LeafGreeter leaf("B");
  TestServer b({&leaf}, /*backup=*/true);
  std::unique_ptr<grpc::Service> front =
      GetParam().make_front(b.BackupChannel(client::RestoreMissingPersistent));
  TestServer a({front.get()}, /*backup=*/true);
  auto stub = Greeter::NewStub(a.Channel());
  grpc::Status status;
  HelloReply reply = testing::CallGreeter(*stub, "x", kClientMetadata, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(HopHeaders(reply), (Headers{{"rpc-persist-log-id", "42"},
                                        {"rpc-persist-tenant", "acme"}}));
}

INSTANTIATE_TEST_SUITE_P(
    Apis, ChainFrontApiTest,
    ::testing::Values(FrontApi{"Sync",
                               [](std::shared_ptr<grpc::Channel> backend) {
                                 return std::make_unique<ForwardingGreeter>(
                                     std::move(backend));
                               }},
                      FrontApi{"Callback",
                               [](std::shared_ptr<grpc::Channel> backend) {
                                 return std::make_unique<CallbackFrontGreeter>(
                                     std::move(backend));
                               }}),
    [](const ::testing::TestParamInfo<FrontApi>& info) {
      return std::string(info.param.name);
    });

// Tests that Kitex's TestCallWithContextBackup vector holds over real hops:
// prev persistent b=b, c=c and transient e=e; cur persistent b=bb, transient
// f=f; handler returns (cur, true): B gets b=bb, c=c, f=f and no e.
TEST(ChainTest, KitexTestVector) {
  LeafGreeter leaf("B");
  TestServer b({&leaf}, true);
  ForwardingGreeter front(
      b.BackupChannel([](const Context&, const Context& cur) {
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
  EXPECT_EQ(HopHeaders(reply), (Headers{{"rpc-persist-b", "bb"},
                                        {"rpc-persist-c", "c"},
                                        {"rpc-transit-f", "f"}}));
}

// Tests that under 200 concurrent requests with distinct tenants every
// downstream call carries its own request's tenant.
TEST(ChainTest, ConcurrentRequestsNeverMixTenants) {
  LeafGreeter leaf("B");
  TestServer b({&leaf}, true);
  ForwardingGreeter front(b.BackupChannel(client::RestoreMissingPersistent));
  TestServer a({&front}, true);
  auto stub = Greeter::NewStub(a.Channel());

  auto calls = testing::CallConcurrently(*stub, 200);
  int mismatches = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    ASSERT_TRUE(calls[i]->status.ok()) << calls[i]->status.error_message();
    Headers got = HopHeaders(calls[i]->reply);
    if (got != Headers{{"rpc-persist-tenant", absl::StrCat("tenant-", i)}}) {
      ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace gls
