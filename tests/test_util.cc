#include "gls/tests/test_util.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/metainfo.h"
#include "gls/interceptors/server_interceptor.h"

namespace gls {
namespace testing {

std::map<std::string, std::string> ReceivedHeaders(
    const grpc::ServerContextBase& context) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : context.client_metadata()) {
    std::string key(name.data(), name.size());
    if (IsTransportHeader(key)) continue;
    out.emplace(std::move(key), std::string(value.data(), value.size()));
  }
  return out;
}

TestServer::TestServer(std::vector<grpc::Service*> services, bool backup,
                       bool async) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port_);
  for (grpc::Service* service : services) builder.RegisterService(service);
  if (backup) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        creators;
    creators.push_back(server::WithContextBackup(true, async));
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  server_ = builder.BuildAndStart();
}

TestServer::~TestServer() {
  if (server_ != nullptr) server_->Shutdown();
}

std::string TestServer::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::shared_ptr<grpc::Channel> TestServer::Channel() const {
  return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
}

std::shared_ptr<grpc::Channel> TestServer::BackupChannel(
    client::BackupHandler handler) const {
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      creators;
  creators.push_back(client::WithContextBackup(std::move(handler)));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      address(), grpc::InsecureChannelCredentials(), grpc::ChannelArguments(),
      std::move(creators));
}

examples::HelloReply CallGreeter(
    examples::Greeter::Stub& stub, const std::string& name,
    const std::multimap<std::string, std::string>& metadata,
    grpc::Status* status) {
  grpc::ClientContext context;
  for (const auto& [k, v] : metadata) context.AddMetadata(k, v);
  examples::HelloRequest request;
  request.set_name(name);
  examples::HelloReply reply;
  grpc::Status s = stub.SayHello(&context, request, &reply);
  if (status != nullptr) *status = s;
  return reply;
}

std::vector<std::unique_ptr<ConcurrentCall>> CallConcurrently(
    examples::Greeter::Stub& stub, int n) {
  std::vector<std::unique_ptr<ConcurrentCall>> calls;
  absl::Mutex mu;
  int done = 0;
  for (int i = 0; i < n; ++i) {
    calls.push_back(std::make_unique<ConcurrentCall>());
    ConcurrentCall& call = *calls.back();
    call.context.AddMetadata("rpc-persist-tenant", absl::StrCat("tenant-", i));
    call.context.AddMetadata("rpc-transit-hop", absl::StrCat("hop-", i));
    call.request.set_name(absl::StrCat(i));
    stub.async()->SayHello(&call.context, &call.request, &call.reply,
                           [&mu, &done, &call](grpc::Status s) {
                             absl::MutexLock lock(&mu);
                             call.status = std::move(s);
                             ++done;
                           });
  }
  auto all_done = [&done, n] { return done == n; };
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(&all_done));
  return calls;
}

}  // namespace testing
}  // namespace gls
