// A plugin linked to gls's shared libraries, dlopen()ed by plugin_test: it
// reads the session its host bound, and makes an outbound call through a gls
// client channel of its own. It links no generated protobuf code (the host
// has the greeter's; a second copy would register the same .proto twice), so
// it calls the greeter through grpc::GenericStub with serialized bytes.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gls/interceptors/client_interceptor.h"
#include "gls/session/binding.h"

extern "C" {

// The TENANT persistent value of the session bound to the calling thread, as
// the plugin's code sees it: "none" without a session.
__attribute__((visibility("default"))) std::string gls_plugin_tenant() {
  const gls::Session& s = gls::CurSession();
  if (s.empty()) return "none";
  return std::string(s.context().GetPersistent("TENANT").value_or(""));
}

// Calls /gls.examples.Greeter/SayHello on `target` with an empty request and
// a fresh ClientContext through a gls client channel; stores the serialized
// reply in `*reply` and returns the call's status code.
__attribute__((visibility("default"))) int gls_plugin_call(
    const std::string& target, std::string* reply) {
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      factories;
  factories.push_back(
      gls::client::WithContextBackup(gls::client::RestoreMissingPersistent));
  auto channel = grpc::experimental::CreateCustomChannelWithInterceptors(
      target, grpc::InsecureChannelCredentials(), grpc::ChannelArguments(),
      std::move(factories));
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/gls.examples.Greeter/SayHello",
                 grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  std::vector<grpc::Slice> slices;
  if (status.ok() && response.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      reply->append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  return static_cast<int>(status.error_code());
}

}  // extern "C"
