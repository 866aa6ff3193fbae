// gls/tests/test_util.h
//
// Shared pieces of gls's end-to-end tests: real gRPC servers on 127.0.0.1 with
// ports the OS picks, greeter services that report or record what they
// received or forward it, and channels with context backup. (Helpers that
// need no gRPC live in session_test_util.h.)
//
// Example:
//
//   gls::testing::LeafGreeter leaf("leaf");
//   gls::testing::TestServer server({&leaf}, /*backup=*/true);
//   auto stub = gls::examples::Greeter::NewStub(server.Channel());
//
// Thread-safety: services are thread-safe; TestServer is thread-compatible.

#ifndef GLS_TESTS_TEST_UTIL_H_
#define GLS_TESTS_TEST_UTIL_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gls/examples/leaf_greeter.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/interceptors/server_interceptor.h"
#include "proto/greeter.grpc.pb.h"

namespace gls {
namespace testing {

// Headers as a client sends them or a server receives them, repeated names
// included.
using Metadata = std::multimap<std::string, std::string>;

// Every request header a server got, except gRPC's own and pseudo headers,
// repeated names included.
Metadata ReceivedHeaderList(const grpc::ServerContextBase& context);

// The same as a map: the first value of each name.
std::map<std::string, std::string> ReceivedHeaders(
    const grpc::ServerContextBase& context);

// A started server; shuts down on destruction.
class TestServer {
 public:
  // Registers `services`; with `backup`, installs
  // gls::server::WithContextBackup(true, async), else no interceptor.
  TestServer(std::vector<grpc::Service*> services, bool backup,
             bool async = false);
  // Registers `services` and installs gls::server::WithContextBackup(options)
  // (even with options.enable false). With `cq`, also adds a completion queue
  // for completion-queue services and stores it there.
  TestServer(std::vector<grpc::Service*> services,
             server::BackupOptions options,
             std::unique_ptr<grpc::ServerCompletionQueue>* cq = nullptr);
  ~TestServer();
  int port() const { return port_; }
  std::string address() const;
  // A plain channel to this server.
  std::shared_ptr<grpc::Channel> Channel() const;
  // A channel with gls::client::WithContextBackup(handler).
  std::shared_ptr<grpc::Channel> BackupChannel(
      client::BackupHandler handler) const;
  // A channel with gls::client::WithContextBackup(options).
  std::shared_ptr<grpc::Channel> BackupChannel(
      client::BackupOptions options) const;
  grpc::Server* server() { return server_.get(); }

 private:
  void Start(
      const std::vector<grpc::Service*>& services,
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
          interceptor,
      std::unique_ptr<grpc::ServerCompletionQueue>* cq);

  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// The example chain's leaf (examples/leaf_greeter.h): replies with one Hop
// holding what it received.
using LeafGreeter = examples::LeafGreeter;

// The headers a LeafGreeter reported in `reply` (its one Hop's metadata), or
// {{"error", "no hop"}} if the reply does not hold exactly one Hop.
std::map<std::string, std::string> HopHeaders(
    const examples::HelloReply& reply);

// A leaf that records every header of the last request as received, repeated
// names included (a std::map would hide a duplicate), and replies empty.
class RecordingGreeter final : public examples::Greeter::Service {
 public:
  grpc::Status SayHello(grpc::ServerContext* context,
                        const examples::HelloRequest* request,
                        examples::HelloReply* reply) override;
  // The headers of the last request.
  Metadata last();

 private:
  absl::Mutex mu_;
  Metadata last_ ABSL_GUARDED_BY(mu_);
};

// A front whose handler does what people write: it calls `backend` with a
// fresh grpc::ClientContext that carries `own_metadata` only, with the
// request's name, and replies with the backend's reply and status.
class ForwardingGreeter final : public examples::Greeter::Service {
 public:
  explicit ForwardingGreeter(std::shared_ptr<grpc::Channel> backend,
                             Metadata own_metadata = {});
  grpc::Status SayHello(grpc::ServerContext* context,
                        const examples::HelloRequest* request,
                        examples::HelloReply* reply) override;

 private:
  std::unique_ptr<examples::Greeter::Stub> stub_;
  const Metadata own_;
};

// Calls `stub` with a fresh ClientContext carrying `metadata`; returns the
// reply (status checked by the caller through `status`).
examples::HelloReply CallGreeter(examples::Greeter::Stub& stub,
                                 const std::string& name,
                                 const Metadata& metadata,
                                 grpc::Status* status = nullptr);

// One call of CallConcurrently.
struct ConcurrentCall {
  grpc::ClientContext context;
  examples::HelloRequest request;
  examples::HelloReply reply;
  grpc::Status status;
};

// Starts `n` SayHello calls at once through the callback API, call i with
// request tenant "tenant-<i>" (rpc-persist-tenant) and transient value
// "hop-<i>" (rpc-transit-hop), and waits for all of them.
std::vector<std::unique_ptr<ConcurrentCall>> CallConcurrently(
    examples::Greeter::Stub& stub, int n);

}  // namespace testing
}  // namespace gls

#endif  // GLS_TESTS_TEST_UTIL_H_
