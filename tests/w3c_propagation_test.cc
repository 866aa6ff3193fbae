// End-to-end tests of W3C Trace Context and Baggage propagation over real
// loopback servers: a front with gls on both sides, whose handler calls a
// leaf with a fresh ClientContext, and calls made directly under a session.
// What the leaf receives is parsed back with gls's own parsers; the
// OpenTelemetry JS interop test (tests/otel_interop) checks it with an
// independent implementation.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/interceptors/server_interceptor.h"
#include "gls/session/baggage.h"
#include "gls/session/binding.h"
#include "gls/session/propagators.h"
#include "gls/session/trace_context.h"
#include "gls/tests/session_test_util.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::examples::Greeter;
using Metadata = ::gls::testing::Metadata;

constexpr char kTraceParent[] =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr char kTraceState[] = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";

// The one value of `name` in `m` ("" if absent); fails if repeated.
std::string One(const Metadata& m, const std::string& name) {
  EXPECT_LE(m.count(name), 1u) << name << " repeated";
  auto it = m.find(name);
  return it == m.end() ? "" : it->second;
}

// The baggage the leaf received, parsed.
Baggage ReceivedBaggage(const Metadata& m) {
  Baggage b;
  auto range = m.equal_range("baggage");
  for (auto it = range.first; it != range.second; ++it) {
    EXPECT_EQ(ParseBaggage(it->second, &b), 0u) << it->second;
  }
  return b;
}

client::BackupOptions Options(client::BackupHandler handler,
                              Propagators propagators = {}) {
  client::BackupOptions options;
  options.handler = std::move(handler);
  options.propagators = propagators;
  return options;
}

// The seed's handler: the call's own tenant wins and nothing is restored,
// else the request's tenant and the fallback.
client::BackupResult RestoreTenant(const Context& prev, const Context& cur) {
  if (cur.GetPersistent("TENANT")) return {cur, false};
  return {
      cur.WithPersistent("TENANT", prev.GetPersistent("TENANT").value_or("")),
      true};
}

// client -> front (gls server + client factory) -> leaf (records).
class Chain {
 public:
  explicit Chain(client::BackupOptions client_options,
                 server::BackupOptions server_options = {},
                 Metadata front_own = {})
      : leaf_server_({&leaf_}, /*backup=*/false),
        front_(leaf_server_.BackupChannel(std::move(client_options)),
               std::move(front_own)),
        front_server_({&front_}, std::move(server_options)),
        stub_(Greeter::NewStub(front_server_.Channel())) {}

  // Sends `metadata` to the front; returns what the leaf received.
  Metadata Send(const Metadata& metadata) {
    grpc::Status status;
    testing::CallGreeter(*stub_, "w3c", metadata, &status);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return leaf_.last();
  }

 private:
  testing::RecordingGreeter leaf_;
  testing::TestServer leaf_server_;
  testing::ForwardingGreeter front_;
  testing::TestServer front_server_;
  std::unique_ptr<Greeter::Stub> stub_;
};

Metadata W3cRequest() {
  return {{"traceparent", kTraceParent},
          {"tracestate", kTraceState},
          {"baggage", "user=al%20ice;pii,tier=gold;ttl=60;x"},
          {"baggage", "note=%C3%BCn%C3%AF%2C%3B%25"}};
}

// Tests that a front forwards the request's trace context unchanged and its
// baggage (properties and encoded values intact) on a fresh ClientContext,
// with the built-in fallback and with the seed's handler; also with no
// persistent value at all (the fallback's shortcut must not skip W3C).
TEST(W3cPropagationTest, FrontForwardsTraceAndBaggage) {
  for (auto handler : std::vector<client::BackupHandler>{
           client::RestoreMissingPersistent, RestoreTenant}) {
    Chain chain(Options(handler));
    Metadata got = chain.Send(W3cRequest());
    EXPECT_EQ(One(got, "traceparent"), kTraceParent);
    EXPECT_EQ(One(got, "tracestate"), kTraceState);
    EXPECT_EQ(ReceivedBaggage(got),
              (Baggage{{"user", "al ice", "pii"},
                       {"tier", "gold", "ttl=60;x"},
                       {"note", "\xC3\xBCn\xC3\xAF,;%", ""}}));
    Metadata with_tenant = W3cRequest();
    with_tenant.emplace("rpc-persist-tenant", "acme");
    got = chain.Send(with_tenant);
    EXPECT_EQ(One(got, "rpc-persist-tenant"), "acme");
    EXPECT_EQ(One(got, "traceparent"), kTraceParent);
    EXPECT_EQ(ReceivedBaggage(got).size(), 3u);
  }
}

// Tests that a call's own traceparent wins and keeps its own tracestate,
// and that the call's own baggage members win per key, kept as written.
TEST(W3cPropagationTest, CallsOwnContextWins) {
  const std::string own_tp =
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
  Chain chain(Options(client::RestoreMissingPersistent), {},
              {{"traceparent", own_tp},
               {"tracestate", "own=1"},
               {"baggage", "tier=silver ; p"}});
  Metadata got = chain.Send(W3cRequest());
  EXPECT_EQ(One(got, "traceparent"), own_tp);
  EXPECT_EQ(One(got, "tracestate"), "own=1");
  const std::string baggage = One(got, "baggage");
  EXPECT_TRUE(absl::StartsWith(baggage, "tier=silver ; p,")) << baggage;
  Baggage b = ReceivedBaggage(got);
  ASSERT_NE(FindBaggage(b, "tier"), nullptr);
  EXPECT_EQ(FindBaggage(b, "tier")->value, "silver");
  EXPECT_NE(FindBaggage(b, "user"), nullptr);
  EXPECT_NE(FindBaggage(b, "note"), nullptr);
}

// Tests that an invalid traceparent (all-zero ids, uppercase, several) is
// never forwarded and neither is its tracestate, while baggage still is.
TEST(W3cPropagationTest, InvalidTraceParentIsNotForwarded) {
  Chain chain(Options(client::RestoreMissingPersistent));
  for (const Metadata& bad : std::vector<Metadata>{
           {{"traceparent",
             "00-00000000000000000000000000000000-0000000000000000-01"},
            {"tracestate", "a=b"},
            {"baggage", "k=v"}},
           {{"traceparent",
             "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"},
            {"tracestate", "a=b"},
            {"baggage", "k=v"}},
           {{"traceparent", kTraceParent},
            {"traceparent", kTraceParent},
            {"tracestate", "a=b"},
            {"baggage", "k=v"}},
       }) {
    Metadata got = chain.Send(bad);
    EXPECT_EQ(got.count("traceparent"), 0u);
    EXPECT_EQ(got.count("tracestate"), 0u);
    EXPECT_EQ(One(got, "baggage"), "k=v");
  }
}

// Tests the limits: invalid members dropped and valid ones kept, at least 64
// small members forwarded, and members over the budget dropped whole (never
// cut), logged by key and size.
TEST(W3cPropagationTest, BaggageLimits) {
  Chain chain(Options(client::RestoreMissingPersistent));
  Metadata got = chain.Send(
      {{"baggage", "good=1,bad key=2,=x,novalue,a@b=3,ok=%41,k=v;p,u=%FF"}});
  EXPECT_EQ(ReceivedBaggage(got),
            (Baggage{{"good", "1", ""}, {"ok", "A", ""}, {"k", "v", "p"}}));

  std::string many;
  for (int i = 0; i < 70; ++i) {
    absl::StrAppend(&many, i ? "," : "", absl::StrFormat("k%02d=v%02d", i, i));
  }
  got = chain.Send({{"baggage", many}});
  Baggage b = ReceivedBaggage(got);
  EXPECT_GE(b.size(), 64u);
  for (const BaggageEntry& e : b) {
    EXPECT_EQ(e.value, "v" + e.key.substr(1)) << e.key;
  }

  testing::LogCapture log;
  std::string large;
  for (int i = 0; i < 6; ++i) {
    absl::StrAppend(&large, i ? "," : "", "big", i, "=",
                    std::string(900, static_cast<char>('a' + i)));
  }
  got = chain.Send({{"baggage", large}});
  b = ReceivedBaggage(got);
  EXPECT_GE(b.size(), 3u);
  EXPECT_LT(b.size(), 6u);
  for (const BaggageEntry& e : b) {
    EXPECT_EQ(e.value, std::string(900, e.key[3] - '0' + 'a')) << e.key;
  }
  const std::vector<std::string> lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "baggage member(s) whole"))
      << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "\"big5\" (905 bytes)")) << lines[0];
}

// Tests that a hostile caller's 8 KB of baggage cannot push the request's
// own metainfo off the call: metainfo is spent from the budget first.
TEST(W3cPropagationTest, HostileBaggageCannotPushMetainfoOff) {
  testing::RecordingGreeter leaf;
  testing::TestServer server({&leaf}, /*backup=*/false);
  auto stub = Greeter::NewStub(
      server.BackupChannel(Options(client::RestoreMissingPersistent)));
  std::string hostile;
  for (int i = 0; i < 8; ++i) {
    absl::StrAppend(&hostile, i ? "," : "", "h", i, "=",
                    std::string(1000, 'x'));
  }
  Context request = Context::Builder(Context::Direction::kIncoming)
                        .AddHeader("baggage", hostile)
                        .AddHeader("rpc-persist-tenant", "acme")
                        .AddHeader("rpc-persist-log-id", "42")
                        .AddHeader("traceparent", kTraceParent)
                        .Build();
  ASSERT_EQ(request.baggage().size(), 8u);
  testing::LogCapture log;
  SessionScope scope{Session(request)};
  grpc::Status status;
  testing::CallGreeter(*stub, "x", {}, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  Metadata got = leaf.last();
  EXPECT_EQ(One(got, "rpc-persist-tenant"), "acme");
  EXPECT_EQ(One(got, "rpc-persist-log-id"), "42");
  EXPECT_EQ(One(got, "traceparent"), kTraceParent);
  const size_t arrived = ReceivedBaggage(got).size();
  EXPECT_GE(arrived, 1u);
  EXPECT_LT(arrived, 8u);
}

// Tests the switch in the options: none sends neither (metainfo still
// goes), tracecontext the trace only, baggage the baggage only.
TEST(W3cPropagationTest, PropagatorsOption) {
  Metadata request = W3cRequest();
  request.emplace("rpc-persist-tenant", "acme");
  struct Case {
    Propagators propagators;
    bool trace, baggage;
  };
  for (const Case& c :
       {Case{{false, false}, false, false}, Case{{true, false}, true, false},
        Case{{false, true}, false, true}}) {
    Chain chain(Options(client::RestoreMissingPersistent, c.propagators));
    Metadata got = chain.Send(request);
    EXPECT_EQ(One(got, "rpc-persist-tenant"), "acme");
    EXPECT_EQ(got.count("traceparent"), c.trace ? 1u : 0u);
    EXPECT_EQ(got.count("tracestate"), c.trace ? 1u : 0u);
    EXPECT_EQ(got.count("baggage"), c.baggage ? 1u : 0u);
  }
}

// Tests that OTEL_PROPAGATORS is read once, its unknown names logged once,
// and that a client factory without the option follows it. In a child
// process: the variable is read once per process.
// The child process of EnvironmentSwitch: true if all went as documented.
bool EnvironmentSwitchChild() {
  testing::LogCapture log;
  const Propagators trace_only{true, false};
  setenv(kPropagatorsEnv, "tracecontext, b3", 1);
  bool ok = PropagatorsFromEnvironment() == trace_only;
  setenv(kPropagatorsEnv, "none", 1);
  ok = ok && PropagatorsFromEnvironment() == trace_only;  // read once
  ok = ok && log.lines().size() == 1 &&
       absl::StrContains(log.lines()[0], "\"b3\"");
  client::BackupOptions options;
  options.handler = client::RestoreMissingPersistent;
  Chain chain(options);
  Metadata got = chain.Send(W3cRequest());
  return ok && got.count("traceparent") == 1 && got.count("baggage") == 0;
}

// The child re-runs this binary for this test alone ("threadsafe"): a fork()
// of this process, which earlier tests left with gRPC's threads running, can
// deadlock in gRPC.
TEST(W3cPropagationTest, EnvironmentSwitch) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::_Exit(EnvironmentSwitchChild() ? 0 : 1),
              ::testing::ExitedWithCode(0), "");
}

// Tests the baggage strip lists: the client's removes a key whoever set it
// (also the caller's own member, and on calls without a session); the
// server's drops it on receipt, so the handler never sees it.
TEST(W3cPropagationTest, StripLists) {
  client::BackupOptions options = Options(client::RestoreMissingPersistent);
  options.strip_baggage = {"secret", "bad key"};
  Chain chain(options, {}, {{"baggage", "secret=own,mine=1"}});
  Metadata got = chain.Send({{"baggage", "secret=req,user=u"}});
  EXPECT_EQ(ReceivedBaggage(got),
            (Baggage{{"mine", "1", ""}, {"user", "u", ""}}));

  testing::RecordingGreeter leaf;
  testing::TestServer leaf_server({&leaf}, /*backup=*/false);
  auto stub = Greeter::NewStub(leaf_server.BackupChannel(options));
  grpc::Status status;
  testing::CallGreeter(*stub, "x", {{"baggage", "secret=1,ok=2"}}, &status);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(One(leaf.last(), "baggage"), "ok=2");

  server::BackupOptions server_options;
  server_options.strip_baggage = {"user"};
  Chain edge(Options(client::RestoreMissingPersistent), server_options);
  got = edge.Send({{"baggage", "user=evil,tier=gold"}});
  EXPECT_EQ(ReceivedBaggage(got), (Baggage{{"tier", "gold", ""}}));
}

// Tests the opt-in bridge: baggage "tenant" reaches the leaf also as
// rpc-persist-tenant and the other way round; with both, each keeps its
// own; a key the server strips is never bridged into.
TEST(W3cPropagationTest, BaggageBridge) {
  server::BackupOptions bridged;
  bridged.bridge_baggage = {"tenant"};
  Chain chain(Options(client::RestoreMissingPersistent), bridged);
  Metadata got = chain.Send({{"baggage", "tenant=acme"}});
  EXPECT_EQ(One(got, "rpc-persist-tenant"), "acme");
  EXPECT_EQ(ReceivedBaggage(got), (Baggage{{"tenant", "acme", ""}}));
  got = chain.Send({{"rpc-persist-tenant", "kitex"}});
  EXPECT_EQ(One(got, "rpc-persist-tenant"), "kitex");
  EXPECT_EQ(ReceivedBaggage(got), (Baggage{{"tenant", "kitex", ""}}));
  got = chain.Send({{"rpc-persist-tenant", "p"}, {"baggage", "tenant=b"}});
  EXPECT_EQ(One(got, "rpc-persist-tenant"), "p");
  EXPECT_EQ(ReceivedBaggage(got), (Baggage{{"tenant", "b", ""}}));

  server::BackupOptions edge = bridged;
  edge.strip_persistent = {"tenant"};
  Chain guarded(Options(client::RestoreMissingPersistent), edge);
  got = guarded.Send({{"baggage", "tenant=evil"}});
  EXPECT_EQ(got.count("rpc-persist-tenant"), 0u);
}

// Tests that 1,000 requests, 32 at a time, each with its own trace id and
// baggage, each reach the leaf with their own: 0 wrong.
TEST(W3cPropagationTest, NoCrossTalk) {
  testing::LeafGreeter leaf("leaf");
  testing::TestServer leaf_server({&leaf}, /*backup=*/false);
  testing::ForwardingGreeter front(
      leaf_server.BackupChannel(client::RestoreMissingPersistent));
  testing::TestServer front_server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());
  constexpr int kThreads = 32;
  constexpr int kPerThread = 1000 / kThreads + 1;
  std::atomic<int> wrong{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        const std::string trace_id = absl::StrFormat("%032x", n + 1);
        const std::string tp =
            absl::StrCat("00-", trace_id, "-00f067aa0ba902b7-01");
        const std::string baggage = absl::StrCat("req=", n, ";n=", n);
        grpc::Status status;
        examples::HelloReply reply = testing::CallGreeter(
            *stub, "x", {{"traceparent", tp}, {"baggage", baggage}}, &status);
        std::map<std::string, std::string> got = testing::HopHeaders(reply);
        if (!status.ok() || got["traceparent"] != tp ||
            got["baggage"] != baggage) {
          ++wrong;
        }
        ++done;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_GE(done.load(), 1000);
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace gls
