// End-to-end tests of gls::client::WithContextBackup: calls made under a bound
// session, received by a real server that reports the headers it got.
#include "gls/interceptors/client_interceptor.h"

#include <functional>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "gls/interceptors/internal/test_hooks.h"
#include "gls/session/log.h"
#include "gls/session/session_manager.h"
#include "gls/tests/session_test_util.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"
#include "proto/test_stream.grpc.pb.h"

namespace gls {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;
using ::gls::testing::HopHeaders;
using ::gls::testing::LeafGreeter;
using ::gls::testing::LogCapture;
using ::gls::testing::Probe;
using ::gls::testing::Streamer;
using ::gls::testing::TestServer;
using Headers = std::map<std::string, std::string>;

// The backup context of an incoming request, as the server side builds it.
Session RequestSession() {
  return Session(Context::Builder(Context::Direction::kIncoming)
                     .AddHeader("rpc-persist-tenant", "acme")
                     .AddHeader("rpc-persist-log-id", "42")
                     .AddHeader("rpc-transit-hop", "edge")
                     .AddHeader("authorization", "Bearer secret")
                     .AddHeader("cookie", "session=1")
                     .Build());
}

// A streaming server that replies with the headers it received.
class HeaderStreamer final : public Streamer::Service {
 public:
  static void Report(const grpc::ServerContext& ctx, Probe* out) {
    for (const auto& [k, v] : testing::ReceivedHeaders(ctx)) {
      out->add_seen(k + "=" + v);
    }
  }
  grpc::Status ServerStream(grpc::ServerContext* ctx, const Probe*,
                            grpc::ServerWriter<Probe>* writer) override {
    Probe p;
    Report(*ctx, &p);
    writer->Write(p);
    return grpc::Status::OK;
  }
  grpc::Status ClientStream(grpc::ServerContext* ctx,
                            grpc::ServerReader<Probe>* reader,
                            Probe* out) override {
    Probe in;
    while (reader->Read(&in)) {
    }
    Report(*ctx, out);
    return grpc::Status::OK;
  }
  grpc::Status Bidi(grpc::ServerContext* ctx,
                    grpc::ServerReaderWriter<Probe, Probe>* stream) override {
    Probe in, out;
    Report(*ctx, &out);
    while (stream->Read(&in)) {
    }
    stream->Write(out);
    return grpc::Status::OK;
  }
};

class ClientInterceptorTest : public ::testing::Test {
 protected:
  LeafGreeter leaf_{"leaf"};
  HeaderStreamer streamer_;
  TestServer server_{{&leaf_, &streamer_}, /*backup=*/false};
};

// Tests that the restore-missing handler on a sync call brings back the
// persistent values, not the transient value or headers outside metainfo.
TEST_F(ClientInterceptorTest, SyncCallRestoresPersistentOnly) {
  auto stub =
      Greeter::NewStub(server_.BackupChannel(client::RestoreMissingPersistent));
  SessionScope scope(RequestSession());
  HelloReply reply = testing::CallGreeter(*stub, "x", {{"x-own", "mine"}});
  EXPECT_EQ(HopHeaders(reply), (Headers{{"rpc-persist-tenant", "acme"},
                                        {"rpc-persist-log-id", "42"},
                                        {"x-own", "mine"}}));
}

// Tests that nothing happens without a bound session or without a handler.
TEST_F(ClientInterceptorTest, NoSessionOrNoHandlerChangesNothing) {
  auto stub =
      Greeter::NewStub(server_.BackupChannel(client::RestoreMissingPersistent));
  HelloReply reply =
      testing::CallGreeter(*stub, "x", {{"rpc-transit-own", "t"}});
  EXPECT_EQ(HopHeaders(reply), (Headers{{"rpc-transit-own", "t"}}));

  auto no_handler = Greeter::NewStub(server_.BackupChannel(nullptr));
  SessionScope scope(RequestSession());
  reply = testing::CallGreeter(*no_handler, "x", {});
  EXPECT_EQ(HopHeaders(reply), Headers{});
}

// Tests that ctx is what the call carries even with backup=false, that the
// caller's own metainfo is replaced by ctx's and that the handler sees prev
// and cur as documented.
TEST_F(ClientInterceptorTest, CtxIsAlwaysWhatTheCallCarries) {
  Context seen_prev, seen_cur;
  auto stub = Greeter::NewStub(
      server_.BackupChannel([&](const Context& prev, const Context& cur) {
        seen_prev = prev;
        seen_cur = cur;
        return client::BackupResult{cur.WithoutPersistent("DROP_ME")
                                        .WithPersistent("FROM_HANDLER", "h")
                                        .WithTransient("NEXT_HOP", "n"),
                                    false};
      }));
  SessionScope scope(RequestSession());
  grpc::Status status;
  HelloReply reply = testing::CallGreeter(
      *stub, "x",
      {{"rpc-persist-drop-me", "d"}, {"rpc-persist-kept", "k"}, {"x-own", "o"}},
      &status);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(HopHeaders(reply), (Headers{{"rpc-persist-from-handler", "h"},
                                        {"rpc-persist-kept", "k"},
                                        {"rpc-transit-next-hop", "n"},
                                        {"x-own", "o"}}));
  EXPECT_EQ(seen_prev.GetPersistent("TENANT"), "acme");
  EXPECT_EQ(seen_prev.GetUpstream("HOP"), "edge");
  EXPECT_EQ(seen_cur.GetPersistent("DROP_ME"), "d");
  EXPECT_EQ(seen_cur.GetHeader("x-own"), "o");
  EXPECT_EQ(seen_cur.method(), "/gls.examples.Greeter/SayHello");
}

// Tests that a handler can forward a non-metainfo header deliberately, and
// that a ctx not derived from cur replaces the caller's own headers too.
TEST_F(ClientInterceptorTest, HeadersOnlyWhenTheHandlerSaysSo) {
  auto forwarding = Greeter::NewStub(
      server_.BackupChannel([](const Context& prev, const Context& cur) {
        return client::BackupResult{
            cur.WithHeader("authorization",
                           prev.GetHeader("authorization").value_or("")),
            false};
      }));
  auto fresh = Greeter::NewStub(server_.BackupChannel([](const Context&,
                                                         const Context&) {
    return client::BackupResult{Context().WithPersistent("ONLY", "o"), false};
  }));
  SessionScope scope(RequestSession());
  EXPECT_EQ(
      HopHeaders(testing::CallGreeter(*forwarding, "x", {{"x-own", "o"}})),
      (Headers{{"authorization", "Bearer secret"}, {"x-own", "o"}}));
  EXPECT_EQ(HopHeaders(testing::CallGreeter(*fresh, "x", {{"x-own", "o"}})),
            (Headers{{"rpc-persist-only", "o"}}));
}

// Tests that the call's own deadline is visible to the handler as cur's.
TEST_F(ClientInterceptorTest, HandlerSeesCallDeadline) {
  absl::Time seen = absl::InfinitePast();
  auto stub = Greeter::NewStub(
      server_.BackupChannel([&](const Context&, const Context& cur) {
        seen = cur.deadline();
        return client::BackupResult{cur, true};
      }));
  SessionScope scope(RequestSession());
  grpc::ClientContext ctx;
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  ctx.set_deadline(absl::ToChronoTime(deadline));
  HelloRequest req;
  HelloReply reply;
  ASSERT_TRUE(stub->SayHello(&ctx, req, &reply).ok());
  EXPECT_LT(absl::AbsDuration(seen - deadline), absl::Milliseconds(10));
}

// Tests that headers gRPC would reject are dropped and logged, never sent,
// and the call still succeeds with the valid ones.
TEST_F(ClientInterceptorTest, InvalidMetadataIsDroppedAndLogged) {
  LogCapture log;
  auto stub = Greeter::NewStub(server_.BackupChannel([](const Context&,
                                                        const Context& cur) {
    return client::BackupResult{cur.WithPersistent("BAD KEY", "v")
                                    .WithPersistent("BAD_VALUE", "line\nbreak")
                                    .WithPersistent("GOOD", "g"),
                                true};
  }));
  SessionScope scope(RequestSession());
  grpc::Status status;
  HelloReply reply = testing::CallGreeter(*stub, "x", {}, &status);
  const std::vector<std::string> lines = log.lines();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(HopHeaders(reply), (Headers{{"rpc-persist-good", "g"},
                                        {"rpc-persist-log-id", "42"},
                                        {"rpc-persist-tenant", "acme"}}));
  // One line for the call, naming each dropped header and its size, never
  // its value.
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "rpc-persist-bad key")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "rpc-persist-bad-value")) << lines[0];
  EXPECT_FALSE(absl::StrContains(lines[0], "break")) << lines[0];
}

// Tests that a handler that throws leaves the call as the caller made it.
TEST_F(ClientInterceptorTest, ThrowingHandlerLeavesCallUnchanged) {
  LogCapture log;
  auto stub = Greeter::NewStub(server_.BackupChannel(
      [](const Context&, const Context&) -> client::BackupResult {
        throw std::runtime_error("boom");
      }));
  SessionScope scope(RequestSession());
  grpc::Status status;
  HelloReply reply =
      testing::CallGreeter(*stub, "x", {{"rpc-persist-own", "o"}}, &status);
  const std::vector<std::string> lines = log.lines();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(HopHeaders(reply), (Headers{{"rpc-persist-own", "o"}}));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "boom")) << lines[0];
}

// Tests that a callback (stub->async()) call reads the session on the calling
// thread although gRPC runs the rest elsewhere.
TEST_F(ClientInterceptorTest, CallbackCall) {
  auto stub =
      Greeter::NewStub(server_.BackupChannel(client::RestoreMissingPersistent));
  grpc::ClientContext ctx;
  HelloRequest req;
  HelloReply reply;
  absl::Notification done;
  grpc::Status status;
  {
    SessionScope scope(RequestSession());
    stub->async()->SayHello(&ctx, &req, &reply, [&](grpc::Status s) {
      status = s;
      done.Notify();
    });
  }
  done.WaitForNotification();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(HopHeaders(reply).count("rpc-persist-tenant"), 1u);
}

// Tests that a completion-queue call carries its creator's session when its
// metadata is sent from another thread (StartCall/Finish there) that has
// another session bound.
TEST_F(ClientInterceptorTest, CompletionQueueCallFinishedElsewhere) {
  auto stub =
      Greeter::NewStub(server_.BackupChannel(client::RestoreMissingPersistent));
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  HelloRequest req;
  std::unique_ptr<grpc::ClientAsyncResponseReader<HelloReply>> rpc;
  {
    SessionScope scope(RequestSession());
    rpc = stub->PrepareAsyncSayHello(&ctx, req, &cq);
  }
  HelloReply reply;
  grpc::Status status;
  std::thread other([&] {
    SessionScope other_request(
        Session(Context().WithPersistent("TENANT", "other")));
    rpc->StartCall();
    rpc->Finish(&reply, &status, reinterpret_cast<void*>(1));
    void* tag;
    bool ok;
    ASSERT_TRUE(cq.Next(&tag, &ok));
  });
  other.join();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(HopHeaders(reply).at("rpc-persist-tenant"), "acme");
  cq.Shutdown();
}

// A streaming call shape, for the tests that run on each: makes one call of
// that shape and returns the Probe in which HeaderStreamer reported the
// headers it received.
struct StreamShape {
  const char* name;
  std::function<Probe(Streamer::Stub& stub)> call;
};

void PrintTo(const StreamShape& shape, std::ostream* os) { *os << shape.name; }

class ClientInterceptorStreamingTest
    : public ClientInterceptorTest,
      public ::testing::WithParamInterface<StreamShape> {};

// Tests that a streaming call carries the persistent value and neither the
// transient value nor the request's authorization.
TEST_P(ClientInterceptorStreamingTest, CarriesPersistentOnly) {
  auto stub = Streamer::NewStub(
      server_.BackupChannel(client::RestoreMissingPersistent));
  SessionScope scope(RequestSession());
  const std::string want = "rpc-persist-tenant=acme";
  auto has = [&](const Probe& p) {
    for (const auto& s : p.seen()) {
      if (s == want) return true;
      EXPECT_FALSE(absl::StartsWith(s, "rpc-transit")) << s;
      EXPECT_FALSE(absl::StartsWith(s, "authorization")) << s;
    }
    return false;
  };
  EXPECT_TRUE(has(GetParam().call(*stub)));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ClientInterceptorStreamingTest,
    ::testing::Values(StreamShape{"ServerStream",
                                  [](Streamer::Stub& stub) {
                                    grpc::ClientContext ctx;
                                    Probe in, out, first;
                                    auto reader = stub.ServerStream(&ctx, in);
                                    EXPECT_TRUE(reader->Read(&first));
                                    while (reader->Read(&out)) {
                                    }
                                    EXPECT_TRUE(reader->Finish().ok());
                                    return first;
                                  }},
                      StreamShape{"ClientStream",
                                  [](Streamer::Stub& stub) {
                                    grpc::ClientContext ctx;
                                    Probe in, reply;
                                    auto writer =
                                        stub.ClientStream(&ctx, &reply);
                                    writer->Write(in);
                                    writer->WritesDone();
                                    EXPECT_TRUE(writer->Finish().ok());
                                    return reply;
                                  }},
                      StreamShape{"Bidi",
                                  [](Streamer::Stub& stub) {
                                    grpc::ClientContext ctx;
                                    Probe out;
                                    auto stream = stub.Bidi(&ctx);
                                    stream->WritesDone();
                                    EXPECT_TRUE(stream->Read(&out));
                                    EXPECT_TRUE(stream->Finish().ok());
                                    return out;
                                  }}),
    [](const ::testing::TestParamInfo<StreamShape>& info) {
      return std::string(info.param.name);
    });

// Tests that with the global registration plain channels get backup, and that
// a second registration is an error, not an abort.
TEST_F(ClientInterceptorTest, GlobalRegistration) {
  EXPECT_FALSE(client::RegisterGlobalContextBackup(nullptr).ok());
  ASSERT_TRUE(
      client::RegisterGlobalContextBackup(client::RestoreMissingPersistent)
          .ok());
  absl::Status again =
      client::RegisterGlobalContextBackup(client::RestoreMissingPersistent);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  auto stub = Greeter::NewStub(server_.Channel());  // plain channel
  {
    SessionScope scope(RequestSession());
    HelloReply reply = testing::CallGreeter(*stub, "x", {});
    EXPECT_EQ(HopHeaders(reply).count("rpc-persist-tenant"), 1u);
  }
  HelloReply reply = testing::CallGreeter(*stub, "x", {});  // no session
  EXPECT_EQ(HopHeaders(reply), Headers{});
  interceptors_internal::TestOnlyResetGlobalContextBackup();
}

}  // namespace
}  // namespace gls
