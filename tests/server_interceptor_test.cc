// End-to-end tests of gls::server::WithContextBackup on real servers.
#include "gls/interceptors/server_interceptor.h"

#include <functional>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gls/session/session_manager.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"
#include "proto/test_stream.grpc.pb.h"

namespace gls {
namespace {

using ::gls::testing::Probe;
using ::gls::testing::Streamer;
using ::gls::testing::TestServer;

// What the calling code sees of the bound session, as one string.
std::string Seen() {
  const Session& s = CurSession();
  if (s.empty()) return "none";
  return absl::StrCat(
      "tenant=", s.context().GetPersistent("TENANT").value_or(""),
      ",hop=", s.context().GetUpstream("HOP").value_or(""),
      ",valid=", s.IsValid());
}

std::string ThreadTag() {
  return absl::StrCat("thread=",
                      std::hash<std::thread::id>()(std::this_thread::get_id()));
}

constexpr char kBound[] = "tenant=acme,hop=edge,valid=1";

class SyncStreamer final : public Streamer::Service {
 public:
  grpc::Status Unary(grpc::ServerContext*, const Probe*, Probe* out) override {
    out->add_seen(Seen());
    out->add_seen(ThreadTag());
    return grpc::Status::OK;
  }
  grpc::Status ServerStream(grpc::ServerContext*, const Probe*,
                            grpc::ServerWriter<Probe>* writer) override {
    for (int i = 0; i < 2; ++i) {
      Probe p;
      p.add_seen(Seen());
      writer->Write(p);
    }
    return grpc::Status::OK;
  }
  grpc::Status ClientStream(grpc::ServerContext*,
                            grpc::ServerReader<Probe>* reader,
                            Probe* out) override {
    Probe in;
    out->add_seen(Seen());
    while (reader->Read(&in)) out->add_seen(Seen());
    return grpc::Status::OK;
  }
  grpc::Status Bidi(grpc::ServerContext*,
                    grpc::ServerReaderWriter<Probe, Probe>* stream) override {
    Probe in;
    while (stream->Read(&in)) {
      Probe out;
      out.add_seen(Seen());
      stream->Write(out);
    }
    return grpc::Status::OK;
  }
};

class CallbackStreamer final : public Streamer::CallbackService {
 public:
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx,
                                  const Probe*, Probe* out) override {
    out->add_seen(Seen());
    out->add_seen(ThreadTag());
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerWriteReactor<Probe>* ServerStream(grpc::CallbackServerContext*,
                                                const Probe*) override {
    class Writer : public grpc::ServerWriteReactor<Probe> {
     public:
      Writer() {
        probe_.add_seen(Seen());  // the handler body
        StartWriteAndFinish(&probe_, grpc::WriteOptions(), grpc::Status::OK);
      }
      void OnDone() override { delete this; }

     private:
      Probe probe_;
    };
    return new Writer();
  }

  grpc::ServerReadReactor<Probe>* ClientStream(grpc::CallbackServerContext*,
                                               Probe* out) override {
    class Reader : public grpc::ServerReadReactor<Probe> {
     public:
      explicit Reader(Probe* out) : out_(out) {
        out_->add_seen(Seen());
        StartRead(&in_);
      }
      void OnReadDone(bool ok) override {
        if (ok) {
          StartRead(&in_);
        } else {
          Finish(grpc::Status::OK);
        }
      }
      void OnDone() override { delete this; }

     private:
      Probe* out_;
      Probe in_;
    };
    return new Reader(out);
  }

  grpc::ServerBidiReactor<Probe, Probe>* Bidi(
      grpc::CallbackServerContext*) override {
    class Echo : public grpc::ServerBidiReactor<Probe, Probe> {
     public:
      Echo() {
        out_.add_seen(Seen());
        StartRead(&in_);
      }
      void OnReadDone(bool ok) override {
        if (!ok) {
          Finish(grpc::Status::OK);
          return;
        }
        StartWrite(&out_);
      }
      void OnWriteDone(bool) override { StartRead(&in_); }
      void OnDone() override { delete this; }

     private:
      Probe in_, out_;
    };
    return new Echo();
  }
};

void AddRequestMetadata(grpc::ClientContext& ctx) {
  ctx.AddMetadata("rpc-persist-tenant", "acme");
  ctx.AddMetadata("rpc-transit-hop", "edge");
  ctx.AddMetadata("authorization", "Bearer secret");
}

// Calls all four methods with metadata; returns everything the server saw.
std::vector<std::string> CallAllShapes(Streamer::Stub& stub) {
  std::vector<std::string> seen;
  auto collect = [&](const Probe& p) {
    for (const auto& s : p.seen()) {
      if (!absl::StartsWith(s, "thread=")) seen.push_back(s);
    }
  };
  Probe in, out;
  {
    grpc::ClientContext ctx;
    AddRequestMetadata(ctx);
    EXPECT_TRUE(stub.Unary(&ctx, in, &out).ok());
    collect(out);
  }
  {
    grpc::ClientContext ctx;
    AddRequestMetadata(ctx);
    auto reader = stub.ServerStream(&ctx, in);
    while (reader->Read(&out)) collect(out);
    EXPECT_TRUE(reader->Finish().ok());
  }
  {
    grpc::ClientContext ctx;
    AddRequestMetadata(ctx);
    Probe reply;
    auto writer = stub.ClientStream(&ctx, &reply);
    writer->Write(in);
    writer->Write(in);
    writer->WritesDone();
    EXPECT_TRUE(writer->Finish().ok());
    collect(reply);
  }
  {
    grpc::ClientContext ctx;
    AddRequestMetadata(ctx);
    auto stream = stub.Bidi(&ctx);
    for (int i = 0; i < 2; ++i) {
      stream->Write(in);
      EXPECT_TRUE(stream->Read(&out));
      collect(out);
    }
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
  }
  return seen;
}

// Tests that sync handlers of every shape run with the request bound.
TEST(ServerInterceptorTest, SyncServiceAllShapes) {
  SyncStreamer service;
  TestServer server({&service}, /*backup=*/true);
  auto stub = Streamer::NewStub(server.Channel());
  std::vector<std::string> seen = CallAllShapes(*stub);
  EXPECT_EQ(seen.size(), 1u + 2u + 3u + 2u);
  for (const auto& s : seen) EXPECT_EQ(s, kBound);
}

// Tests that callback handler bodies of every shape run with the request bound.
TEST(ServerInterceptorTest, CallbackServiceAllShapes) {
  CallbackStreamer service;
  TestServer server({&service}, /*backup=*/true);
  auto stub = Streamer::NewStub(server.Channel());
  std::vector<std::string> seen = CallAllShapes(*stub);
  EXPECT_EQ(seen.size(), 1u + 1u + 1u + 2u);
  for (const auto& s : seen) EXPECT_EQ(s, kBound);
}

// Tests that the session holds the deadline, method, peer and other headers,
// but never gRPC's own headers.
TEST(ServerInterceptorTest, CapturesDeadlineMethodPeerHeaders) {
  class Capture final : public Streamer::Service {
   public:
    grpc::Status Unary(grpc::ServerContext*, const Probe*, Probe*) override {
      ctx = CurSession().context();
      return grpc::Status::OK;
    }
    Context ctx;
  } service;
  TestServer server({&service}, true);
  auto stub = Streamer::NewStub(server.Channel());
  grpc::ClientContext ctx;
  AddRequestMetadata(ctx);
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  ctx.set_deadline(absl::ToChronoTime(deadline));
  Probe in, out;
  ASSERT_TRUE(stub->Unary(&ctx, in, &out).ok());
  EXPECT_EQ(service.ctx.method(), "/gls.testing.Streamer/Unary");
  EXPECT_TRUE(absl::StartsWith(service.ctx.peer(), "ipv4:127.0.0.1:"))
      << service.ctx.peer();
  EXPECT_LT(absl::AbsDuration(service.ctx.deadline() - deadline),
            absl::Seconds(1));
  EXPECT_EQ(service.ctx.GetHeader("authorization"), "Bearer secret");
  for (const auto& [name, value] : service.ctx.incoming_headers()) {
    EXPECT_FALSE(absl::StartsWith(name, "grpc-")) << name;
    EXPECT_FALSE(absl::StartsWith(name, ":")) << name;
  }
}

// Tests the leak rule: on the same server thread, a request without metadata
// after one with metadata sees no session (sync and callback services).
TEST(ServerInterceptorTest, NoLeakIntoNextRequestOnSameThread) {
  SyncStreamer sync_service;
  CallbackStreamer callback_service;
  for (grpc::Service* service :
       std::vector<grpc::Service*>{&sync_service, &callback_service}) {
    TestServer server({service}, true);
    auto stub = Streamer::NewStub(server.Channel());
    std::set<std::string> threads_with_metadata;
    int same_thread = 0;
    for (int i = 0; i < 40; ++i) {
      grpc::ClientContext ctx;
      bool with = i % 2 == 0;
      if (with) AddRequestMetadata(ctx);
      Probe in, out;
      ASSERT_TRUE(stub->Unary(&ctx, in, &out).ok());
      ASSERT_EQ(out.seen_size(), 2);
      if (with) {
        EXPECT_EQ(out.seen(0), kBound);
        threads_with_metadata.insert(out.seen(1));
      } else {
        EXPECT_EQ(out.seen(0), "none");
        same_thread += threads_with_metadata.count(out.seen(1));
      }
    }
    EXPECT_GT(same_thread, 0) << "no thread reuse: the test proved nothing";
  }
}

// Tests that enable=false captures nothing.
TEST(ServerInterceptorTest, DisabledCapturesNothing) {
  SyncStreamer service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      creators;
  creators.push_back(server::WithContextBackup(false, false));
  builder.experimental().SetInterceptorCreators(std::move(creators));
  auto server = builder.BuildAndStart();
  auto stub = Streamer::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  AddRequestMetadata(ctx);
  Probe in, out;
  ASSERT_TRUE(stub->Unary(&ctx, in, &out).ok());
  EXPECT_EQ(out.seen(0), "none");
  server->Shutdown();
}

// Tests the explicit scope for completion-queue services.
TEST(ServerInterceptorTest, CompletionQueueServiceUsesRequestScope) {
  Streamer::AsyncService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      creators;
  creators.push_back(server::WithContextBackup(true, false));
  builder.experimental().SetInterceptorCreators(std::move(creators));
  std::unique_ptr<grpc::ServerCompletionQueue> cq =
      builder.AddCompletionQueue();
  auto server = builder.BuildAndStart();

  std::thread client([port] {
    auto stub = Streamer::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    AddRequestMetadata(ctx);
    Probe in, out;
    EXPECT_TRUE(stub->Unary(&ctx, in, &out).ok());
    ASSERT_EQ(out.seen_size(), 3);
    EXPECT_EQ(out.seen(0), "none");  // not nested: nothing bound implicitly
    EXPECT_EQ(out.seen(1), kBound);
    EXPECT_EQ(out.seen(2), "none");
  });

  grpc::ServerContext ctx;
  Probe request, reply;
  grpc::ServerAsyncResponseWriter<Probe> responder(&ctx);
  service.RequestUnary(&ctx, &request, &responder, cq.get(), cq.get(),
                       reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  ASSERT_TRUE(cq->Next(&tag, &ok));
  ASSERT_TRUE(ok);
  reply.add_seen(Seen());
  {
    server::RequestScope scope(ctx, "/gls.testing.Streamer/Unary");
    reply.add_seen(Seen());
    EXPECT_EQ(scope.session().context().method(),
              "/gls.testing.Streamer/Unary");
  }
  reply.add_seen(Seen());
  responder.Finish(reply, grpc::Status::OK, reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq->Next(&tag, &ok));
  client.join();
  server->Shutdown();
  cq->Shutdown();
  while (cq->Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace gls
