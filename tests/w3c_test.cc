// Unit tests of the W3C parsers (trace_context.h, baggage.h), the
// OTEL_PROPAGATORS switch (propagators.h) and the W3C parts of gls::Context,
// with the W3C specifications' own examples, valid and invalid.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gls/session/baggage.h"
#include "gls/session/context.h"
#include "gls/session/propagators.h"
#include "gls/session/trace_context.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

constexpr char kTraceParent[] =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// Tests the spec's example traceparent and its fields.
TEST(TraceContextTest, ParsesTheSpecExample) {
  TraceContext t = ParseTraceContext(kTraceParent, "");
  ASSERT_TRUE(t.valid());
  EXPECT_EQ(t.traceparent, kTraceParent);
  EXPECT_EQ(t.version, 0);
  EXPECT_EQ(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t.parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(t.flags, 1);
  EXPECT_TRUE(t.sampled());
  TraceContext unsampled = ParseTraceContext(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "");
  ASSERT_TRUE(unsampled.valid());
  EXPECT_FALSE(unsampled.sampled());
  // Level 2's random flag (0x02) and surrounding spaces.
  TraceContext random = ParseTraceContext(
      " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03 ", "");
  ASSERT_TRUE(random.valid());
  EXPECT_EQ(random.flags, 3);
  EXPECT_EQ(random.traceparent, absl::StrCat(kTraceParent).replace(54, 1, "3"));
}

// Tests that every malformed traceparent is refused, and its tracestate
// with it.
TEST(TraceContextTest, RefusesInvalidTraceParents) {
  for (const char* bad : {
           "",
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
           "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01extra",
           "00-abc-def-01",
       }) {
    EXPECT_FALSE(IsValidTraceParent(bad)) << bad;
    EXPECT_EQ(ValidTraceParent(bad), "") << bad;
    TraceContext t = ParseTraceContext(bad, "rojo=00f067aa0ba902b7");
    EXPECT_FALSE(t.valid()) << bad;
    EXPECT_EQ(t.tracestate, "") << bad;
  }
}

// Tests that a later version is parsed by its first four fields and kept
// whole, as the spec asks of a receiver.
TEST(TraceContextTest, AcceptsFutureVersions) {
  const std::string future =
      "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future";
  TraceContext t = ParseTraceContext(future, "");
  ASSERT_TRUE(t.valid());
  EXPECT_EQ(t.version, 0xcc);
  EXPECT_EQ(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t.traceparent, future);
  EXPECT_TRUE(IsValidTraceParent(
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
}

// Tests that ValidTraceParent gives the traceparent as TraceContext holds
// it, trimmed of spaces and tabs, as a view into its input.
TEST(TraceContextTest, ValidTraceParentIsTheTrimmedInput) {
  const std::string padded =
      " \t00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\t ";
  const absl::string_view valid = ValidTraceParent(padded);
  EXPECT_EQ(valid, ParseTraceContext(padded, "").traceparent);
  EXPECT_EQ(valid.data(), padded.data() + 2);
  EXPECT_EQ(valid.size(), 55u);
  EXPECT_EQ(ValidTraceParent(""), "");
}

// Tests the spec's tracestate examples and its limits: invalid and
// duplicate members dropped, at most 32 kept, spaces around members gone.
TEST(TraceContextTest, SanitizesTraceState) {
  EXPECT_EQ(SanitizeTraceState("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
            "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  EXPECT_EQ(SanitizeTraceState(" rojo=00f067aa0ba902b7 ,\t congo=ucfJifl5GOE"),
            "rojo=00f067aa0ba902b7,congo=ucfJifl5GOE");
  // Multi-tenant keys, empty members.
  EXPECT_EQ(SanitizeTraceState("fw529a3039@dt=1,,t61rcwkgmze@vendor=x"),
            "fw529a3039@dt=1,t61rcwkgmze@vendor=x");
  size_t dropped = 0;
  EXPECT_EQ(SanitizeTraceState("Upper=1,ok=2,no-equals,=x,k=a=b,k2=,"
                               "ok=dup,1digit=x,a@B=c,s=del\x7f",
                               &dropped),
            "ok=2");
  EXPECT_EQ(dropped, 9u);
  std::string many;
  for (int i = 0; i < 40; ++i)
    absl::StrAppend(&many, i ? "," : "", "k", i, "=v");
  dropped = 0;
  std::string kept = SanitizeTraceState(many, &dropped);
  EXPECT_EQ(dropped, 8u);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), ',') + 1, 32);
  EXPECT_EQ(kept.substr(0, 9), "k0=v,k1=v");
}

// Tests that a tracestate counts as clean exactly when sanitizing would
// leave it as it is.
TEST(TraceContextTest, KnowsASanitizedTraceState) {
  EXPECT_TRUE(IsSanitizedTraceState(""));
  EXPECT_TRUE(IsSanitizedTraceState("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"));
  EXPECT_TRUE(IsSanitizedTraceState("fw529a3039@dt=1,t61rcwkgmze@vendor=x"));
  EXPECT_FALSE(IsSanitizedTraceState(" rojo=1"));       // trimmed
  EXPECT_FALSE(IsSanitizedTraceState("rojo=1,\tk=v"));  // trimmed
  EXPECT_FALSE(IsSanitizedTraceState("rojo=1,,k=v"));   // empty member
  EXPECT_FALSE(IsSanitizedTraceState("rojo=1,"));       // empty member
  EXPECT_FALSE(IsSanitizedTraceState(","));
  EXPECT_FALSE(IsSanitizedTraceState("k=1,k=2"));  // duplicate
  EXPECT_FALSE(IsSanitizedTraceState("Upper=1"));  // invalid key
  EXPECT_FALSE(IsSanitizedTraceState("k=a=b"));    // invalid value
  EXPECT_FALSE(IsSanitizedTraceState("no-equals"));
  std::string members;
  for (int i = 0; i < 33; ++i) {
    absl::StrAppend(&members, i ? "," : "", "k", i, "=v");
    EXPECT_EQ(IsSanitizedTraceState(members), i < 32) << i;
  }
}

// Tests the spec's baggage example: properties, spaces, several members.
TEST(BaggageTest, ParsesTheSpecExample) {
  Baggage b;
  EXPECT_EQ(ParseBaggage("key1=value1;property1;property2, key2 = value2, "
                         "key3=value3; propertyKey=propertyValue",
                         &b),
            0u);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], (BaggageEntry{"key1", "value1", "property1;property2"}));
  EXPECT_EQ(b[1], (BaggageEntry{"key2", "value2", ""}));
  EXPECT_EQ(b[2],
            (BaggageEntry{"key3", "value3", "propertyKey=propertyValue"}));
  // The spec's percent-encoded value.
  Baggage u;
  ParseBaggage("userId=alice,serverNode=DF%2028,isProduction=false", &u);
  ASSERT_NE(FindBaggage(u, "serverNode"), nullptr);
  EXPECT_EQ(FindBaggage(u, "serverNode")->value, "DF 28");
}

// Tests that a tab in properties (legal OWS in W3C Baggage, illegal in a
// gRPC metadata value) is kept as a space, on receipt and in WithBaggage,
// so the baggage gls sends is always a valid gRPC header value.
TEST(BaggageTest, TabsInPropertiesBecomeSpaces) {
  Baggage b;
  EXPECT_EQ(ParseBaggage("e=f; p =\t q ;r", &b), 0u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].properties, "p =  q ;r");
  EXPECT_EQ(EncodeBaggage(b), "e=f;p =  q ;r");
  const Context ctx = Context().WithBaggage("k", "v", "a\t=\tb");
  ASSERT_EQ(ctx.baggage().size(), 1u);
  EXPECT_EQ(ctx.baggage()[0].properties, "a = b");
}

// Tests that invalid members are dropped and the rest kept, and that the
// later of two members with one key wins, in the place of the first.
TEST(BaggageTest, DropsInvalidMembersKeepsTheRest) {
  Baggage b;
  EXPECT_EQ(ParseBaggage("good=1,bad key=2,=x,novalue,a@b=3,ok=%41,k=v;p,"
                         "q=\"quoted\",pct=%zz,utf=%FF,empty=,good=2,"
                         "p=x;bad prop,",
                         &b),
            8u);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0], (BaggageEntry{"good", "2", ""}));
  EXPECT_EQ(b[1], (BaggageEntry{"ok", "A", ""}));
  EXPECT_EQ(b[2], (BaggageEntry{"k", "v", "p"}));
  EXPECT_EQ(b[3], (BaggageEntry{"empty", "", ""}));
}

// Tests percent-encoding on write and decoding on read, UTF-8 included.
TEST(BaggageTest, PercentEncodesOnWriteAndDecodesOnRead) {
  const std::string value = "a b,c;d%e\"f\\g\xC3\xBCn\xC3\xAF";
  const std::string encoded = PercentEncodeBaggageValue(value);
  EXPECT_EQ(encoded, "a%20b%2Cc%3Bd%25e%22f%5Cg%C3%BCn%C3%AF");
  std::string decoded;
  ASSERT_TRUE(PercentDecodeBaggageValue(encoded, &decoded));
  EXPECT_EQ(decoded, value);
  EXPECT_TRUE(PercentDecodeBaggageValue("%e2%9c%93", &decoded));
  EXPECT_EQ(decoded, "\xE2\x9C\x93");
  EXPECT_FALSE(PercentDecodeBaggageValue("%C3", &decoded));     // cut UTF-8
  EXPECT_FALSE(PercentDecodeBaggageValue("%C0%AF", &decoded));  // overlong
  EXPECT_FALSE(PercentDecodeBaggageValue("%2", &decoded));
  EXPECT_FALSE(PercentDecodeBaggageValue("a b", &decoded));
  EXPECT_FALSE(PercentDecodeBaggageValue("a\\b", &decoded));  // no '%'
  EXPECT_FALSE(PercentDecodeBaggageValue("\xC3\xBC", &decoded));
  EXPECT_TRUE(PercentDecodeBaggageValue("plain-value", &decoded));
  EXPECT_EQ(decoded, "plain-value");
  Baggage b = {{"user", value, "pii;ttl=60"}};
  EXPECT_EQ(EncodeBaggage(b), "user=" + encoded + ";pii;ttl=60");
  Baggage back;
  EXPECT_EQ(ParseBaggage(EncodeBaggage(b), &back), 0u);
  EXPECT_EQ(back, b);
}

// Tests which members may be forwarded as received: written exactly as
// EncodeBaggageMember writes what ParseBaggage makes of them.
TEST(BaggageTest, CanonicalMembersAreWrittenAsGlsWritesThem) {
  for (const std::string member :
       {"user=alice", "k=", "region=eu%20west", "k=v;pii", "k=v;ttl=60 ; p",
        "k=%25", "k=a=b", "k=%2C%3B%22%5C"}) {
    absl::string_view key;
    ASSERT_TRUE(IsCanonicalBaggageMember(member, &key)) << member;
    Baggage parsed;
    ASSERT_EQ(ParseBaggage(member, &parsed), 0u) << member;
    ASSERT_EQ(parsed.size(), 1u) << member;
    EXPECT_EQ(EncodeBaggageMember(parsed[0]), member);
    EXPECT_EQ(key, parsed[0].key);
    EXPECT_EQ(key.data(), member.data());
  }
  // Valid, but written otherwise by gls (or, for the escaped non-ASCII
  // value, not checked here): parsed and encoded instead.
  for (const std::string member :
       {"k =v", "k= v", "k=v ;p", "k=v; p", "k=v;p\t;q", "k=v;p ", "k=%2c",
        "k=%41", "k=%C3%BC", " k=v"}) {
    absl::string_view key;
    EXPECT_FALSE(IsCanonicalBaggageMember(member, &key)) << member;
    Baggage parsed;
    EXPECT_EQ(ParseBaggage(member, &parsed), 0u) << member;
  }
  // Invalid.
  for (const std::string member : {"", "=v", "k", "k=v;", "k;p=v", "k=a b",
                                   "k=%2", "k=%4;x", "k=v;=x", "k\x01=v"}) {
    absl::string_view key;
    EXPECT_FALSE(IsCanonicalBaggageMember(member, &key)) << member;
  }
}

// Tests OTEL_PROPAGATORS's format: unset is both, none is neither, unknown
// names are reported and ignored.
TEST(PropagatorsTest, ParsesTheSwitch) {
  std::vector<std::string> unknown;
  EXPECT_EQ(ParsePropagators("", &unknown), (Propagators{true, true}));
  EXPECT_EQ(ParsePropagators(" , ", &unknown), (Propagators{true, true}));
  EXPECT_EQ(ParsePropagators("none", &unknown), (Propagators{false, false}));
  EXPECT_EQ(ParsePropagators("tracecontext", &unknown),
            (Propagators{true, false}));
  EXPECT_EQ(ParsePropagators(" Baggage ", &unknown),
            (Propagators{false, true}));
  EXPECT_EQ(ParsePropagators("tracecontext,baggage", &unknown),
            (Propagators{true, true}));
  EXPECT_TRUE(unknown.empty());
  EXPECT_EQ(ParsePropagators("b3,tracecontext,xray", &unknown),
            (Propagators{true, false}));
  EXPECT_EQ(unknown, (std::vector<std::string>{"b3", "xray"}));
}

// Tests that the Builder reads the W3C headers into the context (not as
// plain headers), in both directions, and that invalid ones are dropped.
TEST(ContextW3cTest, BuilderParsesW3cHeaders) {
  for (auto direction :
       {Context::Direction::kIncoming, Context::Direction::kOutgoing}) {
    Context ctx = Context::Builder(direction)
                      .AddHeader("traceparent", kTraceParent)
                      .AddHeader("tracestate", "rojo=1")
                      .AddHeader("tracestate", "congo=2,Bad=3")
                      .AddHeader("baggage", "a=1;p")
                      .AddHeader("baggage", "b=x%20y,bad key=1")
                      .Build();
    EXPECT_EQ(ctx.trace().trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(ctx.trace().tracestate, "rojo=1,congo=2");
    EXPECT_EQ(ctx.GetBaggage("a"), "1");
    EXPECT_EQ(ctx.GetBaggage("b"), "x y");
    EXPECT_EQ(ctx.baggage().size(), 2u);
    EXPECT_EQ(ctx.baggage()[0].properties, "p");
    EXPECT_FALSE(ctx.GetHeader("traceparent").has_value());
    EXPECT_FALSE(ctx.GetHeader("baggage").has_value());
    EXPECT_TRUE(ctx.incoming_headers().empty());
    EXPECT_TRUE(ctx.outgoing_headers().empty());
  }
  // Two traceparent headers: invalid, and so no tracestate either.
  Context two = Context::Builder(Context::Direction::kIncoming)
                    .AddHeader("traceparent", kTraceParent)
                    .AddHeader("traceparent", kTraceParent)
                    .AddHeader("tracestate", "rojo=1")
                    .Build();
  EXPECT_FALSE(two.trace().valid());
  EXPECT_EQ(two.trace().tracestate, "");
}

// Tests the derivations: WithTrace/WithBaggage set, bad input changes
// nothing, WithHeader refuses the W3C names.
TEST(ContextW3cTest, Derivations) {
  Context base;
  Context traced = base.WithTrace(kTraceParent, "rojo=1,Bad=2");
  EXPECT_TRUE(traced.trace().valid());
  EXPECT_EQ(traced.trace().tracestate, "rojo=1");
  EXPECT_FALSE(base.trace().valid());
  EXPECT_TRUE(traced.WithTrace("00-abc-def-01").SharesRepWith(traced));
  EXPECT_FALSE(traced.WithoutTrace().trace().valid());

  Context b = base.WithBaggage("user", "al ice", "pii")
                  .WithBaggage("tier", "gold")
                  .WithBaggage("user", "bob");
  EXPECT_EQ(b.GetBaggage("user"), "bob");
  ASSERT_EQ(b.baggage().size(), 2u);
  EXPECT_EQ(b.baggage()[0], (BaggageEntry{"user", "bob", ""}));
  EXPECT_FALSE(b.GetBaggage("USER").has_value());  // keys are exact
  EXPECT_TRUE(b.WithBaggage("bad key", "x").SharesRepWith(b));
  EXPECT_TRUE(b.WithBaggage("k", "x", "bad prop;").SharesRepWith(b));
  EXPECT_TRUE(b.WithBaggage("k", "\xFF").SharesRepWith(b));
  EXPECT_FALSE(b.WithoutBaggage("user").GetBaggage("user").has_value());
  EXPECT_TRUE(b.WithoutBaggage("none").SharesRepWith(b));
  for (const char* name : {"traceparent", "Tracestate", "BAGGAGE"}) {
    EXPECT_TRUE(b.WithHeader(name, "x").SharesRepWith(b)) << name;
  }
}

}  // namespace
}  // namespace gls
