// Unit tests of gls::Context (gls/session/context.h): building from headers,
// derivations, canonical keys, and RestorePersistent.
#include "gls/session/context.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs Wire(const Context& ctx) {
  Pairs out;
  ctx.ForEachWireHeader([&](std::string name, const std::string& value) {
    out.emplace_back(name, value);
  });
  return out;
}

// Tests that incoming transient values become upstream values and other
// headers stay readable but are never emitted.
TEST(ContextTest, IncomingHeadersAreClassified) {
  Context ctx = Context::Builder(Context::Direction::kIncoming)
                    .AddHeader("rpc-persist-tenant", "acme")
                    .AddHeader("rpc-persist-tenant", "second-ignored")
                    .AddHeader("rpc-transit-hop", "edge")
                    .AddHeader("rpc-persist-empty", "")
                    .AddHeader("authorization", "Bearer x")
                    .SetMethod("/svc/M")
                    .SetPeer("ipv4:127.0.0.1:1")
                    .Build();
  EXPECT_EQ(ctx.GetPersistent("TENANT"), "acme");
  EXPECT_EQ(ctx.GetUpstream("HOP"), "edge");
  EXPECT_EQ(ctx.GetValue("HOP"), "edge");
  EXPECT_FALSE(ctx.GetTransient("HOP"));
  EXPECT_FALSE(ctx.GetPersistent("EMPTY"));
  EXPECT_EQ(ctx.GetHeader("authorization"), "Bearer x");
  EXPECT_EQ(ctx.method(), "/svc/M");
  EXPECT_EQ(ctx.peer(), "ipv4:127.0.0.1:1");
  EXPECT_EQ(ctx.deadline(), absl::InfiniteFuture());
  EXPECT_EQ(Wire(ctx), (Pairs{{"rpc-persist-tenant", "acme"}}));
}

// Tests that outgoing transient values stay transient and are emitted.
TEST(ContextTest, OutgoingTransientIsEmitted) {
  Context ctx = Context::Builder(Context::Direction::kOutgoing)
                    .AddHeader("rpc-transit-f", "f")
                    .AddHeader("rpc-persist-b", "bb")
                    .Build();
  EXPECT_EQ(Wire(ctx),
            (Pairs{{"rpc-persist-b", "bb"}, {"rpc-transit-f", "f"}}));
}

// Tests that derivations return new contexts and never mutate the original.
TEST(ContextTest, DerivationsAreImmutable) {
  Context base = Context().WithPersistent("A", "1");
  Context derived = base.WithPersistent("B", "2").WithTransient("T", "t");
  EXPECT_FALSE(base.GetPersistent("B"));
  EXPECT_FALSE(base.GetTransient("T"));
  EXPECT_EQ(derived.GetPersistent("A"), "1");
  EXPECT_EQ(derived.GetPersistent("B"), "2");
  EXPECT_FALSE(derived.WithoutPersistent("A").GetPersistent("A"));
  EXPECT_EQ(derived.GetPersistent("A"), "1");
  Context copy = derived;
  EXPECT_TRUE(copy.SharesRepWith(derived));
  // Empty keys and values are ignored.
  EXPECT_TRUE(base.WithPersistent("", "x").SharesRepWith(base));
  EXPECT_TRUE(base.WithPersistent("X", "").SharesRepWith(base));
  absl::Time t = absl::FromUnixSeconds(100);
  EXPECT_EQ(base.WithDeadline(t).deadline(), t);
  EXPECT_EQ(base.deadline(), absl::InfiniteFuture());
}

// Tests that headers are set and removed by name and that metainfo names are
// refused as headers.
TEST(ContextTest, WithHeader) {
  Context ctx = Context::Builder(Context::Direction::kOutgoing)
                    .AddHeader("x-a", "1")
                    .AddHeader("x-a", "2")
                    .Build();
  EXPECT_EQ(ctx.outgoing_headers().size(), 2u);
  Context one = ctx.WithHeader("X-A", "3");
  EXPECT_EQ(one.outgoing_headers(), (Context::Headers{{"x-a", "3"}}));
  EXPECT_TRUE(one.WithoutHeader("x-a").outgoing_headers().empty());
  for (const char* name : {"rpc-persist-x", "rpc-persist-", "RPC-Transit-y",
                           "rpc-backward-z", ""}) {
    EXPECT_TRUE(ctx.WithHeader(name, "v").SharesRepWith(ctx)) << name;
  }
  EXPECT_EQ(ctx.outgoing_headers().size(), 2u);  // unchanged
}

// Tests that an incoming request's other headers (credentials, backward
// values, empty-key metainfo) are readable but are not outgoing headers of
// the context or of anything derived from it, until set deliberately.
TEST(ContextTest, IncomingHeadersNeverBecomeOutgoing) {
  Context prev = Context::Builder(Context::Direction::kIncoming)
                     .AddHeader("rpc-persist-tenant", "acme")
                     .AddHeader("authorization", "Bearer secret")
                     .AddHeader("cookie", "sid=1")
                     .AddHeader("rpc-backward-x", "b")
                     .AddHeader("rpc-persist-", "empty-key")
                     .AddHeader("X-Forwarded-For", "10.0.0.1")
                     .Build();
  EXPECT_EQ(prev.GetHeader("authorization"), "Bearer secret");
  EXPECT_EQ(prev.GetHeader("x-forwarded-for"), "10.0.0.1");
  EXPECT_EQ(prev.GetHeader("Cookie"), "sid=1");
  EXPECT_EQ(prev.incoming_headers().size(), 5u);
  for (const Context& derived : std::vector<Context>{
           prev, prev.WithPersistent("LOG_ID", "1"),
           prev.WithTransient("T", "t"), prev.WithoutPersistent("TENANT"),
           prev.WithDeadline(absl::Now()), RestorePersistent(prev, prev)}) {
    EXPECT_TRUE(derived.outgoing_headers().empty());
    for (const auto& [name, value] : Wire(derived)) {
      EXPECT_TRUE(name.rfind("rpc-persist-", 0) == 0 ||
                  name.rfind("rpc-transit-", 0) == 0)
          << name;
    }
  }
  Context chosen = prev.WithHeader("authorization", "Bearer secret");
  EXPECT_EQ(chosen.outgoing_headers(),
            (Context::Headers{{"authorization", "Bearer secret"}}));
  EXPECT_FALSE(prev.WithoutHeader("cookie").GetHeader("cookie"));
}

// Tests that every entry point maps keys to one canonical form, so one key
// never becomes two values or two headers.
TEST(ContextTest, KeysAreCanonical) {
  Context prev = Context::Builder(Context::Direction::kIncoming)
                     .AddHeader("rpc-persist-tenant", "acme")
                     .AddHeader("rpc-persist-TENANT", "second-ignored")
                     .AddHeader("rpc-persist-log_id", "7")
                     .Build();
  EXPECT_EQ(prev.persistent(),
            (Context::Values{{"LOG_ID", "7"}, {"TENANT", "acme"}}));
  for (const char* key : {"tenant", "Tenant", "TENANT"}) {
    EXPECT_EQ(prev.GetPersistent(key), "acme") << key;
  }
  EXPECT_EQ(prev.GetPersistent("log-id"), "7");

  Context ctx = prev.WithPersistent("tenant", "x");
  EXPECT_EQ(ctx.persistent(),
            (Context::Values{{"LOG_ID", "7"}, {"TENANT", "x"}}));
  EXPECT_EQ(RestorePersistent(ctx, prev).persistent(), ctx.persistent());
  EXPECT_EQ(Wire(ctx),
            (Pairs{{"rpc-persist-log-id", "7"}, {"rpc-persist-tenant", "x"}}));
  EXPECT_FALSE(ctx.WithoutPersistent("Log-Id").GetPersistent("LOG_ID"));
  Context t = Context().WithTransient("hop", "1").WithTransient("HOP", "2");
  EXPECT_EQ(t.transient(), (Context::Values{{"HOP", "2"}}));
  EXPECT_FALSE(t.WithoutTransient("hop").GetTransient("HOP"));
  Context built = Context::Builder(Context::Direction::kOutgoing)
                      .AddPersistent("a-b", "1")
                      .AddHeader("rpc-persist-a_b", "2")
                      .AddTransient("c", "3")
                      .Build();
  EXPECT_EQ(Wire(built),
            (Pairs{{"rpc-persist-a-b", "1"}, {"rpc-transit-c", "3"}}));
}

// Tests that the fallback itself meets Kitex's TestCallWithContextBackup
// vector.
TEST(RestorePersistentTest, KitexTestVector) {
  Context prev =
      Context().WithPersistent("b", "b").WithPersistent("c", "c").WithTransient(
          "e", "e");
  Context cur = Context().WithPersistent("b", "bb").WithTransient("f", "f");
  Context out = RestorePersistent(cur, prev);
  EXPECT_EQ(out.persistent(), (Context::Values{{"B", "bb"}, {"C", "c"}}));
  EXPECT_EQ(out.transient(), (Context::Values{{"F", "f"}}));
  EXPECT_FALSE(out.GetValue("e"));
}

// Tests that the merge keeps keys sorted and unique, with ctx's values.
TEST(RestorePersistentTest, MergesSortedKeys) {
  Context ctx = Context().WithPersistent("C", "ctx").WithPersistent("A", "a");
  Context prev = Context()
                     .WithPersistent("D", "d")
                     .WithPersistent("B", "b")
                     .WithPersistent("C", "prev");
  EXPECT_EQ(
      RestorePersistent(ctx, prev).persistent(),
      (Context::Values{{"A", "a"}, {"B", "b"}, {"C", "ctx"}, {"D", "d"}}));
}

// Tests that the fallback never brings back upstream values or other headers
// and returns ctx itself when nothing is missing.
TEST(RestorePersistentTest, OnlyPersistentValuesComeBack) {
  Context prev = Context::Builder(Context::Direction::kIncoming)
                     .AddHeader("rpc-persist-tenant", "acme")
                     .AddHeader("rpc-transit-hop", "edge")
                     .AddHeader("authorization", "secret")
                     .Build();
  Context out = RestorePersistent(Context(), prev);
  EXPECT_EQ(Wire(out), (Pairs{{"rpc-persist-tenant", "acme"}}));
  EXPECT_TRUE(out.outgoing_headers().empty());
  EXPECT_TRUE(out.upstream().empty());
  Context has = Context().WithPersistent("TENANT", "other");
  EXPECT_TRUE(RestorePersistent(has, prev).SharesRepWith(has));
}

}  // namespace
}  // namespace gls
