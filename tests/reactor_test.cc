// Tests of gls::server's session reactors (session_reactor.h) on real
// callback servers with gls::server::WithContextBackup(true, false), and of
// the facts they rest on: with a plain gRPC reactor only its constructor (the
// method handler) sees the request's session; every callback gRPC runs later
// (OnSendInitialMetadataDone, OnReadDone, OnWriteDone, OnCancel, OnDone) sees
// the empty session. The same test reactors run on gRPC's classes ("plain")
// and on gls's ("bound"), picked per call by the client's "x-reactor" header.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gls/interceptors/session_reactor.h"
#include "gls/session/binding.h"
#include "gls/session/context.h"
#include "gls/session/session.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"
#include "proto/test_stream.grpc.pb.h"

namespace gls {
namespace {

using ::gls::testing::Probe;
using ::gls::testing::Streamer;
using ::gls::testing::TestServer;

// Set by each reactor's constructor to its tenant.
ABSL_CONST_INIT const SessionKey<std::string> kMark("mark");

std::string TenantOf(const Session& s) {
  return std::string(s.context().GetPersistent("TENANT").value_or(""));
}

// What the calling code sees bound, relative to `own` (the session the
// reactor's constructor saw) and `accessor` (the reactor's session(), nullptr
// for plain reactors):
//   "empty"                                        nothing bound
//   "other tenant=T"                               another session
//   "own tenant=T,mark=M,valid=V[,accessor=A]"     `own`
std::string View(const Session& own, const Session* accessor) {
  const Session& s = CurSession();
  if (s.empty()) return "empty";
  if (!s.SameAs(own)) return absl::StrCat("other tenant=", TenantOf(s));
  std::shared_ptr<const std::string> mark = s.Get(kMark);
  std::string view = absl::StrCat("own tenant=", TenantOf(s),
                                  ",mark=", mark == nullptr ? "-" : *mark,
                                  ",valid=", s.IsValid());
  if (accessor != nullptr) {
    absl::StrAppend(&view, ",accessor=", accessor->SameAs(own));
  }
  return view;
}

// What one callback of one call saw.
struct Entry {
  std::string tenant;    // the call's, as its constructor saw it
  std::string callback;  // "constructor", "OnReadDone", ...
  std::string view;      // View()
};

// Every callback's view, server-wide. Thread-safe.
class Log {
 public:
  void Add(Entry entry) {
    absl::MutexLock lock(&mu_);
    entries_.push_back(std::move(entry));
    cv_.SignalAll();
  }

  // Waits until the call of `tenant` noted OnDone (gRPC may run it after the
  // client got the status); returns that call's entries in order.
  std::vector<Entry> WaitForDone(const std::string& tenant) {
    absl::MutexLock lock(&mu_);
    while (!HasDoneLocked(tenant)) cv_.Wait(&mu_);
    std::vector<Entry> out;
    for (const Entry& e : entries_) {
      if (e.tenant == tenant) out.push_back(e);
    }
    return out;
  }

 private:
  bool HasDoneLocked(const std::string& tenant) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
      return e.tenant == tenant && e.callback == "OnDone";
    });
  }

  absl::Mutex mu_;
  absl::CondVar cv_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
};

// Held by each test reactor: remembers the session bound where the reactor
// was constructed (the handler), marks it with its tenant, and notes what
// each callback sees. Constructed in the reactor's constructor.
class Recorder {
 public:
  explicit Recorder(Log* log)
      : log_(log), own_(CurSession()), tenant_(TenantOf(own_)) {
    own_.Set(kMark, tenant_);
  }
  void Note(const char* callback, const Session* accessor) {
    log_->Add({tenant_, callback, View(own_, accessor)});
  }

 private:
  Log* const log_;
  const Session own_;
  const std::string tenant_;
};

// gRPC's reactors with gls's callback names, binding nothing: the test
// reactors below run unchanged on these and on gls's.
template <typename GrpcReactor>
class PlainBase : public GrpcReactor {
 public:
  void OnSendInitialMetadataDone(bool ok) override {
    OnSendInitialMetadataDoneInSession(ok);
  }
  void OnCancel() override { OnCancelInSession(); }
  void OnDone() override { OnDoneInSession(); }

 protected:
  virtual void OnSendInitialMetadataDoneInSession(bool) {}
  virtual void OnCancelInSession() {}
  virtual void OnDoneInSession() = 0;
};

template <typename Request>
class PlainRead : public PlainBase<grpc::ServerReadReactor<Request>> {
 public:
  void OnReadDone(bool ok) override { OnReadDoneInSession(ok); }

 protected:
  virtual void OnReadDoneInSession(bool) {}
};

template <typename Response>
class PlainWrite : public PlainBase<grpc::ServerWriteReactor<Response>> {
 public:
  void OnWriteDone(bool ok) override { OnWriteDoneInSession(ok); }

 protected:
  virtual void OnWriteDoneInSession(bool) {}
};

template <typename Request, typename Response>
class PlainBidi : public PlainBase<grpc::ServerBidiReactor<Request, Response>> {
 public:
  void OnReadDone(bool ok) override { OnReadDoneInSession(ok); }
  void OnWriteDone(bool ok) override { OnWriteDoneInSession(ok); }

 protected:
  virtual void OnReadDoneInSession(bool) {}
  virtual void OnWriteDoneInSession(bool) {}
};

// The reactor classes the test reactors derive from.
struct Plain {
  using Unary = PlainBase<grpc::ServerUnaryReactor>;
  using Read = PlainRead<Probe>;
  using Write = PlainWrite<Probe>;
  using Bidi = PlainBidi<Probe, Probe>;
  template <typename R>
  static const Session* Accessor(const R&) {
    return nullptr;
  }
};
struct Bound {
  using Unary = server::SessionUnaryReactor;
  using Read = server::SessionReadReactor<Probe>;
  using Write = server::SessionWriteReactor<Probe>;
  using Bidi = server::SessionBidiReactor<Probe, Probe>;
  template <typename R>
  static const Session* Accessor(const R& reactor) {
    return &reactor.session();
  }
};

// Unary with a custom reactor: sends initial metadata, finishes when sent.
template <typename F>
class UnaryProbe final : public F::Unary {
 public:
  explicit UnaryProbe(Log* log) : rec_(log) {
    Note("constructor");
    this->StartSendInitialMetadata();
  }

 private:
  void Note(const char* callback) { rec_.Note(callback, F::Accessor(*this)); }
  void OnSendInitialMetadataDoneInSession(bool) override {
    Note("OnSendInitialMetadataDone");
    this->Finish(grpc::Status::OK);
  }
  void OnCancelInSession() override { Note("OnCancel"); }
  void OnDoneInSession() override {
    Note("OnDone");
    delete this;
  }

  Recorder rec_;
};

// Client streaming: reads until the client is done, then finishes.
template <typename F>
class ReadProbe final : public F::Read {
 public:
  explicit ReadProbe(Log* log) : rec_(log) {
    Note("constructor");
    this->StartSendInitialMetadata();
    this->StartRead(&in_);
  }

 private:
  void Note(const char* callback) { rec_.Note(callback, F::Accessor(*this)); }
  void OnSendInitialMetadataDoneInSession(bool) override {
    Note("OnSendInitialMetadataDone");
  }
  void OnReadDoneInSession(bool ok) override {
    Note("OnReadDone");
    if (ok) {
      this->StartRead(&in_);
    } else {
      this->Finish(grpc::Status::OK);
    }
  }
  void OnCancelInSession() override { Note("OnCancel"); }
  void OnDoneInSession() override {
    Note("OnDone");
    delete this;
  }

  Recorder rec_;
  Probe in_;
};

// Server streaming: sends initial metadata, then two messages, then finishes.
template <typename F>
class WriteProbe final : public F::Write {
 public:
  explicit WriteProbe(Log* log) : rec_(log) {
    Note("constructor");
    this->StartSendInitialMetadata();
  }

 private:
  void Note(const char* callback) { rec_.Note(callback, F::Accessor(*this)); }
  void OnSendInitialMetadataDoneInSession(bool ok) override {
    Note("OnSendInitialMetadataDone");
    if (ok) {
      this->StartWrite(&out_);
    } else {
      this->Finish(grpc::Status(grpc::StatusCode::UNKNOWN, "metadata"));
    }
  }
  void OnWriteDoneInSession(bool ok) override {
    Note("OnWriteDone");
    if (ok && ++writes_ < 2) {
      this->StartWrite(&out_);
    } else {
      this->Finish(grpc::Status::OK);
    }
  }
  void OnCancelInSession() override { Note("OnCancel"); }
  void OnDoneInSession() override {
    Note("OnDone");
    delete this;
  }

  Recorder rec_;
  Probe out_;
  int writes_ = 0;
};

// Bidi: echoes each message. With `wait_for_cancel`, never finishes by
// itself: only OnCancel does.
template <typename F>
class BidiProbe final : public F::Bidi {
 public:
  BidiProbe(Log* log, bool wait_for_cancel)
      : rec_(log), wait_for_cancel_(wait_for_cancel) {
    Note("constructor");
    this->StartSendInitialMetadata();
    this->StartRead(&in_);
  }

 private:
  void Note(const char* callback) { rec_.Note(callback, F::Accessor(*this)); }
  // gRPC may run OnCancel alongside OnReadDone or OnWriteDone.
  void FinishOnce(grpc::Status status) {
    if (!finished_.exchange(true)) this->Finish(std::move(status));
  }
  void OnSendInitialMetadataDoneInSession(bool) override {
    Note("OnSendInitialMetadataDone");
  }
  void OnReadDoneInSession(bool ok) override {
    Note("OnReadDone");
    if (ok) {
      out_ = in_;
      this->StartWrite(&out_);
    } else if (!wait_for_cancel_) {
      FinishOnce(grpc::Status::OK);
    }
  }
  void OnWriteDoneInSession(bool ok) override {
    Note("OnWriteDone");
    if (ok) {
      this->StartRead(&in_);
    } else if (!wait_for_cancel_) {
      FinishOnce(grpc::Status(grpc::StatusCode::UNKNOWN, "write failed"));
    }
  }
  void OnCancelInSession() override {
    Note("OnCancel");
    FinishOnce(grpc::Status::CANCELLED);
  }
  void OnDoneInSession() override {
    Note("OnDone");
    delete this;
  }

  Recorder rec_;
  const bool wait_for_cancel_;
  std::atomic<bool> finished_{false};
  Probe in_, out_;
};

bool HeaderIs(const grpc::CallbackServerContext* ctx, const char* name,
              const char* value) {
  auto it = ctx->client_metadata().find(name);
  return it != ctx->client_metadata().end() && it->second == value;
}

// Makes plain reactors for calls with "x-reactor: plain", gls's otherwise.
class ProbeStreamer final : public Streamer::CallbackService {
 public:
  Log& log() { return log_; }

  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx,
                                  const Probe*, Probe*) override {
    if (IsPlain(ctx)) return new UnaryProbe<Plain>(&log_);
    return new UnaryProbe<Bound>(&log_);
  }
  grpc::ServerReadReactor<Probe>* ClientStream(grpc::CallbackServerContext* ctx,
                                               Probe*) override {
    if (IsPlain(ctx)) return new ReadProbe<Plain>(&log_);
    return new ReadProbe<Bound>(&log_);
  }
  grpc::ServerWriteReactor<Probe>* ServerStream(
      grpc::CallbackServerContext* ctx, const Probe*) override {
    if (IsPlain(ctx)) return new WriteProbe<Plain>(&log_);
    return new WriteProbe<Bound>(&log_);
  }
  grpc::ServerBidiReactor<Probe, Probe>* Bidi(
      grpc::CallbackServerContext* ctx) override {
    bool wait = HeaderIs(ctx, "x-mode", "wait-for-cancel");
    if (IsPlain(ctx)) return new BidiProbe<Plain>(&log_, wait);
    return new BidiProbe<Bound>(&log_, wait);
  }

 private:
  static bool IsPlain(const grpc::CallbackServerContext* ctx) {
    return HeaderIs(ctx, "x-reactor", "plain");
  }

  Log log_;
};

enum class Shape { kUnary, kClientStream, kServerStream, kBidi };
constexpr Shape kAllShapes[] = {Shape::kUnary, Shape::kClientStream,
                                Shape::kServerStream, Shape::kBidi};

const char* ShapeName(Shape shape) {
  switch (shape) {
    case Shape::kUnary:
      return "unary";
    case Shape::kClientStream:
      return "client-stream";
    case Shape::kServerStream:
      return "server-stream";
    case Shape::kBidi:
      return "bidi";
  }
  return "?";
}

// The callbacks a completed call of `shape` runs on the test reactors,
// sorted.
std::vector<std::string> ExpectedCallbacks(Shape shape) {
  std::vector<std::string> out = {"OnDone", "OnSendInitialMetadataDone",
                                  "constructor"};
  // Two messages each way, then the client's end of stream.
  if (shape == Shape::kClientStream || shape == Shape::kBidi) {
    out.insert(out.end(), 3, "OnReadDone");
  }
  if (shape == Shape::kServerStream || shape == Shape::kBidi) {
    out.insert(out.end(), 2, "OnWriteDone");
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What `callback` of a call of `tenant` sees on a `bound` (gls) or plain
// reactor, as View() puts it.
std::string ExpectedView(const std::string& tenant, bool bound,
                         const std::string& callback) {
  std::string own = absl::StrCat("own tenant=", tenant, ",mark=", tenant);
  if (!bound) {
    return callback == "constructor" ? absl::StrCat(own, ",valid=1") : "empty";
  }
  return absl::StrCat(own, ",valid=", callback == "OnDone" ? 0 : 1,
                      ",accessor=1");
}

void AddCallMetadata(grpc::ClientContext& ctx, const std::string& tenant,
                     bool bound) {
  ctx.AddMetadata("rpc-persist-tenant", tenant);
  ctx.AddMetadata("x-reactor", bound ? "bound" : "plain");
}

// Calls `shape` as `tenant` on `bound` or plain reactors, sending and
// receiving two messages where the shape streams.
grpc::Status Call(Streamer::Stub& stub, Shape shape, const std::string& tenant,
                  bool bound) {
  grpc::ClientContext ctx;
  AddCallMetadata(ctx, tenant, bound);
  Probe in, out;
  in.set_text(tenant);
  switch (shape) {
    case Shape::kUnary:
      return stub.Unary(&ctx, in, &out);
    case Shape::kClientStream: {
      auto writer = stub.ClientStream(&ctx, &out);
      writer->Write(in);
      writer->Write(in);
      writer->WritesDone();
      return writer->Finish();
    }
    case Shape::kServerStream: {
      auto reader = stub.ServerStream(&ctx, in);
      int n = 0;
      while (reader->Read(&out)) ++n;
      EXPECT_EQ(n, 2);
      return reader->Finish();
    }
    case Shape::kBidi: {
      auto stream = stub.Bidi(&ctx);
      for (int i = 0; i < 2; ++i) {
        stream->Write(in);
        EXPECT_TRUE(stream->Read(&out));
        EXPECT_EQ(out.text(), tenant);
      }
      stream->WritesDone();
      return stream->Finish();
    }
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "no such shape");
}

// Checks one completed call's entries: the callbacks `shape` runs ran, and
// each saw what a `bound` or plain reactor sees.
void ExpectCall(const std::vector<Entry>& entries, const std::string& tenant,
                bool bound, Shape shape) {
  SCOPED_TRACE(absl::StrCat(ShapeName(shape), " ", tenant));
  std::vector<std::string> callbacks;
  for (const Entry& e : entries) {
    callbacks.push_back(e.callback);
    EXPECT_EQ(e.view, ExpectedView(tenant, bound, e.callback)) << e.callback;
  }
  std::sort(callbacks.begin(), callbacks.end());
  EXPECT_EQ(callbacks, ExpectedCallbacks(shape));
}

// Tests the problem the session reactors solve: with plain gRPC reactors
// only the constructor (the handler, nested in the interceptor) sees the
// request's session; OnSendInitialMetadataDone, OnReadDone, OnWriteDone and
// OnDone, which gRPC runs later from its callback threads, see the empty
// session. (OnCancel: PlainOnCancelSeesNothing.)
TEST(PlainReactorTest, OnlyTheConstructorSeesTheRequest) {
  ProbeStreamer service;
  TestServer server({&service}, /*backup=*/true);
  auto stub = Streamer::NewStub(server.Channel());
  for (int i = 0; i < 5; ++i) {
    for (Shape shape : kAllShapes) {
      std::string tenant = absl::StrCat("plain-", ShapeName(shape), "-", i);
      ASSERT_TRUE(Call(*stub, shape, tenant, /*bound=*/false).ok());
      ExpectCall(service.log().WaitForDone(tenant), tenant, /*bound=*/false,
                 shape);
    }
  }
}

// Tests that on gls's reactors every callback of every shape runs with the
// request's session bound: the constructor's session (SameAs), with the value
// it Set and the client's metainfo, and session() is that session; OnDone
// sees it ended.
TEST(SessionReactorTest, EveryCallbackSeesTheRequest) {
  ProbeStreamer service;
  TestServer server({&service}, /*backup=*/true);
  auto stub = Streamer::NewStub(server.Channel());
  for (int i = 0; i < 5; ++i) {
    for (Shape shape : kAllShapes) {
      std::string tenant = absl::StrCat("bound-", ShapeName(shape), "-", i);
      ASSERT_TRUE(Call(*stub, shape, tenant, /*bound=*/true).ok());
      ExpectCall(service.log().WaitForDone(tenant), tenant, /*bound=*/true,
                 shape);
    }
  }
}

// Opens a bidi call as `tenant`, exchanges one message, cancels it from the
// client and returns the server's entries once its OnDone ran.
std::vector<Entry> CancelMidStream(Streamer::Stub& stub, ProbeStreamer& service,
                                   const std::string& tenant, bool bound) {
  grpc::ClientContext ctx;
  AddCallMetadata(ctx, tenant, bound);
  ctx.AddMetadata("x-mode", "wait-for-cancel");
  auto stream = stub.Bidi(&ctx);
  Probe in, out;
  in.set_text(tenant);
  EXPECT_TRUE(stream->Write(in));
  EXPECT_TRUE(stream->Read(&out));
  ctx.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  return service.log().WaitForDone(tenant);
}

// Tests that a client's cancellation mid-stream runs OnCancel (and the
// callbacks around it) with the request bound on gls's reactors.
TEST(SessionReactorTest, OnCancelSeesTheRequest) {
  ProbeStreamer service;
  TestServer server({&service}, /*backup=*/true);
  auto stub = Streamer::NewStub(server.Channel());
  const std::string tenant = "bound-cancelled";
  std::vector<Entry> entries =
      CancelMidStream(*stub, service, tenant, /*bound=*/true);
  bool cancelled = false;
  for (const Entry& e : entries) {
    cancelled |= e.callback == "OnCancel";
    EXPECT_EQ(e.view, ExpectedView(tenant, /*bound=*/true, e.callback))
        << e.callback;
  }
  EXPECT_TRUE(cancelled);
}

// Tests the fact for OnCancel: a plain reactor's OnCancel sees nothing bound.
TEST(PlainReactorTest, PlainOnCancelSeesNothing) {
  ProbeStreamer service;
  TestServer server({&service}, /*backup=*/true);
  auto stub = Streamer::NewStub(server.Channel());
  const std::string tenant = "plain-cancelled";
  std::vector<Entry> entries =
      CancelMidStream(*stub, service, tenant, /*bound=*/false);
  bool cancelled = false;
  for (const Entry& e : entries) {
    cancelled |= e.callback == "OnCancel";
    EXPECT_EQ(e.view, ExpectedView(tenant, /*bound=*/false, e.callback))
        << e.callback;
  }
  EXPECT_TRUE(cancelled);
}

// Tests that two bidi calls open at once on one server each see only their
// own session in every callback, with their messages interleaved.
TEST(SessionReactorTest, TwoConcurrentCallsSeeOnlyTheirOwn) {
  ProbeStreamer service;
  TestServer server({&service}, /*backup=*/true);
  auto stub = Streamer::NewStub(server.Channel());
  const std::string tenants[2] = {"alpha", "beta"};
  grpc::ClientContext ctx[2];
  std::unique_ptr<grpc::ClientReaderWriter<Probe, Probe>> streams[2];
  for (int c = 0; c < 2; ++c) {
    AddCallMetadata(ctx[c], tenants[c], /*bound=*/true);
    streams[c] = stub->Bidi(&ctx[c]);
  }
  for (int i = 0; i < 2; ++i) {
    for (int c = 0; c < 2; ++c) {
      Probe in;
      in.set_text(tenants[c]);
      EXPECT_TRUE(streams[c]->Write(in));
    }
    for (int c = 0; c < 2; ++c) {
      Probe out;
      EXPECT_TRUE(streams[c]->Read(&out));
      EXPECT_EQ(out.text(), tenants[c]);
    }
  }
  for (int c = 0; c < 2; ++c) streams[c]->WritesDone();
  for (int c = 0; c < 2; ++c) EXPECT_TRUE(streams[c]->Finish().ok());
  for (int c = 0; c < 2; ++c) {
    ExpectCall(service.log().WaitForDone(tenants[c]), tenants[c],
               /*bound=*/true, Shape::kBidi);
  }
}

// Tests that, with many calls of every shape at once, gls's and plain
// reactors mixed on one server, each gls reactor's callbacks see only their
// own call, and plain reactors' callbacks still see nothing: no callback
// leaves its binding on gRPC's callback threads.
TEST(SessionReactorTest, ManyConcurrentCallsMixedWithPlainReactors) {
  ProbeStreamer service;
  TestServer server({&service}, /*backup=*/true);
  auto stub = Streamer::NewStub(server.Channel());
  constexpr int kThreads = 4;
  constexpr int kRounds = 2;
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&stub, t] {
      for (int r = 0; r < kRounds; ++r) {
        for (Shape shape : kAllShapes) {
          for (bool bound : {true, false}) {
            std::string tenant = absl::StrCat(bound ? "bound-" : "plain-",
                                              ShapeName(shape), "-", t, "-", r);
            EXPECT_TRUE(Call(*stub, shape, tenant, bound).ok()) << tenant;
          }
        }
      }
    });
  }
  for (std::thread& c : clients) c.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int r = 0; r < kRounds; ++r) {
      for (Shape shape : kAllShapes) {
        for (bool bound : {true, false}) {
          std::string tenant = absl::StrCat(bound ? "bound-" : "plain-",
                                            ShapeName(shape), "-", t, "-", r);
          ExpectCall(service.log().WaitForDone(tenant), tenant, bound, shape);
        }
      }
    }
  }
}

// Calls `callback` with `outer` bound, or with nothing bound if it is null,
// and checks that the thread's binding is the same again after it.
template <typename Fn>
void ExpectRestores(const Session* outer, const char* what, Fn callback) {
  if (outer == nullptr) {
    callback();
    EXPECT_TRUE(CurSession().empty()) << what;
    return;
  }
  SessionScope scope(*outer);
  callback();
  EXPECT_TRUE(CurSession().SameAs(*outer)) << what;
}

// Constructs a `Reactor` as a handler would, with a new session of `tenant`
// bound.
template <typename Reactor, typename... Args>
Reactor* MakeInHandler(const std::string& tenant, Args... args) {
  SessionScope handler{Session(Context().WithPersistent("TENANT", tenant))};
  return new Reactor(args...);
}

// Tests, without a server, that every callback of the four gls reactors
// binds the constructor's session and restores the calling thread's binding
// (another session, or nothing) when it returns, OnDone included, whose
// reactor deletes itself. The reactors are bound to no call: what they start
// stays in gRPC's backlog, and only the callbacks called here run.
TEST(SessionReactorTest, CallbacksRestoreTheThreadsBinding) {
  const Session another(Context().WithPersistent("TENANT", "another"));
  for (const Session* outer :
       {&another, static_cast<const Session*>(nullptr)}) {
    SCOPED_TRACE(outer == nullptr ? "nothing bound" : "another bound");
    Log log;
    auto* unary = MakeInHandler<UnaryProbe<Bound>>("unary", &log);
    ExpectRestores(outer, "unary SIMD",
                   [&] { unary->OnSendInitialMetadataDone(true); });
    ExpectRestores(outer, "unary cancel", [&] { unary->OnCancel(); });
    ExpectRestores(outer, "unary done", [&] { unary->OnDone(); });

    auto* read = MakeInHandler<ReadProbe<Bound>>("read", &log);
    ExpectRestores(outer, "read SIMD",
                   [&] { read->OnSendInitialMetadataDone(true); });
    ExpectRestores(outer, "read read", [&] { read->OnReadDone(true); });
    ExpectRestores(outer, "read cancel", [&] { read->OnCancel(); });
    ExpectRestores(outer, "read done", [&] { read->OnDone(); });

    auto* write = MakeInHandler<WriteProbe<Bound>>("write", &log);
    ExpectRestores(outer, "write SIMD",
                   [&] { write->OnSendInitialMetadataDone(true); });
    ExpectRestores(outer, "write write", [&] { write->OnWriteDone(true); });
    ExpectRestores(outer, "write cancel", [&] { write->OnCancel(); });
    ExpectRestores(outer, "write done", [&] { write->OnDone(); });

    auto* bidi = MakeInHandler<BidiProbe<Bound>>("bidi", &log, false);
    ExpectRestores(outer, "bidi SIMD",
                   [&] { bidi->OnSendInitialMetadataDone(true); });
    ExpectRestores(outer, "bidi read", [&] { bidi->OnReadDone(true); });
    ExpectRestores(outer, "bidi write", [&] { bidi->OnWriteDone(true); });
    ExpectRestores(outer, "bidi cancel", [&] { bidi->OnCancel(); });
    ExpectRestores(outer, "bidi done", [&] { bidi->OnDone(); });

    const std::pair<const char*, size_t> calls[] = {
        {"unary", 4}, {"read", 5}, {"write", 5}, {"bidi", 6}};
    for (const auto& [tenant, callbacks] : calls) {
      std::vector<Entry> entries = log.WaitForDone(tenant);
      EXPECT_EQ(entries.size(), callbacks) << tenant;
      for (const Entry& e : entries) {
        EXPECT_EQ(e.view, ExpectedView(tenant, /*bound=*/true, e.callback))
            << tenant << " " << e.callback;
      }
    }
  }
}

// A unary reactor that reads the bound session after deleting itself in
// OnDoneInSession.
class ReadsAfterDelete final : public server::SessionUnaryReactor {
 public:
  explicit ReadsAfterDelete(std::string* seen) : seen_(seen) {}

 private:
  void OnDoneInSession() override {
    std::string* seen = seen_;
    delete this;
    const Session& s = CurSession();
    *seen = absl::StrCat(TenantOf(s), ",valid=", s.IsValid());
  }

  std::string* const seen_;
};

// Tests that OnDone's binding outlives a reactor that deletes itself: code
// after `delete this` still reads the ended session (AddressSanitizer checks
// that nothing of the reactor is touched).
TEST(SessionReactorTest, OnDoneBindingOutlivesTheReactor) {
  std::string seen;
  ReadsAfterDelete* reactor;
  {
    SessionScope handler{Session(Context().WithPersistent("TENANT", "t"))};
    reactor = new ReadsAfterDelete(&seen);
  }
  reactor->OnDone();
  EXPECT_EQ(seen, "t,valid=0");
  EXPECT_TRUE(CurSession().empty());
}

}  // namespace
}  // namespace gls
