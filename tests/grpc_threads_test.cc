// Tests that threads gRPC creates while a request is bound, with async=true,
// never inherit that request: server pollers and workers, channel and timer
// threads.
#include <memory>
#include <string>
#include <vector>

#include "gls/interceptors/server_interceptor.h"
#include "gls/session/internal/thread_inherit.h"
#include "gls/session/session_manager.h"
#include "gls/tests/session_test_util.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"
#include "proto/test_stream.grpc.pb.h"

namespace gls {
namespace {

using ::gls::testing::Probe;
using ::gls::testing::Streamer;

// A service without the backup interceptor reports what its handler thread
// sees by itself.
class Reporter final : public Streamer::Service {
 public:
  grpc::Status Unary(grpc::ServerContext*, const Probe*, Probe* out) override {
    out->add_seen(testing::CurValidTenant());
    return grpc::Status::OK;
  }
};

// Tests that threads gRPC creates while a request is bound (server pollers and
// workers, channel and timer threads) never inherit it, during or after.
TEST(GrpcThreadsTest, NeverInheritRequest) {
  auto factory = server::WithContextBackup(/*enable=*/true, /*async=*/true);
  ASSERT_TRUE(session_internal::ThreadInheritanceEnabled());
  Reporter reporter;
  Session request(Context().WithPersistent("TENANT", "acme"));
  std::unique_ptr<testing::TestServer> server;
  std::unique_ptr<Streamer::Stub> stub;
  auto call = [&] {
    grpc::ClientContext ctx;
    Probe in, out;
    EXPECT_TRUE(stub->Unary(&ctx, in, &out).ok());
    return out.seen_size() == 1 ? out.seen(0) : "missing";
  };
  {
    SessionScope scope(request);
    // Server, channel and their threads all start while the session is bound.
    server = std::make_unique<testing::TestServer>(
        std::vector<grpc::Service*>{&reporter}, /*backup=*/false);
    stub = Streamer::NewStub(server->Channel());
    for (int i = 0; i < 5; ++i) EXPECT_EQ(call(), "none");
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(call(), "none");
  request.End();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(call(), "none");
}

}  // namespace
}  // namespace gls
