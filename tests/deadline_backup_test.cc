// End-to-end test of gls::client::RegisterGlobalDeadlineBackup: a fresh
// ClientContext in a handler inherits the request's deadline.
#include "gls/interceptors/deadline_backup.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gls/session/session_manager.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;

// Replies with the seconds left until its deadline ("inf" if none).
class DeadlineLeaf final : public Greeter::Service {
 public:
  grpc::Status SayHello(grpc::ServerContext* ctx, const HelloRequest*,
                        HelloReply* reply) override {
    if (ctx->deadline() == std::chrono::system_clock::time_point::max()) {
      reply->set_message("inf");
    } else {
      absl::Duration left = absl::FromChrono(ctx->deadline()) - absl::Now();
      reply->set_message(absl::StrCat(absl::ToInt64Seconds(left)));
    }
    return grpc::Status::OK;
  }
};

std::string CallWithDeadline(Greeter::Stub& stub, absl::Duration timeout,
                             bool metainfo) {
  grpc::ClientContext ctx;
  if (metainfo) ctx.AddMetadata("rpc-persist-tenant", "acme");
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  HelloRequest req;
  HelloReply reply;
  grpc::Status s = stub.SayHello(&ctx, req, &reply);
  return s.ok() ? reply.message() : "error: " + s.error_message();
}

// Tests that the leaf sees the client's deadline through the front, that an
// explicit set_deadline still wins, and that a second install is an error.
TEST(DeadlineBackupTest, FreshClientContextInheritsRequestDeadline) {
  DeadlineLeaf leaf;
  testing::TestServer leaf_server({&leaf}, /*backup=*/false);
  testing::ForwardingGreeter front(
      leaf_server.BackupChannel(client::RestoreMissingPersistent));
  testing::TestServer front_server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());

  EXPECT_EQ(CallWithDeadline(*stub, absl::Seconds(30), true), "inf");
  ASSERT_TRUE(client::RegisterGlobalDeadlineBackup().ok());
  EXPECT_EQ(client::RegisterGlobalDeadlineBackup().code(),
            absl::StatusCode::kFailedPrecondition);
  std::string left = CallWithDeadline(*stub, absl::Seconds(30), true);
  int seconds = 0;
  ASSERT_TRUE(absl::SimpleAtoi(left, &seconds)) << left;
  EXPECT_GT(seconds, 20);
  EXPECT_LE(seconds, 30);
  // Requests without metainfo are bound too: their deadline applies.
  left = CallWithDeadline(*stub, absl::Seconds(30), false);
  ASSERT_TRUE(absl::SimpleAtoi(left, &seconds)) << left;
  EXPECT_GT(seconds, 20);
  EXPECT_LE(seconds, 30);

  // The caller's own deadline wins.
  SessionScope scope(
      Session(Context().WithDeadline(absl::Now() + absl::Seconds(5))));
  grpc::ClientContext own;
  absl::Time mine = absl::Now() + absl::Seconds(100);
  own.set_deadline(absl::ToChronoTime(mine));
  EXPECT_EQ(absl::FromChrono(own.deadline()), mine);
  grpc::ClientContext inherited;
  EXPECT_LT(absl::FromChrono(inherited.deadline()),
            absl::Now() + absl::Seconds(6));
}

}  // namespace
}  // namespace gls
