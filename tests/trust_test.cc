// End-to-end tests of gls's trust rules over real servers: only metainfo
// leaves unless asked, one header per canonical key, a per-call size budget
// for what gls adds, and exact-match trust-boundary lists (forward allowlist,
// strip denylists on the client and on the server).
#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/interceptors/server_interceptor.h"
#include "gls/session/session_manager.h"
#include "gls/tests/session_test_util.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;
using Received = ::gls::testing::Metadata;

client::BackupOptions WithHandler(client::BackupHandler handler) {
  client::BackupOptions options;
  options.handler = std::move(handler);
  return options;
}

// What a hostile or careless caller sends to a front service.
Context HostileRequest() {
  return Context::Builder(Context::Direction::kIncoming)
      .AddHeader("rpc-persist-tenant", "acme")
      .AddHeader("rpc-transit-hop", "edge")
      .AddHeader("authorization", "Bearer secret")
      .AddHeader("proxy-authorization", "Basic secret")
      .AddHeader("cookie", "sid=1")
      .AddHeader("x-forwarded-for", "10.0.0.1")
      .AddHeader("x-request-id", "req-1")
      .AddHeader("x-request-id-extra", "not-allowlisted")
      .AddHeader("rpc-backward-x", "b")
      .AddHeader("rpc-persist-", "empty-key")
      .AddHeader("traceparent", "00-abc-def-01")
      .Build();
}

class TrustTest : public ::testing::Test {
 protected:
  // Calls the leaf under `session` with a fresh ClientContext carrying
  // `own`; returns what the leaf received.
  Received Call(Greeter::Stub& stub, const Context& request,
                const Received& own = {}, grpc::Status* status = nullptr) {
    SessionScope scope{Session(request)};
    grpc::ClientContext context;
    for (const auto& [name, value] : own) context.AddMetadata(name, value);
    HelloRequest req;
    HelloReply reply;
    grpc::Status s = stub.SayHello(&context, req, &reply);
    if (status != nullptr) *status = s;
    EXPECT_TRUE(status != nullptr || s.ok()) << s.error_message();
    return s.ok() ? leaf_.last() : Received();
  }

  testing::RecordingGreeter leaf_;
  testing::TestServer server_{{&leaf_}, /*backup=*/false};
};

// Tests that whatever a handler derives its ctx from, prev's non-metainfo
// headers (credentials, hop headers, backward values, the empty-key header)
// never leave unless set on purpose.
TEST_F(TrustTest, OnlyMetainfoLeavesWhateverTheHandlerReturns) {
  const std::vector<std::pair<std::string, client::BackupHandler>> handlers = {
      {"prev",
       [](const Context& prev, const Context&) {
         return client::BackupResult{prev, true};
       }},
      {"prev+persistent",
       [](const Context& prev, const Context&) {
         return client::BackupResult{prev.WithPersistent("LOG_ID", "7"), false};
       }},
      {"restored prev",
       [](const Context& prev, const Context& cur) {
         return client::BackupResult{RestorePersistent(prev, cur), true};
       }},
      {"cur", client::RestoreMissingPersistent},
      {"fresh",
       [](const Context&, const Context&) {
         return client::BackupResult{Context(), true};
       }},
  };
  for (const auto& [label, handler] : handlers) {
    auto stub = Greeter::NewStub(server_.BackupChannel(handler));
    Received got = Call(*stub, HostileRequest());
    EXPECT_EQ(got.count("rpc-persist-tenant"), 1u) << label;
    for (const auto& [name, value] : got) {
      EXPECT_TRUE(absl::StartsWith(name, "rpc-persist-") &&
                  name != "rpc-persist-")
          << label << ": " << name << " = " << value << " left";
    }
  }
  // A deliberate WithHeader still forwards, and only what was chosen.
  auto chosen = Greeter::NewStub(
      server_.BackupChannel([](const Context& prev, const Context& cur) {
        return client::BackupResult{
            cur.WithHeader("authorization", *prev.GetHeader("authorization")),
            true};
      }));
  Received got = Call(*chosen, HostileRequest());
  EXPECT_EQ(got, (Received{{"authorization", "Bearer secret"},
                           {"rpc-persist-tenant", "acme"}}));
}

// Tests that a handler's value and the restored one under the same key in
// another spelling leave as one header with the handler's value, and that a
// caller's own non-canonical spelling is not doubled either.
TEST_F(TrustTest, OneHeaderPerCanonicalKey) {
  auto stub = Greeter::NewStub(
      server_.BackupChannel([](const Context&, const Context& cur) {
        return client::BackupResult{cur.WithPersistent("tenant", "x"), true};
      }));
  EXPECT_EQ(Call(*stub, HostileRequest()),
            (Received{{"rpc-persist-tenant", "x"}}));

  auto restore =
      Greeter::NewStub(server_.BackupChannel(client::RestoreMissingPersistent));
  Context request = Context().WithPersistent("TENANT_ID", "from-request");
  EXPECT_EQ(Call(*restore, request, {{"rpc-persist-tenant_id", "own"}}),
            (Received{{"rpc-persist-tenant-id", "own"}}));
  EXPECT_EQ(Call(*restore, request,
                 {{"rpc-persist-tenant-id", "own"},
                  {"rpc-persist-tenant_id", "second"}}),
            (Received{{"rpc-persist-tenant-id", "own"}}));
  // A canonical call with nothing to add goes out as the caller made it.
  EXPECT_EQ(Call(*restore, request,
                 {{"rpc-persist-tenant-id", "own"}, {"x-own", "1"}}),
            (Received{{"rpc-persist-tenant-id", "own"}, {"x-own", "1"}}));
}

// Tests that 1,000 persistent values of a request do not make the outbound
// call fail: what exceeds the budget is dropped with one log line, and
// without the budget gRPC would have rejected the call.
TEST_F(TrustTest, BudgetKeepsManyValuesFromFailingTheCall) {
  Context request;
  {
    Context::Builder builder(Context::Direction::kIncoming);
    for (int i = 0; i < 1000; ++i) {
      builder.AddPersistent(absl::StrCat("KEY_", 1000 + i), "value-0123456789");
    }
    request = builder.Build();
  }
  testing::LogCapture log;
  auto stub =
      Greeter::NewStub(server_.BackupChannel(client::RestoreMissingPersistent));
  grpc::Status status;
  Received got =
      Call(*stub, request, {{"x-own", std::string(3000, 'o')}}, &status);
  const std::vector<std::string> lines = log.lines();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(got.count("x-own"), 1u);  // the caller's own header is kept
  size_t added = 0;
  for (const auto& [name, value] : got) {
    if (name != "x-own") added += name.size() + value.size() + 32;
  }
  EXPECT_GT(got.size(), 10u);
  EXPECT_LE(added, client::kDefaultMaxAddedBytes);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "budget of 4096 bytes")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "rpc-persist-key-")) << lines[0];
  EXPECT_LT(lines[0].size(), 1000u);

  // The same call without a budget: gRPC refuses it.
  client::BackupOptions unbounded =
      WithHandler(client::RestoreMissingPersistent);
  unbounded.max_added_bytes = SIZE_MAX / 2;
  auto unbounded_stub = Greeter::NewStub(server_.BackupChannel(unbounded));
  Call(*unbounded_stub, request, {}, &status);
  EXPECT_FALSE(status.ok());
}

// Tests that one 7 KiB value is dropped (named, with its size) while the
// request's other values still travel.
TEST_F(TrustTest, BudgetDropsOneHugeValue) {
  Context request = Context()
                        .WithPersistent("HUGE", std::string(7 * 1024, 'h'))
                        .WithPersistent("TENANT", "acme");
  testing::LogCapture log;
  auto stub =
      Greeter::NewStub(server_.BackupChannel(client::RestoreMissingPersistent));
  Received got = Call(*stub, request);
  const std::vector<std::string> lines = log.lines();
  EXPECT_EQ(got, (Received{{"rpc-persist-tenant", "acme"}}));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "\"rpc-persist-huge\" (7216 bytes)"))
      << "[" << lines[0] << "]";
}

// Tests that the allowlist forwards exact names only, only with backup, that
// the call's own value wins, and that it refuses metainfo, the W3C headers
// (their own kind of context) and gRPC's headers. The hostile request's
// traceparent is invalid: it never leaves.
TEST_F(TrustTest, ForwardAllowlistIsExact) {
  testing::LogCapture log;
  client::BackupOptions options = WithHandler(client::RestoreMissingPersistent);
  options.forward_headers = {"X-Request-Id",       "traceparent",  "baggage",
                             "rpc-persist-tenant", "grpc-timeout", ""};
  auto stub = Greeter::NewStub(server_.BackupChannel(options));
  const std::vector<std::string> lines = log.lines();
  EXPECT_EQ(lines.size(), 5u);  // the five refused entries
  EXPECT_EQ(Call(*stub, HostileRequest()),
            (Received{{"rpc-persist-tenant", "acme"},
                      {"x-request-id", "req-1"}}));
  EXPECT_EQ(Call(*stub, HostileRequest(), {{"x-request-id", "own"}}),
            (Received{{"rpc-persist-tenant", "acme"},
                      {"x-request-id", "own"}}));
  options.handler = [](const Context&, const Context& cur) {
    return client::BackupResult{cur, false};
  };
  auto no_backup = Greeter::NewStub(server_.BackupChannel(options));
  EXPECT_EQ(Call(*no_backup, HostileRequest()), Received());
}

// Tests that a key on the client strip list never leaves, whoever set it,
// also on calls made without a session.
TEST_F(TrustTest, ClientStripListRemovesKeys) {
  client::BackupOptions options = WithHandler(client::RestoreMissingPersistent);
  options.strip_persistent = {"tenant", "Secret-Key"};
  auto stub = Greeter::NewStub(server_.BackupChannel(options));
  Context request = Context()
                        .WithPersistent("TENANT", "acme")
                        .WithPersistent("SECRET_KEY", "s")
                        .WithPersistent("LOG_ID", "1");
  EXPECT_EQ(Call(*stub, request, {{"rpc-persist-secret-key", "own"}}),
            (Received{{"rpc-persist-log-id", "1"}}));
  grpc::ClientContext context;  // no session bound
  context.AddMetadata("rpc-persist-tenant", "own");
  context.AddMetadata("rpc-persist-other", "kept");
  HelloRequest req;
  HelloReply reply;
  ASSERT_TRUE(stub->SayHello(&context, req, &reply).ok());
  EXPECT_EQ(leaf_.last(), (Received{{"rpc-persist-other", "kept"}}));
}

// A front that reports what its handler saw and calls the leaf.
class Front final : public Greeter::Service {
 public:
  explicit Front(std::shared_ptr<grpc::Channel> leaf)
      : stub_(Greeter::NewStub(std::move(leaf))) {}
  grpc::Status SayHello(grpc::ServerContext*, const HelloRequest*,
                        HelloReply* reply) override {
    reply->set_message(std::string(
        CurSession().context().GetPersistent("ROLE").value_or("none")));
    grpc::ClientContext context;
    HelloRequest req;
    HelloReply leaf_reply;
    return stub_->SayHello(&context, req, &leaf_reply);
  }

 private:
  std::unique_ptr<Greeter::Stub> stub_;
};

// Tests that keys on the server strip list are dropped on receipt, so the
// handler never sees them and they never travel.
TEST_F(TrustTest, ServerStripListDropsKeysOnReceipt) {
  Front front(server_.BackupChannel(client::RestoreMissingPersistent));
  server::BackupOptions options;
  options.strip_persistent = {"role"};
  testing::TestServer edge({&front}, options);
  ASSERT_NE(edge.server(), nullptr);

  auto stub = Greeter::NewStub(edge.Channel());
  grpc::ClientContext context;
  context.AddMetadata("rpc-persist-role", "admin");
  context.AddMetadata("rpc-persist-tenant", "acme");
  HelloRequest req;
  HelloReply reply;
  ASSERT_TRUE(stub->SayHello(&context, req, &reply).ok());
  EXPECT_EQ(reply.message(), "none");
  EXPECT_EQ(leaf_.last(), (Received{{"rpc-persist-tenant", "acme"}}));
}

}  // namespace
}  // namespace gls
