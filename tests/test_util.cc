// The shared pieces of gls's end-to-end tests (test_util.h).
#include "gls/tests/test_util.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gls/interceptors/server_interceptor.h"
#include "gls/session/metainfo.h"

namespace gls {
namespace testing {

Metadata ReceivedHeaderList(const grpc::ServerContextBase& context) {
  Metadata out;
  for (const auto& [name, value] : context.client_metadata()) {
    std::string key(name.data(), name.size());
    if (IsTransportHeader(key)) continue;
    out.emplace(std::move(key), std::string(value.data(), value.size()));
  }
  return out;
}

std::map<std::string, std::string> ReceivedHeaders(
    const grpc::ServerContextBase& context) {
  Metadata all = ReceivedHeaderList(context);
  return std::map<std::string, std::string>(all.begin(), all.end());
}

TestServer::TestServer(std::vector<grpc::Service*> services, bool backup,
                       bool async) {
  Start(services, backup ? server::WithContextBackup(true, async) : nullptr,
        /*cq=*/nullptr);
}

TestServer::TestServer(std::vector<grpc::Service*> services,
                       server::BackupOptions options,
                       std::unique_ptr<grpc::ServerCompletionQueue>* cq) {
  Start(services, server::WithContextBackup(std::move(options)), cq);
}

void TestServer::Start(
    const std::vector<grpc::Service*>& services,
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
        interceptor,
    std::unique_ptr<grpc::ServerCompletionQueue>* cq) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port_);
  for (grpc::Service* service : services) builder.RegisterService(service);
  if (interceptor != nullptr) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        creators;
    creators.push_back(std::move(interceptor));
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  if (cq != nullptr) *cq = builder.AddCompletionQueue();
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
  client::BackupOptions options;
  options.handler = std::move(handler);
  return BackupChannel(std::move(options));
}

std::shared_ptr<grpc::Channel> TestServer::BackupChannel(
    client::BackupOptions options) const {
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      creators;
  creators.push_back(client::WithContextBackup(std::move(options)));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      address(), grpc::InsecureChannelCredentials(), grpc::ChannelArguments(),
      std::move(creators));
}

std::map<std::string, std::string> HopHeaders(
    const examples::HelloReply& reply) {
  if (reply.hops_size() != 1) return {{"error", "no hop"}};
  const auto& md = reply.hops(0).metadata();
  return std::map<std::string, std::string>(md.begin(), md.end());
}

grpc::Status RecordingGreeter::SayHello(grpc::ServerContext* context,
                                        const examples::HelloRequest*,
                                        examples::HelloReply*) {
  Metadata got = ReceivedHeaderList(*context);
  absl::MutexLock lock(&mu_);
  last_ = std::move(got);
  return grpc::Status::OK;
}

Metadata RecordingGreeter::last() {
  absl::MutexLock lock(&mu_);
  return last_;
}

ForwardingGreeter::ForwardingGreeter(std::shared_ptr<grpc::Channel> backend,
                                     Metadata own_metadata)
    : stub_(examples::Greeter::NewStub(std::move(backend))),
      own_(std::move(own_metadata)) {}

grpc::Status ForwardingGreeter::SayHello(grpc::ServerContext*,
                                         const examples::HelloRequest* request,
                                         examples::HelloReply* reply) {
  grpc::Status status;
  *reply = CallGreeter(*stub_, request->name(), own_, &status);
  return status;
}

examples::HelloReply CallGreeter(examples::Greeter::Stub& stub,
                                 const std::string& name,
                                 const Metadata& metadata,
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
