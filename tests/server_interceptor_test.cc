// End-to-end tests of gls::server::WithContextBackup on real servers.
#include "gls/interceptors/server_interceptor.h"

#include <functional>
#include <memory>
#include <ostream>
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

// A service API, for the tests that run on each: makes a Streamer service on
// that API.
struct ServiceApi {
  const char* name;
  std::function<std::unique_ptr<grpc::Service>()> make_service;
  // How many handler bodies CallAllShapes sees on this API: on the callback
  // API a reactor's body runs once per call, however many messages it takes.
  size_t seen_per_all_shapes;
};

void PrintTo(const ServiceApi& api, std::ostream* os) { *os << api.name; }

class ServerInterceptorApiTest : public ::testing::TestWithParam<ServiceApi> {};

// Tests that handlers of every shape run with the request bound.
TEST_P(ServerInterceptorApiTest, AllShapesRunWithRequestBound) {
  std::unique_ptr<grpc::Service> service = GetParam().make_service();
  TestServer server({service.get()}, /*backup=*/true);
  auto stub = Streamer::NewStub(server.Channel());
  std::vector<std::string> seen = CallAllShapes(*stub);
  EXPECT_EQ(seen.size(), GetParam().seen_per_all_shapes);
  for (const auto& s : seen) EXPECT_EQ(s, kBound);
}

// Tests that on the same server thread a request without metadata after one
// with metadata sees its own session, with none of the earlier request's
// values (the leak rule).
TEST_P(ServerInterceptorApiTest, NoLeakIntoNextRequestOnSameThread) {
  std::unique_ptr<grpc::Service> service = GetParam().make_service();
  TestServer server({service.get()}, true);
  auto stub = Streamer::NewStub(server.Channel());
  std::set<std::string> threads_with_metadata;
  int same_thread = 0;
  // Until the same thread served both kinds a few times (gRPC decides which
  // thread runs a request; under load reuse can take a while).
  for (int i = 0; i < 1000 && same_thread < 3; ++i) {
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
      EXPECT_EQ(out.seen(0), "tenant=,hop=,valid=1");
      same_thread += threads_with_metadata.count(out.seen(1));
    }
  }
  EXPECT_GT(same_thread, 0) << "no thread reuse: the test proved nothing";
}

INSTANTIATE_TEST_SUITE_P(
    Apis, ServerInterceptorApiTest,
    ::testing::Values(
        ServiceApi{"Sync", [] { return std::make_unique<SyncStreamer>(); },
                   /*seen_per_all_shapes=*/1u + 2u + 3u + 2u},
        ServiceApi{"Callback",
                   [] { return std::make_unique<CallbackStreamer>(); },
                   /*seen_per_all_shapes=*/1u + 1u + 1u + 2u}),
    [](const ::testing::TestParamInfo<ServiceApi>& info) {
      return std::string(info.param.name);
    });

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

// Tests that enable=false captures nothing.
TEST(ServerInterceptorTest, DisabledCapturesNothing) {
  SyncStreamer service;
  server::BackupOptions disabled;
  disabled.enable = false;
  TestServer server({&service}, disabled);
  auto stub = Streamer::NewStub(server.Channel());
  grpc::ClientContext ctx;
  AddRequestMetadata(ctx);
  Probe in, out;
  ASSERT_TRUE(stub->Unary(&ctx, in, &out).ok());
  EXPECT_EQ(out.seen(0), "none");
}

// Tests that completion-queue services bind the request with RequestScope.
TEST(ServerInterceptorTest, CompletionQueueServiceUsesRequestScope) {
  Streamer::AsyncService service;
  std::unique_ptr<grpc::ServerCompletionQueue> cq;
  TestServer server({&service}, server::BackupOptions(), &cq);

  std::thread client([&server] {
    auto stub = Streamer::NewStub(server.Channel());
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
  server.server()->Shutdown();
  cq->Shutdown();
  while (cq->Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace gls
