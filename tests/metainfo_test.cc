// Unit tests of gls/session/metainfo.h: Kitex's metainfo header mapping, the
// canonical key form, and the transport headers that never join a context.
#include "gls/session/metainfo.h"

#include <string>

#include "gtest/gtest.h"

namespace gls {
namespace {

// Tests that header names map to keys as Kitex does over gRPC.
TEST(MetainfoTest, MapsHeadersToKeysLikeKitex) {
  std::string key;
  EXPECT_EQ(ParseMetainfoHeader("rpc-persist-tenant-id", &key),
            MetaKind::kPersistent);
  EXPECT_EQ(key, "TENANT_ID");
  EXPECT_EQ(ParseMetainfoHeader("RPC-Transit-a", &key), MetaKind::kTransient);
  EXPECT_EQ(key, "A");
  EXPECT_EQ(ParseMetainfoHeader("rpc-backward-x", &key), MetaKind::kBackward);
  EXPECT_EQ(ParseMetainfoHeader("rpc-persist-", &key), MetaKind::kNone);
  EXPECT_EQ(ParseMetainfoHeader("authorization", &key), MetaKind::kNone);
  EXPECT_EQ(MetainfoKind("x-rpc-persist-a"), MetaKind::kNone);
  EXPECT_EQ(MetainfoHeaderName(MetaKind::kPersistent, "TENANT_ID"),
            "rpc-persist-tenant-id");
  EXPECT_EQ(MetainfoHeaderName(MetaKind::kTransient, "a"), "rpc-transit-a");
}

// Tests that keys in any spelling map to one canonical form.
TEST(MetainfoTest, CanonicalKeyUppercasesAndUnderscores) {
  EXPECT_EQ(CanonicalKey("tenant-id"), "TENANT_ID");
  EXPECT_EQ(CanonicalKey("Tenant_Id"), "TENANT_ID");
  EXPECT_TRUE(IsCanonicalKey("TENANT_ID"));
  EXPECT_FALSE(IsCanonicalKey("tenant"));
  EXPECT_FALSE(IsCanonicalKey("A-B"));
}

// Tests that pseudo headers, gRPC's own headers, te, content-type and
// user-agent are transport headers.
TEST(MetainfoTest, TransportHeadersAreRecognised) {
  for (const char* name :
       {":path", ":authority", "grpc-timeout", "grpc-accept-encoding",
        "grpc-trace-bin", "te", "content-type", "user-agent"}) {
    EXPECT_TRUE(IsTransportHeader(name)) << name;
  }
}

// Tests that metainfo, credentials and application headers, including names
// that merely contain a transport header's name, are not transport headers.
TEST(MetainfoTest, OtherHeadersAreNotTransportHeaders) {
  for (const char* name :
       {"rpc-persist-tenant", "rpc-transit-hop", "rpc-backward-x",
        "authorization", "cookie", "x-request-id", "traceparent", "x-grpc-foo",
        "grpc", "tea", "x-te", "content-type-x", "user-agent-x"}) {
    EXPECT_FALSE(IsTransportHeader(name)) << name;
  }
}

}  // namespace
}  // namespace gls
