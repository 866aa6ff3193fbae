// Tests of interceptors/internal/metadata.h: gls's own check of what gRPC
// accepts as custom metadata agrees with gRPC's functions byte for byte.
#include "gls/interceptors/internal/metadata.h"

#include <grpc/grpc.h>
#include <grpc/slice.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "gls/session/metainfo.h"
#include "gtest/gtest.h"

namespace gls {
namespace interceptors_internal {
namespace {

// gRPC's own verdict, through its (slower) C functions.
bool GrpcAccepts(const std::string& name, const std::string& value) {
  grpc_slice key = grpc_slice_from_static_buffer(name.data(), name.size());
  grpc_slice val = grpc_slice_from_static_buffer(value.data(), value.size());
  if (grpc_header_key_is_legal(key) == 0) return false;
  if (IsTransportHeader(name)) return false;
  if (grpc_is_binary_header(key) != 0) return true;
  return grpc_header_nonbin_value_is_legal(val) != 0;
}

// Tests that every single byte in a name or in a value, text or binary, at
// every position of a long value, gets the same verdict as from gRPC's
// functions.
TEST(IsLegalHeaderTest, AgreesWithGrpcForEveryByte) {
  for (int b = 0; b < 256; ++b) {
    const std::string c(1, static_cast<char>(b));
    for (const std::string& name :
         {std::string("x-") + c, c + "-y", std::string("x") + c + "-bin"}) {
      EXPECT_EQ(IsLegalHeader(name, "v"), GrpcAccepts(name, "v")) << b;
    }
    for (const std::string& value : {c, "a" + c + "b"}) {
      EXPECT_EQ(IsLegalHeader("x-a", value), GrpcAccepts("x-a", value)) << b;
      EXPECT_EQ(IsLegalHeader("x-a-bin", value), GrpcAccepts("x-a-bin", value))
          << b;
    }
  }
  // Every byte at every position of values of 1 to 19 bytes (the check
  // takes eight bytes at a time, the last word overlapping, a short value
  // padded), next to printable and to extreme bytes.
  for (size_t size = 1; size <= 19; ++size) {
    for (int b = 0; b < 256; ++b) {
      for (size_t pos = 0; pos < size; ++pos) {
        for (char fill : {'a', ' ', '~'}) {
          std::string value(size, fill);
          value[pos] = static_cast<char>(b);
          EXPECT_EQ(IsLegalHeader("x-a", value), GrpcAccepts("x-a", value))
              << b << " at " << pos << " of " << size;
        }
      }
    }
  }
  // Metainfo names (checked past their prefix only): every byte at every
  // position of the key, and the prefixes in other spellings.
  for (const std::string& prefix :
       {std::string(kPersistentPrefix), std::string(kTransientPrefix)}) {
    for (int b = 0; b < 256; ++b) {
      for (size_t pos = 0; pos < 5; ++pos) {
        std::string name = prefix + "tenant";
        name[prefix.size() + pos] = static_cast<char>(b);
        for (const std::string& n : {name, name + "-bin"}) {
          EXPECT_EQ(IsLegalHeader(n, "v\x01"), GrpcAccepts(n, "v\x01"))
              << b << " at " << pos;
          EXPECT_EQ(IsLegalHeader(n, "v"), GrpcAccepts(n, "v"))
              << b << " at " << pos;
        }
      }
    }
    for (const std::string& name :
         {prefix, prefix + "-bin", absl::AsciiStrToUpper(prefix) + "a",
          prefix.substr(0, prefix.size() - 1) + "_a"}) {
      EXPECT_EQ(IsLegalHeader(name, "v"), GrpcAccepts(name, "v")) << name;
    }
  }
  for (const std::string& name :
       {std::string(), std::string("-bin"), std::string("grpc-timeout"),
        std::string(":path"), std::string("te"), std::string("user-agent"),
        std::string("rpc-persist-tenant"), std::string("UPPER")}) {
    EXPECT_EQ(IsLegalHeader(name, "v"), GrpcAccepts(name, "v")) << name;
  }
}

}  // namespace
}  // namespace interceptors_internal
}  // namespace gls
