// Tests that the example chain's leaf greeter (gls::examples::LeafGreeter,
// used by examples/greeter_server.cc and by the tests) replies to any
// headers: a Hop's metadata is a proto3 map<string, string>, so a binary
// ("-bin") header whose bytes are not UTF-8 must be stored encoded, or the
// reply fails to serialize. example_chain_test.sh checks the example binaries
// the same way.
#include <map>
#include <memory>
#include <string>

#include "gls/interceptors/client_interceptor.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::testing::CallGreeter;
using ::gls::testing::ForwardingGreeter;
using ::gls::testing::LeafGreeter;
using ::gls::testing::TestServer;

// Bytes that are not UTF-8 (0xff, a NUL, 0xfe); base64 "/wD+".
const std::string kNotUtf8("\xff\x00\xfe", 3);

// Tests that binary and odd values are stored as "base64:..." and the reply
// arrives; plain text values are stored as received.
TEST(LeafGreeterTest, BinaryHeadersAreStoredAsBase64) {
  LeafGreeter leaf("leaf");
  TestServer server({&leaf}, /*backup=*/false);
  auto stub = Greeter::NewStub(server.Channel());
  grpc::Status status;
  HelloReply reply = CallGreeter(*stub, "gls",
                                 {{"trace-bin", kNotUtf8},
                                  {"utf8-bin", "abc"},
                                  {"x-plain", "hello world"},
                                  {"x-looks-encoded", "base64:abc"}},
                                 &status);
  ASSERT_TRUE(status.ok()) << status.error_code() << " "
                           << status.error_message();
  ASSERT_EQ(reply.hops_size(), 1);
  const auto& md = reply.hops(0).metadata();
  ASSERT_EQ(md.count("trace-bin"), 1u);
  EXPECT_EQ(md.at("trace-bin"), "base64:/wD+");
  ASSERT_EQ(md.count("utf8-bin"), 1u);
  EXPECT_EQ(md.at("utf8-bin"), "base64:YWJj");  // -bin: always encoded
  ASSERT_EQ(md.count("x-plain"), 1u);
  EXPECT_EQ(md.at("x-plain"), "hello world");
  ASSERT_EQ(md.count("x-looks-encoded"), 1u);
  EXPECT_EQ(md.at("x-looks-encoded"), "base64:YmFzZTY0OmFiYw==");
}

// Tests that a persistent binary value gls carries one hop further reaches the
// leaf, which reports it encoded.
TEST(LeafGreeterTest, PersistentBinaryValueThroughGls) {
  LeafGreeter leaf("leaf");
  TestServer b({&leaf}, /*backup=*/true);
  ForwardingGreeter front(b.BackupChannel(client::RestoreMissingPersistent));
  TestServer a({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(a.Channel());
  grpc::Status status;
  HelloReply reply =
      CallGreeter(*stub, "gls", {{"rpc-persist-trace-bin", kNotUtf8}}, &status);
  ASSERT_TRUE(status.ok()) << status.error_code() << " "
                           << status.error_message();
  ASSERT_EQ(reply.hops_size(), 1);
  const auto& md = reply.hops(0).metadata();
  ASSERT_EQ(md.count("rpc-persist-trace-bin"), 1u);
  EXPECT_EQ(md.at("rpc-persist-trace-bin"), "base64:/wD+");
}

}  // namespace
}  // namespace gls
