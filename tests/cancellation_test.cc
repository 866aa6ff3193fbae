// End-to-end tests of cancellation propagation (docs/cancellation.md): when
// a request is cancelled (its client cancelled, its deadline passed), every
// outbound call made under its session is cancelled, and the downstream
// server sees it. Real servers on 127.0.0.1: a slow leaf that waits up to
// kLeafWait polling ServerContext::IsCancelled(), and fronts (sync, callback,
// completion-queue) with gls's server interceptor whose handlers call the
// leaf through a gls client channel with a fresh grpc::ClientContext (no
// deadline, nothing taken from the request).
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/interceptors/server_interceptor.h"
#include "gls/session/async.h"
#include "gls/session/binding.h"
#include "gls/session/context.h"
#include "gls/session/internal/session_access.h"
#include "gls/session/session.h"
#include "gls/session/stats.h"
#include "gls/session/thread_pool.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"
#include "proto/greeter.grpc.pb.h"
#include "proto/test_stream.grpc.pb.h"

namespace gls {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;
using ::gls::testing::Probe;
using ::gls::testing::Streamer;
using ::gls::testing::TestServer;

// How long the leaf waits for cancellation before it answers OK.
constexpr absl::Duration kLeafWait = absl::Seconds(5);
// "Well before kLeafWait": the bound on how long cancellation may take to
// reach the leaf. The promise is about 50 ms (the cancel watcher polls sync
// requests every 20 ms); 2 s keeps the tests robust under sanitizers on two
// loaded cores. Each test prints what it measured.
constexpr absl::Duration kCancelBound = absl::Seconds(2);
// The client deadline of the tests that let the request's deadline pass.
constexpr absl::Duration kClientDeadline = absl::Milliseconds(300);
// How long a test waits for something that should happen.
constexpr absl::Duration kPatience = absl::Seconds(10);

// The messages gls cancels outbound calls with (session.cc,
// server_interceptor.cc): the call's owner sees them in its status.
constexpr char kRequestCancelled[] = "gls: the incoming request was cancelled";
constexpr char kRequestDeadline[] =
    "gls: the incoming request's deadline passed";
constexpr char kHandlerDeadline[] =
    "gls: the deadline of the context the BackupHandler returned passed";

void PrintLatency(absl::string_view what, absl::Duration latency) {
  std::cout << "[ latency  ] " << what << ": " << absl::FormatDuration(latency)
            << std::endl;
}

// A leaf request's name: "<tag>@<milliseconds to wait>".
std::string LeafName(absl::string_view tag, absl::Duration wait = kLeafWait) {
  return absl::StrCat(tag, "@", absl::ToInt64Milliseconds(wait));
}

std::string TagOf(absl::string_view name) {
  return std::string(name.substr(0, name.find('@')));
}

absl::Duration WaitOf(absl::string_view name) {
  const size_t at = name.find('@');
  int64_t ms = 0;
  if (at == absl::string_view::npos ||
      !absl::SimpleAtoi(name.substr(at + 1), &ms)) {
    return kLeafWait;
  }
  return absl::Milliseconds(ms);
}

// What the leaf saw of one call.
struct LeafCall {
  absl::Time started;
  // When it saw the cancellation, or stopped waiting.
  absl::Time ended;
  bool done = false;
  bool cancelled = false;
  // The call reached the leaf with no deadline.
  bool no_deadline = false;
};

// The leaf's calls by tag. Thread-safe.
class LeafLog {
 public:
  void Start(const std::string& tag, bool no_deadline) {
    absl::MutexLock lock(&mu_);
    LeafCall& call = calls_[tag];
    call.started = absl::Now();
    call.no_deadline = no_deadline;
  }
  void End(const std::string& tag, bool cancelled) {
    absl::MutexLock lock(&mu_);
    LeafCall& call = calls_[tag];
    call.ended = absl::Now();
    call.cancelled = cancelled;
    call.done = true;
  }
  // Waits until the call `tag` started; false if it did not in time.
  bool WaitStarted(const std::string& tag) {
    absl::MutexLock lock(&mu_);
    auto started = [&] { return calls_.count(tag) > 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&started), kPatience);
  }
  // Waits until the call `tag` ended; `done` false if it did not in time.
  LeafCall WaitEnded(const std::string& tag) {
    absl::MutexLock lock(&mu_);
    auto ended = [&] {
      auto it = calls_.find(tag);
      return it != calls_.end() && it->second.done;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&ended), kPatience)) return {};
    return calls_[tag];
  }
  // The call `tag` reached the leaf.
  bool Seen(const std::string& tag) {
    absl::MutexLock lock(&mu_);
    return calls_.count(tag) > 0;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, LeafCall> calls_ ABSL_GUARDED_BY(mu_);
};

// The leaf's work: waits as long as `name` says unless the call is
// cancelled first, polling (ServerContext::IsCancelled() is how a sync
// handler learns it). Returns CANCELLED if it was.
grpc::Status Wait(grpc::ServerContext* ctx, LeafLog* log,
                  const std::string& name) {
  const std::string tag = TagOf(name);
  log->Start(tag,
             ctx->deadline() == std::chrono::system_clock::time_point::max());
  const absl::Time end = absl::Now() + WaitOf(name);
  bool cancelled = false;
  while (absl::Now() < end) {
    if (ctx->IsCancelled()) {
      cancelled = true;
      break;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  log->End(tag, cancelled);
  return cancelled ? grpc::Status::CANCELLED : grpc::Status::OK;
}

class SlowGreeter final : public Greeter::Service {
 public:
  explicit SlowGreeter(LeafLog* log) : log_(log) {}
  grpc::Status SayHello(grpc::ServerContext* ctx, const HelloRequest* request,
                        HelloReply* reply) override {
    reply->set_message(request->name());
    return Wait(ctx, log_, request->name());
  }

 private:
  LeafLog* const log_;
};

// Every streaming shape: takes the name from the first message, answers one
// message where the shape has responses, then waits.
class SlowStreamer final : public Streamer::Service {
 public:
  explicit SlowStreamer(LeafLog* log) : log_(log) {}
  grpc::Status Unary(grpc::ServerContext* ctx, const Probe* request,
                     Probe* reply) override {
    *reply = *request;
    return Wait(ctx, log_, request->text());
  }
  grpc::Status ServerStream(grpc::ServerContext* ctx, const Probe* request,
                            grpc::ServerWriter<Probe>* writer) override {
    writer->Write(*request);
    return Wait(ctx, log_, request->text());
  }
  grpc::Status ClientStream(grpc::ServerContext* ctx,
                            grpc::ServerReader<Probe>* reader,
                            Probe* reply) override {
    if (!reader->Read(reply)) return grpc::Status::CANCELLED;
    return Wait(ctx, log_, reply->text());
  }
  grpc::Status Bidi(grpc::ServerContext* ctx,
                    grpc::ServerReaderWriter<Probe, Probe>* stream) override {
    Probe probe;
    if (!stream->Read(&probe)) return grpc::Status::CANCELLED;
    stream->Write(probe);
    return Wait(ctx, log_, probe.text());
  }

 private:
  LeafLog* const log_;
};

// The slow leaf on its own server (no gls interceptor: it only has to see
// the cancellation) and a gls client channel to it.
struct Leaf {
  explicit Leaf(
      client::BackupHandler handler = client::RestoreMissingPersistent)
      : greeter(&log),
        streamer(&log),
        server({&greeter, &streamer}, /*backup=*/false),
        greeter_stub(Greeter::NewStub(server.BackupChannel(handler))),
        streamer_stub(Streamer::NewStub(server.BackupChannel(handler))) {}

  LeafLog log;
  SlowGreeter greeter;
  SlowStreamer streamer;
  TestServer server;
  std::unique_ptr<Greeter::Stub> greeter_stub;
  std::unique_ptr<Streamer::Stub> streamer_stub;
};

// The outbound call shapes a front's handler makes, each with a fresh
// ClientContext: no deadline, nothing from the request.
grpc::Status CallUnary(Greeter::Stub& stub, const std::string& name) {
  grpc::ClientContext ctx;
  HelloRequest request;
  request.set_name(name);
  HelloReply reply;
  return stub.SayHello(&ctx, request, &reply);
}

// Unary through the completion-queue client API. With `metadata_first` it
// reads the initial metadata first, so the status comes in a second batch.
grpc::Status CallUnaryOnCq(Greeter::Stub& stub, const std::string& name,
                           bool metadata_first = false) {
  grpc::ClientContext ctx;
  grpc::CompletionQueue cq;
  HelloRequest request;
  request.set_name(name);
  HelloReply reply;
  grpc::Status status;
  void* const kMetadata = reinterpret_cast<void*>(1);
  void* const kFinish = reinterpret_cast<void*>(2);
  auto rpc = stub.PrepareAsyncSayHello(&ctx, request, &cq);
  rpc->StartCall();
  if (metadata_first) rpc->ReadInitialMetadata(kMetadata);
  rpc->Finish(&reply, &status, kFinish);
  void* tag = nullptr;
  bool ok = false;
  bool finished = false;
  for (int i = 0; i < (metadata_first ? 2 : 1) && cq.Next(&tag, &ok); ++i) {
    if (tag == kFinish) finished = ok;
  }
  if (!finished) status = grpc::Status(grpc::StatusCode::INTERNAL, "cq failed");
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

// Unary through the callback client API.
grpc::Status CallUnaryCallback(Greeter::Stub& stub, const std::string& name) {
  grpc::ClientContext ctx;
  HelloRequest request;
  request.set_name(name);
  HelloReply reply;
  grpc::Status status;
  absl::Notification done;
  stub.async()->SayHello(&ctx, &request, &reply, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  return status;
}

grpc::Status CallServerStream(Streamer::Stub& stub, const std::string& name) {
  grpc::ClientContext ctx;
  Probe request;
  request.set_text(name);
  auto reader = stub.ServerStream(&ctx, request);
  Probe probe;
  while (reader->Read(&probe)) {
  }
  return reader->Finish();
}

grpc::Status CallClientStream(Streamer::Stub& stub, const std::string& name) {
  grpc::ClientContext ctx;
  Probe reply;
  auto writer = stub.ClientStream(&ctx, &reply);
  Probe probe;
  probe.set_text(name);
  writer->Write(probe);
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status CallBidi(Streamer::Stub& stub, const std::string& name) {
  grpc::ClientContext ctx;
  auto stream = stub.Bidi(&ctx);
  Probe probe;
  probe.set_text(name);
  stream->Write(probe);
  stream->WritesDone();
  while (stream->Read(&probe)) {
  }
  return stream->Finish();
}

// What a front's handler does with the request's name: calls the leaf and
// returns the outbound call's status.
using Outbound = std::function<grpc::Status(const std::string& name)>;

// An outbound call as the front saw it.
struct FrontCall {
  bool done = false;
  grpc::Status status;
  absl::Time ended;
};

// The fronts' outbound calls by tag. Thread-safe.
class FrontLog {
 public:
  void Record(const std::string& tag, grpc::Status status) {
    absl::MutexLock lock(&mu_);
    calls_[tag] = {true, std::move(status), absl::Now()};
  }
  // Waits until `tag` was recorded; `done` false if it was not in time.
  FrontCall Wait(const std::string& tag) {
    absl::MutexLock lock(&mu_);
    auto recorded = [&] { return calls_.count(tag) > 0; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&recorded), kPatience)) {
      return {};
    }
    return calls_[tag];
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, FrontCall> calls_ ABSL_GUARDED_BY(mu_);
};

// A sync front: its handler runs `outbound` with the request's name and
// records the status under the name's tag.
class SyncFront final : public Greeter::Service {
 public:
  SyncFront(FrontLog* log, Outbound outbound)
      : log_(log), outbound_(std::move(outbound)) {}
  grpc::Status SayHello(grpc::ServerContext*, const HelloRequest* request,
                        HelloReply*) override {
    grpc::Status status = outbound_(request->name());
    log_->Record(TagOf(request->name()), status);
    return status;
  }

 private:
  FrontLog* const log_;
  const Outbound outbound_;
};

// A callback front: the handler starts a callback outbound call to the leaf
// and finishes the request when it completes.
class CallbackFront final : public Greeter::CallbackService {
 public:
  CallbackFront(FrontLog* log, Greeter::Stub* leaf) : log_(log), leaf_(leaf) {}
  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* ctx,
                                     const HelloRequest* request,
                                     HelloReply*) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    struct Outgoing {
      grpc::ClientContext ctx;  // fresh
      HelloRequest request;
      HelloReply reply;
    };
    auto* out = new Outgoing;
    out->request.set_name(request->name());
    leaf_->async()->SayHello(&out->ctx, &out->request, &out->reply,
                             [this, out, reactor](grpc::Status status) {
                               log_->Record(TagOf(out->request.name()), status);
                               delete out;
                               reactor->Finish(status);
                             });
    return reactor;
  }

 private:
  FrontLog* const log_;
  Greeter::Stub* const leaf_;
};

// A completion-queue front on `service`: one thread polls `cq`; each request
// runs on a thread of its own inside a gls::server::RequestScope, where it
// runs `outbound` with the request's name, records the status and finishes.
// Destroy it before the server and the queue: it waits for its handlers and
// shuts both down. `before_scope`, if set, runs with the request's name on the
// handler's thread before the scope is made.
class CqFront {
 public:
  CqFront(FrontLog* log, Outbound outbound, Greeter::AsyncService* service,
          grpc::Server* server, grpc::ServerCompletionQueue* cq,
          std::function<void(const std::string&)> before_scope = nullptr)
      : log_(log),
        before_scope_(std::move(before_scope)),
        outbound_(std::move(outbound)),
        service_(service),
        server_(server),
        cq_(cq) {
    RequestNext();
    poller_ = std::thread([this] { Poll(); });
  }
  ~CqFront() {
    std::vector<std::thread> handlers;
    {
      absl::MutexLock lock(&mu_);
      handlers.swap(handlers_);
    }
    for (std::thread& t : handlers) t.join();
    server_->Shutdown();
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    cq_->Shutdown();
    poller_.join();
  }

 private:
  struct Call {
    grpc::ServerContext ctx;
    HelloRequest request;
    grpc::ServerAsyncResponseWriter<HelloReply> responder{&ctx};
    bool finishing = false;
  };

  void RequestNext() {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    Call* call = new Call;
    service_->RequestSayHello(&call->ctx, &call->request, &call->responder, cq_,
                              cq_, call);
  }

  void Poll() {
    void* tag = nullptr;
    bool ok = false;
    while (cq_->Next(&tag, &ok)) {
      Call* call = static_cast<Call*>(tag);
      if (call->finishing || !ok) {
        delete call;
        continue;
      }
      call->finishing = true;
      RequestNext();
      absl::MutexLock lock(&mu_);
      handlers_.emplace_back([this, call] { Handle(call); });
    }
  }

  void Handle(Call* call) {
    if (before_scope_) before_scope_(call->request.name());
    grpc::Status status;
    {
      server::RequestScope scope(call->ctx, "/gls.examples.Greeter/SayHello");
      status = outbound_(call->request.name());
    }
    log_->Record(TagOf(call->request.name()), status);
    call->responder.Finish(HelloReply(), status, call);
  }

  FrontLog* const log_;
  const std::function<void(const std::string&)> before_scope_;
  const Outbound outbound_;
  Greeter::AsyncService* const service_;
  grpc::Server* const server_;
  grpc::ServerCompletionQueue* const cq_;
  std::thread poller_;
  absl::Mutex mu_;
  std::vector<std::thread> handlers_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

// Joins the thread a handler may have left running when the test ends
// (declare it after what the thread uses and before the front's server, so
// the handler has finished with it first).
class JoinAtEnd {
 public:
  explicit JoinAtEnd(std::thread* thread) : thread_(thread) {}
  JoinAtEnd(const JoinAtEnd&) = delete;
  JoinAtEnd& operator=(const JoinAtEnd&) = delete;
  ~JoinAtEnd() {
    if (thread_->joinable()) thread_->join();
  }

 private:
  std::thread* const thread_;
};

// A call to a front through the callback API, that the test can cancel.
class PendingCall {
 public:
  // `metainfo`: the request carries a persistent and a transient value.
  // `timeout`: the client's deadline (none if infinite).
  PendingCall(Greeter::Stub& stub, const std::string& name,
              bool metainfo = true,
              absl::Duration timeout = absl::InfiniteDuration()) {
    if (metainfo) {
      ctx_.AddMetadata("rpc-persist-tenant", "acme");
      ctx_.AddMetadata("rpc-transit-hop", "front");
    }
    if (timeout != absl::InfiniteDuration()) {
      deadline_ = absl::Now() + timeout;
      ctx_.set_deadline(absl::ToChronoTime(deadline_));
    }
    request_.set_name(name);
    stub.async()->SayHello(&ctx_, &request_, &reply_, [this](grpc::Status s) {
      status_ = std::move(s);
      done_.Notify();
    });
  }
  ~PendingCall() { done_.WaitForNotification(); }

  // Cancels the call; returns the time it did.
  absl::Time Cancel() {
    const absl::Time now = absl::Now();
    ctx_.TryCancel();
    return now;
  }
  absl::Time deadline() const { return deadline_; }
  // The call's status, once it completed.
  grpc::Status Wait() {
    if (!done_.WaitForNotificationWithTimeout(kPatience)) {
      return grpc::Status(grpc::StatusCode::UNKNOWN, "test: no status");
    }
    return status_;
  }

 private:
  grpc::ClientContext ctx_;
  HelloRequest request_;
  HelloReply reply_;
  absl::Time deadline_ = absl::InfiniteFuture();
  absl::Notification done_;
  grpc::Status status_;
};

// Checks that the leaf's call `tag` saw cancellation within kCancelBound of
// `from`, and prints how long it took.
void ExpectLeafCancelled(LeafLog& log, const std::string& tag,
                         absl::Time from) {
  LeafCall call = log.WaitEnded(tag);
  ASSERT_TRUE(call.done) << tag << ": the leaf's call never ended";
  EXPECT_TRUE(call.cancelled) << tag;
  EXPECT_LT(call.ended - call.started, kCancelBound) << tag;
  EXPECT_LT(call.ended - from, kCancelBound) << tag;
  PrintLatency(tag, call.ended - from);
}

void ExpectStatus(const FrontCall& call, grpc::StatusCode code,
                  absl::string_view message) {
  ASSERT_TRUE(call.done) << "the front's outbound call never ended";
  EXPECT_EQ(call.status.error_code(), code) << call.status.error_message();
  EXPECT_EQ(call.status.error_message(), message);
}

// A sync front whose handler calls the leaf's Greeter with a fresh
// ClientContext, the leaf, and a plain channel to the front.
struct SyncChain {
  SyncChain()
      : front(&front_log,
              [this](const std::string& name) {
                return CallUnary(*leaf.greeter_stub, name);
              }),
        server({&front}, /*backup=*/true),
        stub(Greeter::NewStub(server.Channel())) {}

  Leaf leaf;
  FrontLog front_log;
  SyncFront front;
  TestServer server;
  std::unique_ptr<Greeter::Stub> stub;
};

// Tests that when a sync front's request reaches its deadline, the outbound
// call its handler made (fresh ClientContext, no deadline) is cancelled with
// DEADLINE_EXCEEDED and the leaf sees it well before it would have answered.
TEST(CancellationTest, SyncFrontClientDeadlineCancelsOutboundCall) {
  SyncChain chain;
  PendingCall call(*chain.stub, LeafName("deadline"), /*metainfo=*/true,
                   kClientDeadline);
  EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ExpectLeafCancelled(chain.leaf.log, "deadline", call.deadline());
  // Two things cancel the session here: the request's close (the client's
  // deadline fired; the watcher's poll sees it) and the watcher's first tick
  // after the request's deadline. Whichever comes first, the outbound call
  // ends with DEADLINE_EXCEEDED, "gls: the incoming request's deadline
  // passed": a close seen within kDeadlineSlack (100 ms, session.cc) of the
  // deadline, or after it, counts as the deadline. (Without that rule the
  // status varied between runs.)
  ExpectStatus(chain.front_log.Wait("deadline"),
               grpc::StatusCode::DEADLINE_EXCEEDED, kRequestDeadline);
}

// Tests that when the client cancels a sync front's request, the outbound
// call is cancelled with CANCELLED and the leaf sees it.
TEST(CancellationTest, SyncFrontClientCancelCancelsOutboundCall) {
  SyncChain chain;
  PendingCall call(*chain.stub, LeafName("cancel"));
  ASSERT_TRUE(chain.leaf.log.WaitStarted("cancel"));
  const absl::Time cancelled = call.Cancel();
  EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::CANCELLED);
  ExpectLeafCancelled(chain.leaf.log, "cancel", cancelled);
  ExpectStatus(chain.front_log.Wait("cancel"), grpc::StatusCode::CANCELLED,
               kRequestCancelled);
}

// Tests that a callback front's outbound call (callback client API) is
// cancelled when the client cancels and when the request's deadline passes.
TEST(CancellationTest, CallbackFrontCancelsOutboundCall) {
  Leaf leaf;
  FrontLog front_log;
  CallbackFront front(&front_log, leaf.greeter_stub.get());
  TestServer front_server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());

  {
    PendingCall call(*stub, LeafName("callback-cancel"));
    ASSERT_TRUE(leaf.log.WaitStarted("callback-cancel"));
    const absl::Time cancelled = call.Cancel();
    EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::CANCELLED);
    ExpectLeafCancelled(leaf.log, "callback-cancel", cancelled);
    ExpectStatus(front_log.Wait("callback-cancel"), grpc::StatusCode::CANCELLED,
                 kRequestCancelled);
  }
  {
    PendingCall call(*stub, LeafName("callback-deadline"), /*metainfo=*/true,
                     kClientDeadline);
    EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    ExpectLeafCancelled(leaf.log, "callback-deadline", call.deadline());
    ExpectStatus(front_log.Wait("callback-deadline"),
                 grpc::StatusCode::DEADLINE_EXCEEDED, kRequestDeadline);
  }
}

// Tests that a request with no metainfo at all (no rpc-persist- or
// rpc-transit- header, so the client interceptor has nothing to add) still
// ties its outbound calls to its cancellation.
TEST(CancellationTest, RequestWithoutMetainfoPropagates) {
  SyncChain chain;
  {
    PendingCall call(*chain.stub, LeafName("bare-cancel"),
                     /*metainfo=*/false);
    ASSERT_TRUE(chain.leaf.log.WaitStarted("bare-cancel"));
    const absl::Time cancelled = call.Cancel();
    EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::CANCELLED);
    ExpectLeafCancelled(chain.leaf.log, "bare-cancel", cancelled);
    ExpectStatus(chain.front_log.Wait("bare-cancel"),
                 grpc::StatusCode::CANCELLED, kRequestCancelled);
  }
  {
    PendingCall call(*chain.stub, LeafName("bare-deadline"),
                     /*metainfo=*/false, kClientDeadline);
    EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    ExpectLeafCancelled(chain.leaf.log, "bare-deadline", call.deadline());
    ExpectStatus(chain.front_log.Wait("bare-deadline"),
                 grpc::StatusCode::DEADLINE_EXCEEDED, kRequestDeadline);
  }
}

// Tests that outbound calls made from carried work (gls::Go, gls::ThreadPool)
// while the handler waits for it are cancelled with the request.
TEST(CancellationTest, CarriedWorkCallsAreCancelled) {
  Leaf leaf;
  ThreadPool pool(2);
  FrontLog front_log;
  SyncFront front(&front_log, [&](const std::string& name) {
    grpc::Status status;
    if (TagOf(name) == "go") {
      std::thread t = Go([&] { status = CallUnary(*leaf.greeter_stub, name); });
      t.join();
    } else {
      absl::Notification done;
      pool.Schedule([&] {
        status = CallUnary(*leaf.greeter_stub, name);
        done.Notify();
      });
      done.WaitForNotification();
    }
    return status;
  });
  TestServer front_server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());

  for (const std::string tag : {"go", "pool"}) {
    PendingCall call(*stub, LeafName(tag));
    ASSERT_TRUE(leaf.log.WaitStarted(tag));
    const absl::Time cancelled = call.Cancel();
    EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::CANCELLED);
    ExpectLeafCancelled(leaf.log, tag, cancelled);
    ExpectStatus(front_log.Wait(tag), grpc::StatusCode::CANCELLED,
                 kRequestCancelled);
  }
}

// Tests that every outbound call shape is cancelled with its request:
// streaming calls (server, client, bidi), and unary calls through the sync,
// completion-queue and callback client APIs. A call whose status arrives in
// the batch that registers it (sync, callback and completion-queue unary)
// is registered without a reference to it; the others hold one.
TEST(CancellationTest, EveryCallShapeIsCancelled) {
  Leaf leaf;
  FrontLog front_log;
  absl::Mutex mu;
  std::map<std::string, Session> sessions;  // under mu
  SyncFront front(&front_log, [&](const std::string& name) {
    const std::string tag = TagOf(name);
    {
      absl::MutexLock lock(&mu);
      sessions[tag] = CurSession();
    }
    Streamer::Stub& streamer = *leaf.streamer_stub;
    Greeter::Stub& greeter = *leaf.greeter_stub;
    if (tag == "server-stream") return CallServerStream(streamer, name);
    if (tag == "client-stream") return CallClientStream(streamer, name);
    if (tag == "bidi") return CallBidi(streamer, name);
    if (tag == "sync-unary") return CallUnary(greeter, name);
    if (tag == "cq-unary") return CallUnaryOnCq(greeter, name);
    if (tag == "cq-unary-metadata-first") {
      return CallUnaryOnCq(greeter, name, /*metadata_first=*/true);
    }
    return CallUnaryCallback(greeter, name);
  });
  TestServer front_server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());

  // Each shape, and whether its registration holds a reference.
  const std::vector<std::pair<std::string, bool>> shapes = {
      {"server-stream", true},  {"client-stream", true},
      {"bidi", true},           {"sync-unary", false},
      {"cq-unary", false},      {"cq-unary-metadata-first", true},
      {"callback-unary", false}};
  std::vector<std::string> tags;
  for (const auto& [tag, holds_ref] : shapes) tags.push_back(tag);
  // All at once: the requests are independent.
  std::vector<std::unique_ptr<PendingCall>> calls;
  for (const std::string& tag : tags) {
    calls.push_back(std::make_unique<PendingCall>(*stub, LeafName(tag)));
  }
  for (const std::string& tag : tags) {
    ASSERT_TRUE(leaf.log.WaitStarted(tag)) << tag;
  }
  {
    absl::MutexLock lock(&mu);
    for (const auto& [tag, holds_ref] : shapes) {
      EXPECT_EQ(
          session_internal::SessionAccess::TargetsHoldRefForTest(sessions[tag]),
          std::vector<bool>{holds_ref})
          << tag;
    }
  }
  for (size_t i = 0; i < tags.size(); ++i) {
    SCOPED_TRACE(tags[i]);
    const absl::Time cancelled = calls[i]->Cancel();
    EXPECT_EQ(calls[i]->Wait().error_code(), grpc::StatusCode::CANCELLED);
    ExpectLeafCancelled(leaf.log, tags[i], cancelled);
    ExpectStatus(front_log.Wait(tags[i]), grpc::StatusCode::CANCELLED,
                 kRequestCancelled);
  }
}

// Tests the opt-out: a call made under the detached session is not cancelled
// with the request and completes, after the request ended, while the call
// the handler made under the request's session is cancelled.
TEST(CancellationTest, DetachedSessionOutlivesCancelledRequest) {
  Leaf leaf;
  FrontLog front_log;
  bool cancelled_seen = false;  // written by the handler, read after the log
  bool detached_cancelled_seen = true;
  std::thread detached_work;
  JoinAtEnd join(&detached_work);
  SyncFront front(&front_log, [&](const std::string&) {
    const Session detached = CurSession().Detach();
    detached_work = GoSession(detached, [&] {
      front_log.Record("detached",
                       CallUnary(*leaf.greeter_stub,
                                 LeafName("detached", absl::Seconds(1))));
    });
    grpc::Status status = CallUnary(*leaf.greeter_stub, LeafName("attached"));
    cancelled_seen = CurSession().IsCancelled();
    detached_cancelled_seen = detached.IsCancelled();
    return status;
  });
  TestServer front_server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());

  PendingCall call(*stub, LeafName("attached"));
  ASSERT_TRUE(leaf.log.WaitStarted("attached"));
  ASSERT_TRUE(leaf.log.WaitStarted("detached"));
  const absl::Time cancelled = call.Cancel();
  EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::CANCELLED);
  ExpectLeafCancelled(leaf.log, "attached", cancelled);
  ExpectStatus(front_log.Wait("attached"), grpc::StatusCode::CANCELLED,
               kRequestCancelled);
  EXPECT_TRUE(cancelled_seen);
  EXPECT_FALSE(detached_cancelled_seen);

  // The detached call ran its full second and answered OK.
  LeafCall detached = leaf.log.WaitEnded("detached");
  ASSERT_TRUE(detached.done);
  EXPECT_FALSE(detached.cancelled);
  EXPECT_GE(detached.ended - detached.started, absl::Milliseconds(900));
  const FrontCall detached_call = front_log.Wait("detached");
  ASSERT_TRUE(detached_call.done);
  EXPECT_TRUE(detached_call.status.ok())
      << detached_call.status.error_message();
  EXPECT_GT(detached_call.ended, front_log.Wait("attached").ended);
}

// Tests that the request's deadline bounds outbound calls without
// RegisterGlobalDeadlineBackup: the leaf gets no deadline on the wire yet its
// call ends at the client's deadline, from the handler and from work the
// handler left running after it answered (fire-and-forget), which ends with
// DEADLINE_EXCEEDED although the request itself was not cancelled.
TEST(CancellationTest, RequestDeadlineBoundsOutboundCalls) {
  Leaf leaf;
  FrontLog front_log;
  std::thread background;
  JoinAtEnd join(&background);
  SyncFront front(&front_log, [&](const std::string& name) {
    if (TagOf(name) != "background") {
      return CallUnary(*leaf.greeter_stub, name);
    }
    background = Go([&] {
      front_log.Record("background-call",
                       CallUnary(*leaf.greeter_stub, LeafName("background")));
    });
    return grpc::Status::OK;  // answers at once
  });
  TestServer front_server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());

  {
    PendingCall call(*stub, LeafName("in-handler"), /*metainfo=*/true,
                     kClientDeadline);
    EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    ExpectLeafCancelled(leaf.log, "in-handler", call.deadline());
    EXPECT_TRUE(leaf.log.WaitEnded("in-handler").no_deadline);
    ExpectStatus(front_log.Wait("in-handler"),
                 grpc::StatusCode::DEADLINE_EXCEEDED, kRequestDeadline);
  }
  {
    PendingCall call(*stub, LeafName("background"), /*metainfo=*/true,
                     kClientDeadline);
    EXPECT_TRUE(call.Wait().ok());
    ExpectLeafCancelled(leaf.log, "background", call.deadline());
    EXPECT_TRUE(leaf.log.WaitEnded("background").no_deadline);
    ExpectStatus(front_log.Wait("background-call"),
                 grpc::StatusCode::DEADLINE_EXCEEDED, kRequestDeadline);
  }
}

// Tests that a deadline on the ctx a BackupHandler returns bounds the
// outbound call (cancelled then with DEADLINE_EXCEEDED) though the request
// has none, without cancelling the request's session.
TEST(CancellationTest, BackupHandlerDeadlineCancelsOutboundCall) {
  constexpr absl::Duration kHandlerTimeout = absl::Milliseconds(300);
  Leaf leaf([kHandlerTimeout](const Context& prev, const Context& cur) {
    return client::BackupResult{cur.WithDeadline(absl::Now() + kHandlerTimeout),
                                true};
  });
  FrontLog front_log;
  bool session_cancelled = true;
  SyncFront front(&front_log, [&](const std::string& name) {
    grpc::Status status = CallUnary(*leaf.greeter_stub, name);
    session_cancelled = CurSession().IsCancelled();
    return status;
  });
  TestServer front_server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());

  const absl::Time start = absl::Now();
  PendingCall call(*stub, LeafName("handler-deadline"));  // no deadline
  EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ExpectLeafCancelled(leaf.log, "handler-deadline", start + kHandlerTimeout);
  // gRPC fixed the call's deadline before the interceptor ran: none went on
  // the wire; gls cancelled the call.
  EXPECT_TRUE(leaf.log.WaitEnded("handler-deadline").no_deadline);
  const FrontCall outbound = front_log.Wait("handler-deadline");
  ExpectStatus(outbound, grpc::StatusCode::DEADLINE_EXCEEDED, kHandlerDeadline);
  EXPECT_GE(outbound.ended - start, kHandlerTimeout);
  EXPECT_FALSE(session_cancelled);
}

// Tests that cancelling one of two concurrent requests on the same front
// leaves the other's outbound call alone: it completes OK.
TEST(CancellationTest, CancellingOneRequestSparesAnother) {
  SyncChain chain;
  PendingCall victim(*chain.stub, LeafName("victim"));
  PendingCall other(*chain.stub, LeafName("other", absl::Milliseconds(800)));
  ASSERT_TRUE(chain.leaf.log.WaitStarted("victim"));
  ASSERT_TRUE(chain.leaf.log.WaitStarted("other"));
  const absl::Time cancelled = victim.Cancel();
  EXPECT_EQ(victim.Wait().error_code(), grpc::StatusCode::CANCELLED);
  ExpectLeafCancelled(chain.leaf.log, "victim", cancelled);
  ExpectStatus(chain.front_log.Wait("victim"), grpc::StatusCode::CANCELLED,
               kRequestCancelled);

  EXPECT_TRUE(other.Wait().ok());
  LeafCall other_leaf = chain.leaf.log.WaitEnded("other");
  ASSERT_TRUE(other_leaf.done);
  EXPECT_FALSE(other_leaf.cancelled);
  const FrontCall other_call = chain.front_log.Wait("other");
  ASSERT_TRUE(other_call.done);
  EXPECT_TRUE(other_call.status.ok()) << other_call.status.error_message();
}

// Tests that a call made under a session already cancelled is cancelled at
// once, with the session's status, whatever its shape.
TEST(CancellationTest, CallUnderCancelledSessionIsCancelledAtOnce) {
  Leaf leaf;
  FrontLog front_log;
  absl::Duration unary_took, stream_took;
  SyncFront front(&front_log, [&](const std::string& name) {
    grpc::Status first = CallUnary(*leaf.greeter_stub, name);
    absl::Time start = absl::Now();
    front_log.Record("late-unary",
                     CallUnary(*leaf.greeter_stub, LeafName("late-unary")));
    unary_took = absl::Now() - start;
    start = absl::Now();
    front_log.Record("late-stream", CallServerStream(*leaf.streamer_stub,
                                                     LeafName("late-stream")));
    stream_took = absl::Now() - start;
    return first;
  });
  TestServer front_server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());

  PendingCall call(*stub, LeafName("first"));
  ASSERT_TRUE(leaf.log.WaitStarted("first"));
  const absl::Time cancelled = call.Cancel();
  EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::CANCELLED);
  ExpectLeafCancelled(leaf.log, "first", cancelled);
  ExpectStatus(front_log.Wait("late-unary"), grpc::StatusCode::CANCELLED,
               kRequestCancelled);
  ExpectStatus(front_log.Wait("late-stream"), grpc::StatusCode::CANCELLED,
               kRequestCancelled);
  ExpectStatus(front_log.Wait("first"), grpc::StatusCode::CANCELLED,
               kRequestCancelled);
  EXPECT_LT(unary_took, kCancelBound);
  EXPECT_LT(stream_took, kCancelBound);
  PrintLatency("late-unary (whole call)", unary_took);
  PrintLatency("late-stream (whole call)", stream_took);
}

// Tests that a completion-queue front's outbound calls, made inside a
// gls::server::RequestScope, are cancelled with the request (the interceptor
// sees the close on the queue's polling thread) and at its deadline.
TEST(CancellationTest, CompletionQueueFrontWithRequestScope) {
  Leaf leaf;
  FrontLog front_log;
  Greeter::AsyncService service;
  std::unique_ptr<grpc::ServerCompletionQueue> cq;
  TestServer front_server({&service}, server::BackupOptions(), &cq);
  CqFront front(
      &front_log,
      [&](const std::string& name) {
        return CallUnary(*leaf.greeter_stub, name);
      },
      &service, front_server.server(), cq.get());
  auto stub = Greeter::NewStub(front_server.Channel());

  {
    PendingCall call(*stub, LeafName("cq-cancel"));
    ASSERT_TRUE(leaf.log.WaitStarted("cq-cancel"));
    const absl::Time cancelled = call.Cancel();
    EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::CANCELLED);
    ExpectLeafCancelled(leaf.log, "cq-cancel", cancelled);
    ExpectStatus(front_log.Wait("cq-cancel"), grpc::StatusCode::CANCELLED,
                 kRequestCancelled);
  }
  {
    PendingCall call(*stub, LeafName("cq-deadline"), /*metainfo=*/true,
                     kClientDeadline);
    EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    ExpectLeafCancelled(leaf.log, "cq-deadline", call.deadline());
    ExpectStatus(front_log.Wait("cq-deadline"),
                 grpc::StatusCode::DEADLINE_EXCEEDED, kRequestDeadline);
  }
}

// Tests that a completion-queue request cancelled before its handler made
// the RequestScope still cancels the scope's outbound calls, at once.
TEST(CancellationTest, CompletionQueueCancelledBeforeTheScope) {
  Leaf leaf;
  FrontLog front_log;
  Greeter::AsyncService service;
  std::unique_ptr<grpc::ServerCompletionQueue> cq;
  TestServer front_server({&service}, server::BackupOptions(), &cq);
  absl::Notification client_cancelled;
  CqFront front(
      &front_log,
      [&](const std::string& name) {
        return CallUnary(*leaf.greeter_stub, name);
      },
      &service, front_server.server(), cq.get(),
      [&](const std::string&) {
        client_cancelled.WaitForNotification();
        absl::SleepFor(absl::Milliseconds(200));  // the close reaches gRPC
      });
  auto stub = Greeter::NewStub(front_server.Channel());

  PendingCall call(*stub, LeafName("cq-early"));
  absl::SleepFor(absl::Milliseconds(100));  // the request reached the front
  call.Cancel();
  client_cancelled.Notify();
  EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::CANCELLED);
  const absl::Time scope_made = absl::Now();
  ExpectStatus(front_log.Wait("cq-early"), grpc::StatusCode::CANCELLED,
               kRequestCancelled);
  // Cancelled when made, not after the leaf's 5 s of work.
  EXPECT_LT(absl::Now() - scope_made, absl::Seconds(2));
}

// Tests that gls counts the outbound calls it cancels
// (GetStats().cancellations_propagated).
TEST(CancellationTest, CancellationsAreCounted) {
  SyncChain chain;
  const uint64_t before = GetStats().cancellations_propagated;
  PendingCall call(*chain.stub, LeafName("counted"));
  ASSERT_TRUE(chain.leaf.log.WaitStarted("counted"));
  call.Cancel();
  EXPECT_EQ(call.Wait().error_code(), grpc::StatusCode::CANCELLED);
  ExpectStatus(chain.front_log.Wait("counted"), grpc::StatusCode::CANCELLED,
               kRequestCancelled);
  EXPECT_EQ(GetStats().cancellations_propagated, before + 1);
}

}  // namespace
}  // namespace gls
