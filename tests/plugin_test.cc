// One session store per process with gls's shared libraries
// (BUILD_SHARED_LIBS=ON): a plugin dlopen()ed at run time and linked to the
// same libgls_*.so reads the session its host bound, and an outbound call the
// plugin makes from the host's request handler carries that request's tenant
// to the leaf. GLS_TEST_PLUGIN is the plugin's path (tests/plugin/plugin.cc).
#include <dlfcn.h>
#include <grpcpp/grpcpp.h>

#include <map>
#include <string>

#include "gls/session/binding.h"
#include "gls/tests/session_test_util.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"
#include "proto/greeter.grpc.pb.h"

namespace gls {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;

using TenantFn = std::string (*)();
using CallFn = int (*)(const std::string&, std::string*);

// The plugin, loaded once for the test binary.
struct Plugin {
  Plugin() {
    handle = dlopen(GLS_TEST_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      error = dlerror();
      return;
    }
    tenant = reinterpret_cast<TenantFn>(dlsym(handle, "gls_plugin_tenant"));
    call = reinterpret_cast<CallFn>(dlsym(handle, "gls_plugin_call"));
  }
  void* handle = nullptr;
  std::string error;
  TenantFn tenant = nullptr;
  CallFn call = nullptr;
};

Plugin& LoadedPlugin() {
  static Plugin* plugin = new Plugin;
  return *plugin;
}

TEST(PluginTest, PluginSeesTheSessionItsHostBound) {
  Plugin& plugin = LoadedPlugin();
  ASSERT_NE(plugin.handle, nullptr) << plugin.error;
  ASSERT_NE(plugin.tenant, nullptr);
  EXPECT_EQ(plugin.tenant(), "none");
  {
    SessionScope scope(testing::NewSession("acme"));
    EXPECT_EQ(plugin.tenant(), "acme") << "two session stores in one process";
  }
  EXPECT_EQ(plugin.tenant(), "none");
}

// A front whose handler calls the leaf through the plugin, and replies with
// the leaf's reply.
class PluginFront final : public Greeter::Service {
 public:
  explicit PluginFront(std::string leaf) : leaf_(std::move(leaf)) {}
  grpc::Status SayHello(grpc::ServerContext*, const HelloRequest*,
                        HelloReply* reply) override {
    std::string bytes;
    int code = LoadedPlugin().call(leaf_, &bytes);
    if (code != 0 || !reply->ParseFromString(bytes)) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "plugin call failed");
    }
    reply->set_message(LoadedPlugin().tenant());
    return grpc::Status::OK;
  }

 private:
  const std::string leaf_;
};

TEST(PluginTest, CallFromThePluginCarriesTheHostsRequestTenant) {
  Plugin& plugin = LoadedPlugin();
  ASSERT_NE(plugin.call, nullptr) << plugin.error;
  testing::LeafGreeter leaf("leaf");
  testing::TestServer leaf_server({&leaf}, /*backup=*/false);
  PluginFront front(leaf_server.address());
  testing::TestServer front_server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(front_server.Channel());
  grpc::Status status;
  HelloReply reply = testing::CallGreeter(
      *stub, "x", {{"rpc-persist-tenant", "acme"}}, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.message(), "acme") << "the plugin's handler-side view";
  EXPECT_EQ(testing::HopHeaders(reply)["rpc-persist-tenant"], "acme")
      << "the plugin's outbound call lost the host's request tenant";
}

}  // namespace
}  // namespace gls
