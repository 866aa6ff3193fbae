// The example greeter server, in two roles:
//
//   greeter_server --port=0                      a leaf: replies with one Hop
//                                                holding what it received
//   greeter_server --backend=HOST:PORT --port=0  a front: answers SayHello by
//                                                calling the backend with a
//                                                fresh ClientContext three ways
//                                                (handler thread, gls pool,
//                                                std::async) and returns the
//                                                backend's hops
//
// The front registers gls::server::WithContextBackup(--backup, --async)
// (CLOUDWEGO_SESSION_CONFIG_KEY overrides) and, on its backend channel,
// gls::client::WithContextBackup with a handler like the Kitex seed's: keep
// the call's own tenant if it has one, else restore it from the request.
// It prints "listening on 127.0.0.1:PORT" once serving.
//
// The leaf is gls::examples::LeafGreeter (leaf_greeter.h), which stores
// binary and non-UTF-8 header values base64-encoded.
#include <grpcpp/grpcpp.h>

#include <future>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "gls/examples/leaf_greeter.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/interceptors/server_interceptor.h"
#include "gls/session/log.h"
#include "gls/session/thread_pool.h"
#include "proto/greeter.grpc.pb.h"

ABSL_FLAG(int, port, 0, "port to listen on (0: any free port)");
ABSL_FLAG(std::string, backend, "",
          "HOST:PORT of the next service; empty: this server is a leaf");
ABSL_FLAG(std::string, name, "", "service name reported in hops");
ABSL_FLAG(bool, backup, true, "enable context backup on the server");
ABSL_FLAG(bool, async, true,
          "async pass-through (plain std::thread/std::async see the session)");

namespace {

using gls::examples::Greeter;
using gls::examples::HelloReply;
using gls::examples::HelloRequest;
using gls::examples::Hop;
using gls::examples::LeafGreeter;

// The seed's BackupHandler: if the call carries the tenant already, keep it;
// otherwise take the request's tenant and let the fallback restore the rest.
gls::client::BackupResult RestoreTenant(const gls::Context& prev,
                                        const gls::Context& cur) {
  if (cur.GetPersistent("TENANT")) return {cur, false};
  return {
      cur.WithPersistent("TENANT", prev.GetPersistent("TENANT").value_or("")),
      true};
}

class FrontGreeter final : public Greeter::Service {
 public:
  FrontGreeter(std::shared_ptr<grpc::Channel> backend)
      : stub_(Greeter::NewStub(backend)), pool_(2) {}

  grpc::Status SayHello(grpc::ServerContext*, const HelloRequest* request,
                        HelloReply* reply) override {
    // Every path makes its call with a fresh ClientContext: the request's
    // context reaches the backend only through gls.
    HelloReply direct = Call(*request, "handler-thread");
    std::promise<HelloReply> pooled;
    pool_.Schedule([&] { pooled.set_value(Call(*request, "thread-pool")); });
    HelloReply spawned = std::async(std::launch::async, [&] {
                           return Call(*request, "std-async");
                         }).get();
    HelloReply via_pool = pooled.get_future().get();
    reply->set_message(direct.message());
    for (const HelloReply* r : {&direct, &via_pool, &spawned}) {
      for (const Hop& hop : r->hops()) *reply->add_hops() = hop;
    }
    return grpc::Status::OK;
  }

 private:
  HelloReply Call(const HelloRequest& request, const std::string& via) {
    grpc::ClientContext context;  // fresh: carries nothing of the request
    HelloReply reply;
    grpc::Status status = stub_->SayHello(&context, request, &reply);
    if (!status.ok()) {
      Hop* hop = reply.add_hops();
      // The message comes from the backend: escaped and capped, it is
      // printable ASCII (a valid proto string) and short.
      hop->set_service(
          absl::StrCat("error: ", gls::EscapeForLog(status.error_message())));
    }
    for (Hop& hop : *reply.mutable_hops()) hop.set_via(via);
    return reply;
  }

  std::unique_ptr<Greeter::Stub> stub_;
  gls::ThreadPool pool_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string backend = absl::GetFlag(FLAGS_backend);
  std::string name = absl::GetFlag(FLAGS_name);
  if (name.empty()) name = backend.empty() ? "leaf" : "front";

  std::unique_ptr<grpc::Service> service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(
      absl::StrCat("127.0.0.1:", absl::GetFlag(FLAGS_port)),
      grpc::InsecureServerCredentials(), &port);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      server_factories;
  server_factories.push_back(gls::server::WithContextBackup(
      absl::GetFlag(FLAGS_backup), absl::GetFlag(FLAGS_async)));
  builder.experimental().SetInterceptorCreators(std::move(server_factories));

  if (backend.empty()) {
    service = std::make_unique<LeafGreeter>(name);
  } else {
    std::vector<
        std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
        client_factories;
    client_factories.push_back(gls::client::WithContextBackup(RestoreTenant));
    service = std::make_unique<FrontGreeter>(
        grpc::experimental::CreateCustomChannelWithInterceptors(
            backend, grpc::InsecureChannelCredentials(),
            grpc::ChannelArguments(), std::move(client_factories)));
  }
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << name << ": could not listen on port "
              << absl::GetFlag(FLAGS_port) << "\n";
    return 1;
  }
  std::cout << name << " listening on 127.0.0.1:" << port << std::endl;
  server->Wait();
  return 0;
}
