// End-to-end tests of how a server captures each request: every request is
// bound, with or without metainfo; its context is built only when read; and
// sessions carried or copied beyond the call stay readable after gRPC freed
// the call's metadata (run under AddressSanitizer in CI). The built-in
// fallback restores straight from the captured request.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/session/async.h"
#include "gls/session/binding.h"
#include "gls/session/log.h"
#include "gls/tests/session_test_util.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;

ABSL_CONST_INIT const SessionKey<std::string> kNote("note");

// What the front's handler saw of its request and of its outbound call.
struct Seen {
  bool valid = false;
  bool set_ok = false;
  std::string note, request_id, method, peer, tenant, leaf_tenant;
  int handler_calls = 0;
};

// A front that reads its session, sets a value, and calls the leaf with a
// fresh ClientContext through a counting BackupHandler.
class Front final : public Greeter::Service {
 public:
  explicit Front(const testing::TestServer& leaf) {
    stub_ = Greeter::NewStub(
        leaf.BackupChannel([this](const Context& prev, const Context& cur) {
          ++handler_calls_;
          return client::RestoreMissingPersistent(prev, cur);
        }));
  }

  grpc::Status SayHello(grpc::ServerContext*, const HelloRequest*,
                        HelloReply* reply) override {
    const Session& session = CurSession();
    Seen seen;
    seen.valid = session.IsValid();
    seen.set_ok = session.Set(kNote, std::string("front"));
    if (auto note = session.Get(kNote)) seen.note = *note;
    const Context& ctx = session.context();
    seen.request_id = std::string(ctx.GetHeader("x-request-id").value_or(""));
    seen.method = ctx.method();
    seen.peer = ctx.peer();
    seen.tenant = std::string(ctx.GetPersistent("TENANT").value_or(""));
    int before = handler_calls_.load();
    grpc::Status status;
    HelloReply leaf = testing::CallGreeter(*stub_, "x", {}, &status);
    seen.handler_calls = handler_calls_.load() - before;
    if (status.ok() && leaf.hops_size() == 1) {
      auto it = leaf.hops(0).metadata().find("rpc-persist-tenant");
      if (it != leaf.hops(0).metadata().end()) seen.leaf_tenant = it->second;
    }
    absl::MutexLock lock(&mu_);
    seen_ = seen;
    return grpc::Status::OK;
  }

  Seen seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  std::unique_ptr<Greeter::Stub> stub_;
  std::atomic<int> handler_calls_{0};
  absl::Mutex mu_;
  Seen seen_ ABSL_GUARDED_BY(mu_);
};

class LazyCaptureTest : public ::testing::Test {
 protected:
  testing::LeafGreeter leaf_{"leaf"};
  testing::TestServer leaf_server_{{&leaf_}, /*backup=*/false};
};

// Tests that a request without metainfo is bound: the BackupHandler runs for
// its outbound call, Set works, and its headers, method and peer are readable.
TEST_F(LazyCaptureTest, RequestWithoutMetainfoIsBound) {
  Front front(leaf_server_);
  testing::TestServer front_server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());
  grpc::Status status;
  testing::CallGreeter(*stub, "x", {{"x-request-id", "req-7"}}, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  Seen seen = front.seen();
  EXPECT_TRUE(seen.valid);
  EXPECT_TRUE(seen.set_ok);
  EXPECT_EQ(seen.note, "front");
  EXPECT_EQ(seen.request_id, "req-7");
  EXPECT_EQ(seen.method, "/gls.examples.Greeter/SayHello");
  EXPECT_TRUE(absl::StrContains(seen.peer, "127.0.0.1")) << seen.peer;
  EXPECT_EQ(seen.handler_calls, 1);
  EXPECT_EQ(seen.tenant, "");
  EXPECT_EQ(seen.leaf_tenant, "");
}

// Tests that the fallback restores from the captured request (the request's
// tenant reaches the leaf) and that the budget applies on that path too: a
// 7 KiB value is dropped with one log line, the other values travel.
TEST_F(LazyCaptureTest, FallbackFromCapturedRequestKeepsBudget) {
  Front front(leaf_server_);
  testing::TestServer front_server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());
  grpc::Status status;
  std::vector<std::string> lines;
  {
    testing::LogCapture log;
    testing::CallGreeter(*stub, "x",
                         {{"rpc-persist-tenant", "acme"},
                          {"rpc-persist-huge", std::string(7 * 1024, 'h')}},
                         &status);
    lines = log.lines();
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(front.seen().leaf_tenant, "acme");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "\"rpc-persist-huge\" (7216 bytes)"))
      << lines[0];
}

// Tests the fallback straight from the captured request, with a front that
// never reads its session (so nothing builds the context): the persistent
// values reach the leaf once each, transient values and other headers do
// not, and the call's own value wins. Of two spellings of one key in the
// request, the first in gRPC's order of names ('-' sorts before '_') wins.
TEST_F(LazyCaptureTest, FallbackFromCapturedRequestWithoutBuilding) {
  testing::ForwardingGreeter front(
      leaf_server_.BackupChannel(client::RestoreMissingPersistent),
      {{"rpc-persist-own", "front"}, {"rpc-persist-log-id", "front-log"}});
  testing::TestServer front_server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());
  grpc::Status status;
  HelloReply reply = testing::CallGreeter(*stub, "x",
                                          {{"rpc-persist-tenant", "acme"},
                                           {"rpc-persist-log_id", "client-log"},
                                           {"rpc-persist-tenant", "second"},
                                           {"rpc-persist-user_id", "u-under"},
                                           {"rpc-persist-user-id", "u-dash"},
                                           {"rpc-transit-hop", "edge"},
                                           {"authorization", "Bearer secret"}},
                                          &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(
      testing::HopHeaders(reply),
      (std::map<std::string, std::string>{{"rpc-persist-log-id", "front-log"},
                                          {"rpc-persist-own", "front"},
                                          {"rpc-persist-tenant", "acme"},
                                          {"rpc-persist-user-id", "u-dash"}}));
}

// A front whose handler hands its session to work that reads it only after
// the call is over: a gls::Go thread, a plain copy, and a copy never read
// during the call.
class Carrier final : public Greeter::Service {
 public:
  grpc::Status SayHello(grpc::ServerContext*, const HelloRequest*,
                        HelloReply*) override {
    copy_ = CurSession();
    unread_ = CurSession();
    CurSession().Set(kNote, std::string("set-in-handler"));
    thread_ = Go([this] {
      call_over_.WaitForNotification();
      const Context& ctx = CurSession().context();
      carried_tenant_ = std::string(ctx.GetPersistent("TENANT").value_or(""));
      carried_header_ = std::string(ctx.GetHeader("x-request-id").value_or(""));
      if (auto note = CurSession().Get(kNote)) carried_note_ = *note;
      carried_valid_ = CurSession().IsValid();
    });
    return grpc::Status::OK;
  }

  absl::Notification call_over_;
  std::thread thread_;
  Session copy_, unread_;
  std::string carried_tenant_, carried_header_, carried_note_;
  bool carried_valid_ = true;
};

// Tests that sessions carried or copied out of the handler stay readable
// after the call ended and gRPC freed the request's metadata.
TEST_F(LazyCaptureTest, CarriedSessionReadableAfterTheCall) {
  Carrier carrier;
  {
    testing::TestServer server({&carrier}, /*backup=*/true);
    auto stub = Greeter::NewStub(server.Channel());
    grpc::Status status;
    testing::CallGreeter(
        *stub, "x", {{"rpc-persist-tenant", "acme"}, {"x-request-id", "req-9"}},
        &status);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }  // the server is shut down: every call's metadata is gone
  carrier.call_over_.Notify();
  carrier.thread_.join();
  EXPECT_EQ(carrier.carried_tenant_, "acme");
  EXPECT_EQ(carrier.carried_header_, "req-9");
  EXPECT_EQ(carrier.carried_note_, "set-in-handler");
  EXPECT_FALSE(carrier.carried_valid_);
  EXPECT_EQ(carrier.copy_.context().GetPersistent("TENANT"), "acme");
  EXPECT_EQ(carrier.unread_.context().GetHeader("x-request-id"), "req-9");
  EXPECT_FALSE(carrier.unread_.IsValid());
}

}  // namespace
}  // namespace gls
