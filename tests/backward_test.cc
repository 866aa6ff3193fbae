// End-to-end tests of backward values (Session::SetBackwardValue and the
// interceptors that carry them; docs/backward-values.md) and of gls's
// counters and trace log (session/stats.h), over real gRPC servers on
// 127.0.0.1: a handler's backward values reach its caller as "rpc-backward-"
// trailing metadata, a gls client collects them into the caller's session, a
// front with forward_backward passes them on to its own caller, the trust
// rules (budget, validity) apply, and every decision is counted and traced.
//
// The counters are process-wide: each test compares snapshots taken around
// its own traffic (the tests of one binary run one at a time).
#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/interceptors/server_interceptor.h"
#include "gls/interceptors/session_reactor.h"
#include "gls/session/binding.h"
#include "gls/session/context.h"
#include "gls/session/metainfo.h"
#include "gls/session/session.h"
#include "gls/session/stats.h"
#include "gls/tests/session_test_util.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"
#include "proto/greeter.grpc.pb.h"
#include "proto/test_stream.grpc.pb.h"

namespace gls {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;
using ::gls::examples::Hop;
using ::gls::testing::LogCapture;
using ::gls::testing::Metadata;
using ::gls::testing::Probe;
using ::gls::testing::Streamer;
using ::gls::testing::TestServer;
using Values = std::map<std::string, std::string>;

constexpr absl::string_view kSayHello = "/gls.examples.Greeter/SayHello";

// ---------------------------------------------------------------------------
// Wire helpers.

Metadata ToMetadata(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  Metadata out;
  for (const auto& [name, value] : metadata) {
    out.emplace(std::string(name.data(), name.size()),
                std::string(value.data(), value.size()));
  }
  return out;
}

// The entries of `metadata` that are not the transport's own.
Metadata AppHeaders(const Metadata& metadata) {
  Metadata out;
  for (const auto& [name, value] : metadata) {
    if (!IsTransportHeader(name)) out.emplace(name, value);
  }
  return out;
}

// The "rpc-backward-" entries of `metadata`.
Metadata BackwardHeaders(const Metadata& metadata) {
  Metadata out;
  for (const auto& [name, value] : metadata) {
    if (absl::StartsWith(name, kBackwardPrefix)) out.emplace(name, value);
  }
  return out;
}

// What a client saw of one SayHello call.
struct CallResult {
  grpc::Status status;
  HelloReply reply;
  Metadata initial;   // the response's initial metadata, gRPC's own left out
  Metadata trailers;  // its trailing metadata, gRPC's own left out
  Values backward;    // client::ReceivedBackwardValues
};

// Calls `stub` with a fresh ClientContext carrying `metadata`.
CallResult Call(Greeter::Stub& stub, const std::string& name,
                const Metadata& metadata = {}) {
  grpc::ClientContext context;
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  HelloRequest request;
  request.set_name(name);
  CallResult result;
  result.status = stub.SayHello(&context, request, &result.reply);
  result.initial = AppHeaders(ToMetadata(context.GetServerInitialMetadata()));
  result.trailers = AppHeaders(ToMetadata(context.GetServerTrailingMetadata()));
  result.backward = client::ReceivedBackwardValues(context);
  return result;
}

// The metadata of the hop of `reply` named `service`, or {{"error", ...}}.
Values HopValues(const HelloReply& reply, absl::string_view service) {
  for (const Hop& hop : reply.hops()) {
    if (hop.service() == service) {
      return Values(hop.metadata().begin(), hop.metadata().end());
    }
  }
  return {{"error", absl::StrCat("no hop ", service)}};
}

// Adds to `reply` a hop named `service` holding `values`.
void AddHop(absl::string_view service, const Values& values,
            HelloReply* reply) {
  Hop* hop = reply->add_hops();
  hop->set_service(std::string(service));
  for (const auto& [key, value] : values) {
    (*hop->mutable_metadata())[key] = value;
  }
}

// ---------------------------------------------------------------------------
// Services.

// Sets the backward values `spec` lists ("key=value,key=value") on the bound
// session; true if every SetBackwardValue returned true.
bool SetBackwardValues(absl::string_view spec) {
  bool ok = true;
  for (absl::string_view entry : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(entry, absl::MaxSplits('=', 1));
    ok = CurSession().SetBackwardValue(kv.first, kv.second) && ok;
  }
  return ok;
}

// A leaf that sets the backward values its request's name lists
// ("key=value,...") and replies "set" if every SetBackwardValue succeeded,
// "not set" else, with a hop "leaf" holding the request headers it received.
class ScriptedLeaf final : public Greeter::Service {
 public:
  grpc::Status SayHello(grpc::ServerContext* context,
                        const HelloRequest* request,
                        HelloReply* reply) override {
    reply->set_message(SetBackwardValues(request->name()) ? "set" : "not set");
    AddHop("leaf", testing::ReceivedHeaders(*context), reply);
    return grpc::Status::OK;
  }
};

// A sync Greeter whose handler is a function.
class FnGreeter final : public Greeter::Service {
 public:
  using Fn = std::function<grpc::Status(grpc::ServerContext*,
                                        const HelloRequest&, HelloReply*)>;
  explicit FnGreeter(Fn fn) : fn_(std::move(fn)) {}
  grpc::Status SayHello(grpc::ServerContext* context,
                        const HelloRequest* request,
                        HelloReply* reply) override {
    return fn_(context, *request, reply);
  }

 private:
  const Fn fn_;
};

// The spellings under which FrontGreeter looks up received values.
const std::vector<std::string>& Lookups() {
  static const auto* const kLookups = new std::vector<std::string>{
      "TENANT_ID", "tenant-id", "Tenant_Id", "SHARED", "shared"};
  return *kLookups;
}

// GetBackwardValue(key) of `session` for each key of Lookups() it finds.
Values LookUp(const Session& session) {
  Values out;
  for (const std::string& key : Lookups()) {
    if (std::optional<std::string> v = session.GetBackwardValue(key)) {
      out[key] = *v;
    }
  }
  return out;
}

// A front as people write it: sets its own backward values (`own`,
// "key=value,..."), then calls the leaf once per '|'-separated part of its
// request's name, each time with a fresh ClientContext and that part as the
// name. Its reply reports what its session saw, as hops:
//   "before"  LookUp() before the calls
//   "after"   LookUp() after them
//   "all"     RecvAllBackwardValues() after them
// followed by the hops of the last leaf reply; its message is the leaf
// replies' messages joined with '|'.
class FrontGreeter final : public Greeter::Service {
 public:
  explicit FrontGreeter(std::shared_ptr<grpc::Channel> leaf,
                        std::string own = "")
      : stub_(Greeter::NewStub(std::move(leaf))), own_(std::move(own)) {}

  grpc::Status SayHello(grpc::ServerContext*, const HelloRequest* request,
                        HelloReply* reply) override {
    const Session& session = CurSession();
    if (!SetBackwardValues(own_)) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "SetBackwardValue failed");
    }
    AddHop("before", LookUp(session), reply);
    std::vector<std::string> messages;
    HelloReply last;
    for (absl::string_view part : absl::StrSplit(request->name(), '|')) {
      grpc::ClientContext context;
      HelloRequest out;
      out.set_name(std::string(part));
      last.Clear();
      grpc::Status status = stub_->SayHello(&context, out, &last);
      if (!status.ok()) return status;
      messages.push_back(last.message());
    }
    AddHop("after", LookUp(session), reply);
    AddHop("all", session.RecvAllBackwardValues(), reply);
    for (const Hop& hop : last.hops()) *reply->add_hops() = hop;
    reply->set_message(absl::StrJoin(messages, "|"));
    return grpc::Status::OK;
  }

 private:
  const std::unique_ptr<Greeter::Stub> stub_;
  const std::string own_;
};

server::BackupOptions ServerOptions(bool forward_backward) {
  server::BackupOptions options;
  options.forward_backward = forward_backward;
  return options;
}

client::BackupOptions RestoreOptions() {
  client::BackupOptions options;
  options.handler = client::RestoreMissingPersistent;
  return options;
}

// client -> front -> leaf: a ScriptedLeaf behind gls's server interceptor
// (`leaf_options`), and a FrontGreeter behind one (`front_options`) that
// calls it through a channel with gls's client interceptor
// (`channel_options`). The test is the client, through a plain channel.
class Chain {
 public:
  Chain(server::BackupOptions front_options,
        client::BackupOptions channel_options, std::string front_own = "",
        server::BackupOptions leaf_options = {})
      : leaf_({&leaf_service_}, std::move(leaf_options)),
        front_service_(leaf_.BackupChannel(std::move(channel_options)),
                       std::move(front_own)),
        front_({&front_service_}, std::move(front_options)),
        stub_(Greeter::NewStub(front_.Channel())) {}

  Greeter::Stub& stub() { return *stub_; }

 private:
  ScriptedLeaf leaf_service_;
  TestServer leaf_;
  FrontGreeter front_service_;
  TestServer front_;
  std::unique_ptr<Greeter::Stub> stub_;
};

// ---------------------------------------------------------------------------
// Counters and trace.

// after - before, field by field.
StatsSnapshot Delta(const StatsSnapshot& before, const StatsSnapshot& after) {
  StatsSnapshot d;
  d.requests_bound = after.requests_bound - before.requests_bound;
  d.backups_applied = after.backups_applied - before.backups_applied;
  d.values_restored = after.values_restored - before.values_restored;
  d.dropped_by_budget = after.dropped_by_budget - before.dropped_by_budget;
  d.dropped_by_list = after.dropped_by_list - before.dropped_by_list;
  d.dropped_invalid = after.dropped_invalid - before.dropped_invalid;
  d.handler_errors = after.handler_errors - before.handler_errors;
  d.environment_errors = after.environment_errors - before.environment_errors;
  d.inheritance_warnings =
      after.inheritance_warnings - before.inheritance_warnings;
  d.cancellations_propagated =
      after.cancellations_propagated - before.cancellations_propagated;
  d.backward_values_carried =
      after.backward_values_carried - before.backward_values_carried;
  return d;
}

// A snapshot to take before a scenario's traffic: reads GLS_TRACE first, so
// a bad value in the environment is not counted inside the scenario.
StatsSnapshot Before() {
  stats_internal::TraceEnabled();
  return GetStats();
}

// Turns the trace log on (or off) for its lifetime, then off.
class ScopedTrace {
 public:
  explicit ScopedTrace(bool on) { stats_internal::SetTraceEnabledForTest(on); }
  ScopedTrace(const ScopedTrace&) = delete;
  ScopedTrace& operator=(const ScopedTrace&) = delete;
  ~ScopedTrace() { stats_internal::SetTraceEnabledForTest(false); }
};

// ===========================================================================
// Backward values.

// Tests that the backward values a handler sets reach a client without gls
// as trailing metadata "rpc-backward-<key>" (Kitex's mapping: TENANT_ID is
// rpc-backward-tenant-id), one header per key holding the latest value, and
// through client::ReceivedBackwardValues by canonical key.
TEST(BackwardTest, LeafValuesReachAPlainClientInTrailers) {
  ScriptedLeaf leaf;
  TestServer server({&leaf}, /*backup=*/true);
  auto stub = Greeter::NewStub(server.Channel());

  CallResult r =
      Call(*stub, "TENANT_ID=t1,cost-ms=12,Region_Name=eu,tenant-id=t2");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.reply.message(), "set");
  EXPECT_EQ(BackwardHeaders(r.trailers),
            (Metadata{{"rpc-backward-cost-ms", "12"},
                      {"rpc-backward-region-name", "eu"},
                      {"rpc-backward-tenant-id", "t2"}}));
  EXPECT_EQ(
      r.backward,
      (Values{{"COST_MS", "12"}, {"REGION_NAME", "eu"}, {"TENANT_ID", "t2"}}));
  EXPECT_EQ(BackwardHeaders(r.initial), Metadata());

  // A handler that sets none sends none.
  CallResult none = Call(*stub, "");
  ASSERT_TRUE(none.status.ok()) << none.status.error_message();
  EXPECT_EQ(BackwardHeaders(none.trailers), Metadata());
  EXPECT_EQ(none.backward, Values());
}

// Tests that a value under a "-bin" key travels as raw bytes (gRPC encodes
// binary headers) and arrives unchanged.
TEST(BackwardTest, BinaryValuesTravelUnchanged) {
  const std::string bytes("\0\x01\n\xfe\xff", 5);
  FnGreeter leaf([&bytes](grpc::ServerContext*, const HelloRequest&,
                          HelloReply* reply) {
    reply->set_message(
        CurSession().SetBackwardValue("trace-bin", bytes) ? "set" : "not set");
    return grpc::Status::OK;
  });
  TestServer server({&leaf}, /*backup=*/true);
  auto stub = Greeter::NewStub(server.Channel());

  CallResult r = Call(*stub, "x");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.reply.message(), "set");
  EXPECT_EQ(BackwardHeaders(r.trailers),
            (Metadata{{"rpc-backward-trace-bin", bytes}}));
  EXPECT_EQ(r.backward, (Values{{"TRACE_BIN", bytes}}));
}

// Tests that a front (gls server; outbound call through a gls channel with a
// fresh ClientContext) reads the leaf's backward values through its session
// once the call returned, under any spelling of the key, and not before; that
// RecvAllBackwardValues lists them and not the front's own; with and without
// persistent values on the request (the client interceptor then rewrites the
// call or leaves it as made, and collects either way).
TEST(BackwardTest, FrontReadsLeafValuesThroughItsSession) {
  Chain chain(ServerOptions(/*forward_backward=*/false), RestoreOptions(),
              "front-key=front,shared=from-front");
  for (const Metadata& request :
       {Metadata{}, Metadata{{"rpc-persist-tenant", "acme"}}}) {
    SCOPED_TRACE(request.empty() ? "no persistent values" : "with tenant");
    CallResult r = Call(
        chain.stub(), "tenant-id=t-leaf,shared=from-leaf,leaf-only=x", request);
    ASSERT_TRUE(r.status.ok()) << r.status.error_message();
    EXPECT_EQ(r.reply.message(), "set");
    EXPECT_EQ(HopValues(r.reply, "before"), Values());
    EXPECT_EQ(HopValues(r.reply, "after"), (Values{{"SHARED", "from-leaf"},
                                                   {"TENANT_ID", "t-leaf"},
                                                   {"Tenant_Id", "t-leaf"},
                                                   {"shared", "from-leaf"},
                                                   {"tenant-id", "t-leaf"}}));
    EXPECT_EQ(HopValues(r.reply, "all"), (Values{{"LEAF_ONLY", "x"},
                                                 {"SHARED", "from-leaf"},
                                                 {"TENANT_ID", "t-leaf"}}));
  }
}

// Tests that with forward_backward a front sends its caller the values its
// outbound calls received after its own, and that its own value wins over a
// received one with the same key (one header per key).
TEST(BackwardTest, ForwardBackwardSendsLeafValuesToTheFirstClient) {
  Chain chain(ServerOptions(/*forward_backward=*/true), RestoreOptions(),
              "front-key=front,shared=from-front");
  CallResult r =
      Call(chain.stub(), "tenant-id=t-leaf,shared=from-leaf,leaf-only=x");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(BackwardHeaders(r.trailers),
            (Metadata{{"rpc-backward-front-key", "front"},
                      {"rpc-backward-leaf-only", "x"},
                      {"rpc-backward-shared", "from-front"},
                      {"rpc-backward-tenant-id", "t-leaf"}}));
  EXPECT_EQ(r.backward, (Values{{"FRONT_KEY", "front"},
                                {"LEAF_ONLY", "x"},
                                {"SHARED", "from-front"},
                                {"TENANT_ID", "t-leaf"}}));
}

// Tests that without forward_backward a front sends its caller only its own
// values, although it received the leaf's.
TEST(BackwardTest, WithoutForwardBackwardOnlyTheFrontsOwnGoUp) {
  Chain chain(ServerOptions(/*forward_backward=*/false), RestoreOptions(),
              "front-key=front,shared=from-front");
  CallResult r =
      Call(chain.stub(), "tenant-id=t-leaf,shared=from-leaf,leaf-only=x");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(HopValues(r.reply, "all"), (Values{{"LEAF_ONLY", "x"},
                                               {"SHARED", "from-leaf"},
                                               {"TENANT_ID", "t-leaf"}}));
  EXPECT_EQ(BackwardHeaders(r.trailers),
            (Metadata{{"rpc-backward-front-key", "front"},
                      {"rpc-backward-shared", "from-front"}}));
  EXPECT_EQ(r.backward,
            (Values{{"FRONT_KEY", "front"}, {"SHARED", "from-front"}}));
}

// Tests that a server's strip_backward list keeps those keys from its
// callers, whoever set them (its handler or a downstream hop), and counts
// them as dropped by a list.
TEST(BackwardTest, StripBackwardKeepsKeysFromCallers) {
  server::BackupOptions options = ServerOptions(/*forward_backward=*/true);
  options.strip_backward = {"internal-cost", "FRONT_SECRET"};
  Chain chain(options, RestoreOptions(), "front-secret=s,front-key=front");
  const StatsSnapshot before = Before();
  CallResult r = Call(chain.stub(), "internal_cost=42,result=ok");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  // The front itself received both leaf values...
  EXPECT_EQ(HopValues(r.reply, "all"),
            (Values{{"INTERNAL_COST", "42"}, {"RESULT", "ok"}}));
  // ...and sends on neither stripped key.
  EXPECT_EQ(BackwardHeaders(r.trailers),
            (Metadata{{"rpc-backward-front-key", "front"},
                      {"rpc-backward-result", "ok"}}));
  EXPECT_EQ(Delta(before, GetStats()).dropped_by_list, 2u);
}

// Tests that a value set at the leaf of client -> front1 -> front2 -> leaf
// reaches the client when both fronts forward, and stops at the first front
// that does not.
TEST(BackwardTest, ForwardingCrossesEveryHopThatForwards) {
  ScriptedLeaf leaf;
  TestServer leaf_server({&leaf}, ServerOptions(false));
  FrontGreeter front2(leaf_server.BackupChannel(RestoreOptions()), "f2=2");
  TestServer front2_server({&front2}, ServerOptions(true));
  FrontGreeter front1_fwd(front2_server.BackupChannel(RestoreOptions()),
                          "f1=1");
  TestServer front1_fwd_server({&front1_fwd}, ServerOptions(true));
  FrontGreeter front1_stop(front2_server.BackupChannel(RestoreOptions()),
                           "f1=1");
  TestServer front1_stop_server({&front1_stop}, ServerOptions(false));

  auto fwd = Greeter::NewStub(front1_fwd_server.Channel());
  CallResult r = Call(*fwd, "tenant-id=deep");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.backward,
            (Values{{"F1", "1"}, {"F2", "2"}, {"TENANT_ID", "deep"}}));

  auto stop = Greeter::NewStub(front1_stop_server.Channel());
  r = Call(*stop, "tenant-id=deep");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(HopValues(r.reply, "all"),
            (Values{{"F2", "2"}, {"TENANT_ID", "deep"}}));
  EXPECT_EQ(r.backward, (Values{{"F1", "1"}}));
}

// Tests that only backward values travel backward: the leaf's other trailing
// and initial metadata (a plain header, persistent and transient metainfo) is
// neither collected nor forwarded by the front, and none of the request's
// metainfo (not even a backward header the client put on its request) comes
// back, from the leaf or from the front.
TEST(BackwardTest, OnlyBackwardValuesTravelBackward) {
  FnGreeter leaf(
      [](grpc::ServerContext* context, const HelloRequest&, HelloReply* reply) {
        reply->set_message(
            CurSession().SetBackwardValue("result", "ok") ? "set" : "not set");
        context->AddInitialMetadata("x-initial", "i");
        context->AddInitialMetadata("rpc-persist-init", "pi");
        context->AddTrailingMetadata("x-secret", "s1");
        context->AddTrailingMetadata("rpc-persist-x", "p");
        context->AddTrailingMetadata("rpc-transit-y", "t");
        return grpc::Status::OK;
      });
  TestServer leaf_server({&leaf}, ServerOptions(true));
  FrontGreeter front(leaf_server.BackupChannel(RestoreOptions()));
  TestServer front_server({&front}, ServerOptions(true));
  const Metadata request = {{"rpc-persist-tenant", "acme"},
                            {"rpc-transit-hop", "edge"},
                            {"rpc-backward-forged", "client"},
                            {"x-request", "r"}};

  // The leaf sends its other headers, and only its own backward value.
  auto leaf_stub = Greeter::NewStub(leaf_server.Channel());
  CallResult direct = Call(*leaf_stub, "x", request);
  ASSERT_TRUE(direct.status.ok()) << direct.status.error_message();
  EXPECT_EQ(direct.reply.message(), "set");
  EXPECT_EQ(direct.trailers, (Metadata{{"rpc-backward-result", "ok"},
                                       {"rpc-persist-x", "p"},
                                       {"rpc-transit-y", "t"},
                                       {"x-secret", "s1"}}));
  EXPECT_EQ(direct.initial,
            (Metadata{{"rpc-persist-init", "pi"}, {"x-initial", "i"}}));
  EXPECT_EQ(direct.backward, (Values{{"RESULT", "ok"}}));

  // The front collects and forwards only that.
  auto front_stub = Greeter::NewStub(front_server.Channel());
  CallResult r = Call(*front_stub, "x", request);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(HopValues(r.reply, "all"), (Values{{"RESULT", "ok"}}));
  EXPECT_EQ(r.trailers, (Metadata{{"rpc-backward-result", "ok"}}));
  EXPECT_EQ(r.initial, Metadata());
  EXPECT_EQ(r.backward, (Values{{"RESULT", "ok"}}));
}

// Tests that backward values over max_backward_bytes (name + value + 32
// bytes each) are dropped and those gRPC would reject (a newline in a text
// value, a space in the name) too; that the response keeps the rest; that
// each drop is counted (dropped_by_budget, dropped_invalid) and all of them
// are logged in one line naming the headers and sizes, never a value.
TEST(BackwardTest, OverBudgetAndInvalidValuesAreDroppedCountedLoggedOnce) {
  const std::string big = "top-secret-" + std::string(189, 'S');  // 200 bytes
  FnGreeter leaf(
      [&big](grpc::ServerContext*, const HelloRequest&, HelloReply*) {
        const Session& s = CurSession();
        s.SetBackwardValue("a", "aaaaaaaaaa");    // 14 + 10 + 32 = 56
        s.SetBackwardValue("b", big);             // 14 + 200 + 32 = 246
        s.SetBackwardValue("c", "y");             // 14 + 1 + 32 = 47
        s.SetBackwardValue("d", "line1\nline2");  // invalid value
        s.SetBackwardValue("e f", "v");           // invalid name
        return grpc::Status::OK;
      });
  server::BackupOptions options;
  options.max_backward_bytes = 120;
  TestServer server({&leaf}, options);
  auto stub = Greeter::NewStub(server.Channel());

  LogCapture log;
  const StatsSnapshot before = Before();
  CallResult r = Call(*stub, "x");
  const StatsSnapshot delta = Delta(before, GetStats());
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.backward, (Values{{"A", "aaaaaaaaaa"}, {"C", "y"}}));
  EXPECT_EQ(
      BackwardHeaders(r.trailers),
      (Metadata{{"rpc-backward-a", "aaaaaaaaaa"}, {"rpc-backward-c", "y"}}));

  StatsSnapshot expected;
  expected.requests_bound = 1;
  expected.dropped_by_budget = 1;
  expected.dropped_invalid = 2;
  expected.backward_values_carried = 2;  // sent by the leaf
  EXPECT_EQ(FormatStats(delta), FormatStats(expected));

  const std::vector<std::string> lines = log.lines();
  ASSERT_EQ(lines.size(), 1u) << absl::StrJoin(lines, "\n");
  const std::string& line = lines[0];
  EXPECT_TRUE(absl::StrContains(line, kSayHello)) << line;
  EXPECT_TRUE(absl::StrContains(
      line, "\"rpc-backward-b\" (value 200 bytes, cost 246 bytes)"))
      << line;
  EXPECT_TRUE(absl::StrContains(line, "\"rpc-backward-d\" (value 11 bytes)"))
      << line;
  EXPECT_TRUE(absl::StrContains(line, "\"rpc-backward-e f\" (value 1 bytes)"))
      << line;
  EXPECT_TRUE(absl::StrContains(line, "budget 120 bytes")) << line;
  for (const char* value : {"top-secret", "SSSS", "line1", "line2"}) {
    EXPECT_FALSE(absl::StrContains(line, value)) << value << " in " << line;
  }
}

// Tests that a value whose cost is exactly max_backward_bytes is sent, and
// that one byte less of budget drops it.
TEST(BackwardTest, BudgetIsInclusive) {
  for (size_t budget : {size_t{56}, size_t{55}}) {  // cost: 14 + 10 + 32
    SCOPED_TRACE(absl::StrCat("budget ", budget));
    ScriptedLeaf leaf;
    server::BackupOptions options;
    options.max_backward_bytes = budget;
    TestServer server({&leaf}, options);
    auto stub = Greeter::NewStub(server.Channel());
    LogCapture log;
    const StatsSnapshot before = Before();
    CallResult r = Call(*stub, "a=aaaaaaaaaa");
    const StatsSnapshot delta = Delta(before, GetStats());
    ASSERT_TRUE(r.status.ok()) << r.status.error_message();
    if (budget == 56) {
      EXPECT_EQ(r.backward, (Values{{"A", "aaaaaaaaaa"}}));
      EXPECT_EQ(delta.dropped_by_budget, 0u);
      EXPECT_EQ(log.lines().size(), 0u);
    } else {
      EXPECT_EQ(r.backward, Values());
      EXPECT_EQ(delta.dropped_by_budget, 1u);
      EXPECT_EQ(log.lines().size(), 1u);
    }
  }
}

// Tests that a forwarding front counts the values it forwards against its
// own budget, after its own values: its own go first, then the received ones
// in key order while they fit.
TEST(BackwardTest, ForwardedValuesCountAgainstTheFrontsBudget) {
  server::BackupOptions front_options =
      ServerOptions(/*forward_backward=*/true);
  front_options.max_backward_bytes = 100;
  // Costs: rpc-backward-o 14 + 1 + 32 = 47; rpc-backward-l1 15 + 1 + 32 = 48.
  Chain chain(front_options, RestoreOptions(), "o=1");
  LogCapture log;
  const StatsSnapshot before = Before();
  CallResult r = Call(chain.stub(), "l1=x,l2=y");
  const StatsSnapshot delta = Delta(before, GetStats());
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(HopValues(r.reply, "all"), (Values{{"L1", "x"}, {"L2", "y"}}));
  EXPECT_EQ(r.backward, (Values{{"L1", "x"}, {"O", "1"}}));
  EXPECT_EQ(delta.dropped_by_budget, 1u);
  const std::vector<std::string> lines = log.lines();
  ASSERT_EQ(lines.size(), 1u) << absl::StrJoin(lines, "\n");
  EXPECT_TRUE(absl::StrContains(
      lines[0], "\"rpc-backward-l2\" (value 1 bytes, cost 48 bytes)"))
      << lines[0];
}

// A callback-API leaf: sets the backward values its request's name lists in
// the handler body (ctx->DefaultReactor()).
class CallbackLeaf final : public Greeter::CallbackService {
 public:
  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* context,
                                     const HelloRequest* request,
                                     HelloReply* reply) override {
    reply->set_message(SetBackwardValues(request->name()) ? "set" : "not set");
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// A callback-API front that calls the leaf asynchronously (stub->async()) and
// finishes from the call's completion callback, on a gRPC thread where its
// session is not bound: it reads what the call received through a copy of
// its session, and replies with the leaf's "leaf" value.
class CallbackAsyncFront final : public Greeter::CallbackService {
 public:
  explicit CallbackAsyncFront(std::shared_ptr<grpc::Channel> leaf)
      : stub_(Greeter::NewStub(std::move(leaf))) {}

  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* context,
                                     const HelloRequest* request,
                                     HelloReply* reply) override {
    Session session = CurSession();
    session.SetBackwardValue("front", "callback");
    auto out = std::make_shared<Outbound>();
    out->request.set_name(request->name());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    stub_->async()->SayHello(
        &out->context, &out->request, &out->reply,
        [out, reactor, reply, session](grpc::Status status) {
          reply->set_message(
              session.GetBackwardValue("leaf").value_or("<none>"));
          reactor->Finish(status);
        });
    return reactor;
  }

 private:
  struct Outbound {
    grpc::ClientContext context;
    HelloRequest request;
    HelloReply reply;
  };
  const std::unique_ptr<Greeter::Stub> stub_;
};

// Tests that backward values set in a callback-API handler reach the client,
// and that a callback front whose outbound call completes on another thread
// collects and forwards them.
TEST(BackwardTest, CallbackHandlersSetCollectAndForward) {
  CallbackLeaf leaf;
  TestServer leaf_server({&leaf}, ServerOptions(false));
  auto leaf_stub = Greeter::NewStub(leaf_server.Channel());
  CallResult direct = Call(*leaf_stub, "leaf=cb,Tenant_Id=t");
  ASSERT_TRUE(direct.status.ok()) << direct.status.error_message();
  EXPECT_EQ(direct.reply.message(), "set");
  EXPECT_EQ(direct.backward, (Values{{"LEAF", "cb"}, {"TENANT_ID", "t"}}));

  CallbackAsyncFront front(leaf_server.BackupChannel(RestoreOptions()));
  TestServer front_server({&front}, ServerOptions(true));
  auto front_stub = Greeter::NewStub(front_server.Channel());
  CallResult r = Call(*front_stub, "leaf=cb,Tenant_Id=t",
                      {{"rpc-persist-tenant", "acme"}});
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.reply.message(), "cb");
  EXPECT_EQ(
      r.backward,
      (Values{{"FRONT", "callback"}, {"LEAF", "cb"}, {"TENANT_ID", "t"}}));
}

// A unary gls reactor that sets its backward value in a callback gRPC runs
// after the handler returned (OnSendInitialMetadataDone), then finishes.
class LaterUnary final : public server::SessionUnaryReactor {
 public:
  explicit LaterUnary(Probe* reply) : reply_(reply) {
    StartSendInitialMetadata();
  }

 private:
  void OnSendInitialMetadataDoneInSession(bool) override {
    reply_->set_text(CurSession().SetBackwardValue("later", "from-callback")
                         ? "set"
                         : "not set");
    Finish(grpc::Status::OK);
  }
  void OnDoneInSession() override { delete this; }

  Probe* const reply_;
};

// A bidi gls reactor that echoes each message, setting backward value
// "msg-<i>" to the i-th message's text, and "count" at the end.
class CountingBidi final : public server::SessionBidiReactor<Probe, Probe> {
 public:
  CountingBidi() { StartRead(&in_); }

 private:
  void OnReadDoneInSession(bool ok) override {
    if (!ok) {
      CurSession().SetBackwardValue("count", absl::StrCat(n_));
      Finish(grpc::Status::OK);
      return;
    }
    CurSession().SetBackwardValue(absl::StrCat("msg-", n_++), in_.text());
    out_ = in_;
    StartWrite(&out_);
  }
  void OnWriteDoneInSession(bool ok) override {
    if (ok) {
      StartRead(&in_);
    } else {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
    }
  }
  void OnDoneInSession() override { delete this; }

  Probe in_;
  Probe out_;
  int n_ = 0;
};

class CallbackStreamer final : public Streamer::CallbackService {
 public:
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext*, const Probe*,
                                  Probe* reply) override {
    return new LaterUnary(reply);
  }
  grpc::ServerBidiReactor<Probe, Probe>* Bidi(
      grpc::CallbackServerContext*) override {
    return new CountingBidi();
  }
};

// A sync streamer whose streaming handlers set backward values.
class SyncStreamer final : public Streamer::Service {
 public:
  grpc::Status ServerStream(grpc::ServerContext*, const Probe* request,
                            grpc::ServerWriter<Probe>* writer) override {
    Probe p;
    p.set_text("1");
    writer->Write(p);
    p.set_text("2");
    writer->Write(p);
    CurSession().SetBackwardValue("streamed", request->text());
    return grpc::Status::OK;
  }
  grpc::Status ClientStream(grpc::ServerContext*,
                            grpc::ServerReader<Probe>* reader,
                            Probe*) override {
    Probe p;
    int n = 0;
    while (reader->Read(&p)) ++n;
    CurSession().SetBackwardValue("read", absl::StrCat(n));
    return grpc::Status::OK;
  }
};

// Tests that backward values set in later callbacks of gls's reactors (unary
// and bidi) and in sync streaming handlers (server and client streaming)
// reach the client when the call finishes.
TEST(BackwardTest, ReactorsAndStreamsSetBackwardValues) {
  CallbackStreamer callback;
  TestServer callback_server({&callback}, /*backup=*/true);
  auto callback_stub = Streamer::NewStub(callback_server.Channel());
  {
    grpc::ClientContext context;
    Probe request;
    Probe reply;
    grpc::Status status = callback_stub->Unary(&context, request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(reply.text(), "set");
    EXPECT_EQ(client::ReceivedBackwardValues(context),
              (Values{{"LATER", "from-callback"}}));
  }
  {
    grpc::ClientContext context;
    auto stream = callback_stub->Bidi(&context);
    Probe in;
    Probe out;
    for (const char* text : {"a", "b"}) {
      out.set_text(text);
      ASSERT_TRUE(stream->Write(out));
      ASSERT_TRUE(stream->Read(&in));
      EXPECT_EQ(in.text(), text);
    }
    ASSERT_TRUE(stream->WritesDone());
    grpc::Status status = stream->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(client::ReceivedBackwardValues(context),
              (Values{{"COUNT", "2"}, {"MSG_0", "a"}, {"MSG_1", "b"}}));
  }

  SyncStreamer sync;
  TestServer sync_server({&sync}, /*backup=*/true);
  auto sync_stub = Streamer::NewStub(sync_server.Channel());
  {
    grpc::ClientContext context;
    Probe request;
    request.set_text("s");
    auto reader = sync_stub->ServerStream(&context, request);
    Probe p;
    int n = 0;
    while (reader->Read(&p)) ++n;
    grpc::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(n, 2);
    EXPECT_EQ(client::ReceivedBackwardValues(context),
              (Values{{"STREAMED", "s"}}));
  }
  {
    grpc::ClientContext context;
    Probe reply;
    auto writer = sync_stub->ClientStream(&context, &reply);
    Probe p;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(writer->Write(p));
    ASSERT_TRUE(writer->WritesDone());
    grpc::Status status = writer->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(client::ReceivedBackwardValues(context), (Values{{"READ", "3"}}));
  }
}

// Tests that the values received by a front's sequential outbound calls
// accumulate in its session, the later call's value winning for a key both
// received, and are forwarded so.
TEST(BackwardTest, SequentialCallsAccumulateLaterWins) {
  Chain chain(ServerOptions(/*forward_backward=*/true), RestoreOptions());
  CallResult r = Call(chain.stub(), "a=1,shared=first|shared=second,c=2");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.reply.message(), "set|set");
  EXPECT_EQ(HopValues(r.reply, "all"),
            (Values{{"A", "1"}, {"C", "2"}, {"SHARED", "second"}}));
  EXPECT_EQ(r.backward, (Values{{"A", "1"}, {"C", "2"}, {"SHARED", "second"}}));
}

// Tests that calls made while a session is bound outside any server (a
// SessionScope on the test's thread) collect into that session, also through
// a detached handle (which shares its values), and that a call made with no
// session bound collects nowhere.
TEST(BackwardTest, CallsUnderABoundSessionCollectIntoIt) {
  ScriptedLeaf leaf;
  TestServer server({&leaf}, /*backup=*/true);
  auto stub = Greeter::NewStub(server.BackupChannel(RestoreOptions()));

  const Session session(Context().WithPersistent("TENANT", "acme"));
  {
    SessionScope scope(session);
    ASSERT_TRUE(Call(*stub, "k=1,j=1").status.ok());
    ASSERT_TRUE(Call(*stub, "k=2").status.ok());
  }
  {
    SessionScope scope(session.Detach());
    ASSERT_TRUE(Call(*stub, "d=detached").status.ok());
  }
  CallResult unbound = Call(*stub, "u=1");
  ASSERT_TRUE(unbound.status.ok());
  EXPECT_EQ(unbound.backward, (Values{{"U", "1"}}));
  EXPECT_EQ(session.RecvAllBackwardValues(),
            (Values{{"D", "detached"}, {"J", "1"}, {"K", "2"}}));
  EXPECT_EQ(session.GetBackwardValue("k"), "2");
  EXPECT_EQ(session.GetBackwardValue("u"), std::nullopt);
}

// Tests the budget on receipt: a front's session keeps at most
// client::BackupOptions::max_backward_bytes (default 4096) of the backward
// values its calls received, in total over its calls (cost: header name +
// value + 32 bytes), whatever budget the leaf sends with. In key order, the
// values of the first response that fit are kept, a later response's value
// that does not fit is dropped, and a value received again replaces its
// key's earlier one and its cost. Each drop is counted and logged with the
// value's length and its cost, never the value; the first client gets only
// what the front kept.
TEST(BackwardTest, BudgetOnReceiptBoundsWhatASessionKeeps) {
  server::BackupOptions leaf_options;
  leaf_options.max_backward_bytes = 64 * 1024;  // the leaf sends it all
  Chain chain(ServerOptions(/*forward_backward=*/true), RestoreOptions(), "",
              leaf_options);
  // Each costs 13 ("rpc-backward-") + 2 + 1000 + 32 = 1047 bytes: three fit
  // in 4096 (3141), a fourth does not (4188).
  auto big = [](char c) { return std::string(1000, c); };
  const std::string first = absl::StrCat("v1=", big('a'), ",v2=", big('b'),
                                         ",v3=", big('c'), ",v5=", big('e'));
  const std::string second = absl::StrCat("v4=", big('d'));
  LogCapture log;
  const StatsSnapshot before = Before();
  CallResult r = Call(chain.stub(), absl::StrCat(first, "|", second, "|v1=x"));
  const StatsSnapshot delta = Delta(before, GetStats());
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(HopValues(r.reply, "all"),
            (Values{{"V1", "x"}, {"V2", big('b')}, {"V3", big('c')}}));
  EXPECT_EQ(r.backward,
            (Values{{"V1", "x"}, {"V2", big('b')}, {"V3", big('c')}}));
  EXPECT_EQ(delta.dropped_by_budget, 2u);  // v5 (first response), v4
  const std::vector<std::string> lines = log.lines();
  ASSERT_EQ(lines.size(), 2u) << absl::StrJoin(lines, "\n");
  EXPECT_TRUE(absl::StrContains(lines[0], "backward values received on"))
      << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], kSayHello)) << lines[0];
  EXPECT_TRUE(absl::StrContains(
      lines[0], "\"rpc-backward-v5\" (value 1000 bytes, cost 1047 bytes)"))
      << lines[0];
  EXPECT_TRUE(absl::StrContains(
      lines[1], "\"rpc-backward-v4\" (value 1000 bytes, cost 1047 bytes)"))
      << lines[1];
  EXPECT_TRUE(absl::StrContains(lines[1], "budget 4096 bytes")) << lines[1];
  for (const std::string& line : lines) {
    EXPECT_FALSE(absl::StrContains(line, "dddd")) << line;
    EXPECT_FALSE(absl::StrContains(line, "eeee")) << line;
  }
}

// Tests that the budget on receipt is the channel's option: a budget of
// exactly one value's cost keeps that value, one byte less keeps none.
TEST(BackwardTest, BudgetOnReceiptIsTheChannelsOption) {
  for (size_t budget : {size_t{47}, size_t{46}}) {  // 13 + 1 + 1 + 32
    SCOPED_TRACE(absl::StrCat("budget ", budget));
    ScriptedLeaf leaf;
    TestServer server({&leaf}, /*backup=*/true);
    client::BackupOptions options = RestoreOptions();
    options.max_backward_bytes = budget;
    auto stub = Greeter::NewStub(server.BackupChannel(options));
    LogCapture log;
    const Session session(Context().WithPersistent("TENANT", "acme"));
    {
      SessionScope scope(session);
      ASSERT_TRUE(Call(*stub, "k=v").status.ok());
    }
    if (budget == 47) {
      EXPECT_EQ(session.RecvAllBackwardValues(), (Values{{"K", "v"}}));
      EXPECT_EQ(log.lines().size(), 0u);
    } else {
      EXPECT_EQ(session.RecvAllBackwardValues(), Values());
      EXPECT_EQ(log.lines().size(), 1u);
    }
  }
}

// Tests that a response whose status is CANCELLED is not collected, nor
// counted as received, though its trailers carry backward values; a
// response with another error (NOT_FOUND) is collected as usual.
TEST(BackwardTest, CancelledResponsesAreNotCollected) {
  for (grpc::StatusCode code :
       {grpc::StatusCode::CANCELLED, grpc::StatusCode::NOT_FOUND}) {
    SCOPED_TRACE(absl::StrCat("status ", code));
    FnGreeter leaf(
        [code](grpc::ServerContext*, const HelloRequest&, HelloReply*) {
          CurSession().SetBackwardValue("partial", "1");
          return grpc::Status(code, "leaf gave up");
        });
    TestServer server({&leaf}, /*backup=*/true);
    auto stub = Greeter::NewStub(server.BackupChannel(RestoreOptions()));
    const Session session(Context().WithPersistent("TENANT", "acme"));
    const StatsSnapshot before = Before();
    CallResult r;
    {
      SessionScope scope(session);
      r = Call(*stub, "x");
    }
    const StatsSnapshot delta = Delta(before, GetStats());
    EXPECT_EQ(r.status.error_code(), code);
    // The trailer arrived: only the collecting differs.
    EXPECT_EQ(BackwardHeaders(r.trailers),
              (Metadata{{"rpc-backward-partial", "1"}}));
    if (code == grpc::StatusCode::CANCELLED) {
      EXPECT_EQ(session.GetBackwardValue("partial"), std::nullopt);
      EXPECT_EQ(delta.backward_values_carried, 1u);  // the leaf's send only
    } else {
      EXPECT_EQ(session.GetBackwardValue("partial"), "1");
      EXPECT_EQ(delta.backward_values_carried, 2u);  // sent and received
    }
  }
}

// Tests that without gls on the leaf (a plain server), the leaf's
// SetBackwardValue fails (nothing is bound), nothing comes back, the front
// collects nothing, and nothing crashes.
TEST(BackwardTest, PlainLeafSendsAndCollectsNothing) {
  ScriptedLeaf leaf;
  TestServer leaf_server({&leaf}, /*backup=*/false);
  auto leaf_stub = Greeter::NewStub(leaf_server.Channel());
  CallResult direct = Call(*leaf_stub, "k=v");
  ASSERT_TRUE(direct.status.ok()) << direct.status.error_message();
  EXPECT_EQ(direct.reply.message(), "not set");
  EXPECT_EQ(BackwardHeaders(direct.trailers), Metadata());
  EXPECT_EQ(direct.backward, Values());

  FrontGreeter front(leaf_server.BackupChannel(RestoreOptions()));
  TestServer front_server({&front}, ServerOptions(true));
  auto front_stub = Greeter::NewStub(front_server.Channel());
  CallResult r = Call(*front_stub, "k=v", {{"rpc-persist-tenant", "acme"}});
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.reply.message(), "not set");
  EXPECT_EQ(HopValues(r.reply, "all"), Values());
  EXPECT_EQ(BackwardHeaders(r.trailers), Metadata());
  EXPECT_EQ(r.backward, Values());
}

// Tests that a server without gls that follows the wire convention (trailing
// metadata "rpc-backward-<key>", as other stacks of the convention send
// them) is understood: the front collects its values by canonical key.
TEST(BackwardTest, ConventionalTrailersFromANonGlsServerAreCollected) {
  FnGreeter leaf([](grpc::ServerContext* context, const HelloRequest&,
                    HelloReply*) {
    context->AddTrailingMetadata("rpc-backward-tenant-id", "from-other-stack");
    return grpc::Status::OK;
  });
  TestServer leaf_server({&leaf}, /*backup=*/false);
  FrontGreeter front(leaf_server.BackupChannel(RestoreOptions()));
  TestServer front_server({&front}, ServerOptions(true));
  auto stub = Greeter::NewStub(front_server.Channel());
  CallResult r = Call(*stub, "x");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(HopValues(r.reply, "after"),
            (Values{{"TENANT_ID", "from-other-stack"},
                    {"Tenant_Id", "from-other-stack"},
                    {"tenant-id", "from-other-stack"}}));
  EXPECT_EQ(r.backward, (Values{{"TENANT_ID", "from-other-stack"}}));
}

// ===========================================================================
// Observability.

// The chain of the observability tests: the front strips persistent SECRET
// on receipt (server list) and INTERNAL from its outbound calls (channel
// list), restores the rest, sets "front-key" and forwards backward values.
struct ObservedChain {
  static server::BackupOptions FrontOptions() {
    server::BackupOptions options = ServerOptions(/*forward_backward=*/true);
    options.strip_persistent = {"secret"};
    return options;
  }
  static client::BackupOptions ChannelOptions(client::BackupHandler handler) {
    client::BackupOptions options;
    options.handler = std::move(handler);
    options.strip_persistent = {"internal"};
    return options;
  }

  explicit ObservedChain(
      client::BackupHandler handler = client::RestoreMissingPersistent)
      : chain(FrontOptions(), ChannelOptions(std::move(handler)),
              "front-key=front-value-7") {}

  CallResult Call() {
    return gls::Call(chain.stub(), "leaf-key=leaf-value-42",
                     {{"rpc-persist-tenant", "acme"},
                      {"rpc-persist-secret", "s3cr3t"},
                      {"rpc-persist-internal", "inside"}});
  }

  Chain chain;
};

// Tests that each request through client -> front -> leaf moves every
// counter by exactly what happened: two requests bound, one backup applied,
// one value restored (TENANT), two dropped by lists (SECRET by the front's
// server list, INTERNAL by its channel's), and four backward values carried
// (the leaf's sent, received by the front and forwarded; the front's own
// sent); nothing else.
TEST(ObservabilityTest, CountersMatchTheTrafficOfAChain) {
  ObservedChain chain;
  constexpr int kRequests = 3;
  const StatsSnapshot before = Before();
  for (int i = 0; i < kRequests; ++i) {
    CallResult r = chain.Call();
    ASSERT_TRUE(r.status.ok()) << r.status.error_message();
    EXPECT_EQ(HopValues(r.reply, "leaf"),
              (Values{{"rpc-persist-tenant", "acme"}}));
    EXPECT_EQ(r.backward, (Values{{"FRONT_KEY", "front-value-7"},
                                  {"LEAF_KEY", "leaf-value-42"}}));
  }
  StatsSnapshot expected;
  expected.requests_bound = 2 * kRequests;
  expected.backups_applied = kRequests;
  expected.values_restored = kRequests;
  expected.dropped_by_list = 2 * kRequests;
  expected.backward_values_carried = 4 * kRequests;
  EXPECT_EQ(FormatStats(Delta(before, GetStats())), FormatStats(expected));
}

// Tests that the built-in fallback counts a backup only for a call it had
// something to do for: a request without persistent values (and no lists)
// moves requests_bound alone, one with a value moves backups_applied and
// values_restored once each.
TEST(ObservabilityTest, FallbackCountsOnlyCallsWithSomethingToRestore) {
  Chain chain(ServerOptions(/*forward_backward=*/false), RestoreOptions());
  StatsSnapshot before = Before();
  CallResult r = Call(chain.stub(), "", {{"x-other", "1"}});
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(HopValues(r.reply, "leaf"), Values());
  StatsSnapshot expected;
  expected.requests_bound = 2;
  EXPECT_EQ(FormatStats(Delta(before, GetStats())), FormatStats(expected));

  before = Before();
  r = Call(chain.stub(), "", {{"rpc-persist-tenant", "acme"}});
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(HopValues(r.reply, "leaf"),
            (Values{{"rpc-persist-tenant", "acme"}}));
  expected.backups_applied = 1;
  expected.values_restored = 1;
  EXPECT_EQ(FormatStats(Delta(before, GetStats())), FormatStats(expected));
}

// Tests that a BackupHandler that throws is counted in handler_errors (and
// its call in backups_applied), logged, and its call goes out as the front
// made it (nothing restored), while backward values still travel.
TEST(ObservabilityTest, ThrowingHandlerIsCounted) {
  ObservedChain chain(
      [](const Context&, const Context&) -> client::BackupResult {
        throw std::runtime_error("handler failed");
      });
  LogCapture log;
  const StatsSnapshot before = Before();
  CallResult r = chain.Call();
  const StatsSnapshot delta = Delta(before, GetStats());
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(HopValues(r.reply, "leaf"), Values());
  EXPECT_EQ(r.backward, (Values{{"FRONT_KEY", "front-value-7"},
                                {"LEAF_KEY", "leaf-value-42"}}));
  StatsSnapshot expected;
  expected.requests_bound = 2;
  expected.backups_applied = 1;
  expected.handler_errors = 1;
  expected.dropped_by_list = 1;  // SECRET, by the front's server list
  expected.backward_values_carried = 4;
  EXPECT_EQ(FormatStats(delta), FormatStats(expected));
  const std::vector<std::string> lines = log.lines();
  ASSERT_EQ(lines.size(), 1u) << absl::StrJoin(lines, "\n");
  EXPECT_TRUE(absl::StrContains(lines[0], "BackupHandler threw")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "handler failed")) << lines[0];
}

// Tests that with the trace log on, a request through the chain writes one
// "trace: " line per decision through the log sink: a bind per server (the
// front's with what its strip list dropped), the front's backup with its
// counts, each backward value sent (by the leaf, and by the front: its own,
// then the forwarded one) and the values the front received; and that no
// line holds a value.
TEST(ObservabilityTest, TraceLogsEachDecisionWhenOn) {
  ObservedChain chain;
  LogCapture log;
  {
    ScopedTrace trace(/*on=*/true);
    CallResult r = chain.Call();
    ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  }
  // Each decision causes the next, so the lines come in this order.
  const std::string m = absl::StrCat("\"", kSayHello, "\": ");
  const std::vector<std::string> lines = log.lines();
  EXPECT_EQ(lines,
            (std::vector<std::string>{
                absl::StrCat("trace: bind ", m,
                             "request bound to its session; stripped 1 "
                             "persistent value(s)"),  // the front
                absl::StrCat("trace: backup ", m,
                             "added 1, dropped 0 over budget and 0 invalid, "
                             "stripped 1"),  // its outbound call
                absl::StrCat("trace: bind ", m,
                             "request bound to its session"),  // the leaf
                absl::StrCat("trace: backward ", m,
                             "sends \"rpc-backward-leaf-key\""),
                absl::StrCat("trace: backward ", m, "received 1 value(s)"),
                absl::StrCat("trace: backward ", m,
                             "sends \"rpc-backward-front-key\""),
                absl::StrCat("trace: backward ", m,
                             "sends \"rpc-backward-leaf-key\""),
            }));
  const std::string all = absl::StrJoin(lines, "\n");
  for (const char* value :
       {"acme", "s3cr3t", "inside", "leaf-value-42", "front-value-7"}) {
    EXPECT_FALSE(absl::StrContains(all, value)) << value << " in:\n" << all;
  }
}

// Tests that with the trace log off, the same traffic writes nothing.
TEST(ObservabilityTest, TraceWritesNothingWhenOff) {
  ObservedChain chain;
  LogCapture log;
  {
    ScopedTrace trace(/*on=*/false);
    CallResult r = chain.Call();
    ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  }
  EXPECT_EQ(log.lines(), std::vector<std::string>());
}

}  // namespace
}  // namespace gls
