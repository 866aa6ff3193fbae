// gls/tests/test_util.h
//
// Shared pieces of gls's end-to-end tests: real gRPC servers on 127.0.0.1 with
// ports the OS picks, greeter services that report what they received, and
// channels with context backup.
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

#include "gls/examples/leaf_greeter.h"
#include "gls/interceptors/client_interceptor.h"
#include "proto/greeter.grpc.pb.h"

namespace gls {
namespace testing {

// Every request header a server got, except gRPC's own and pseudo headers.
std::map<std::string, std::string> ReceivedHeaders(
    const grpc::ServerContextBase& context);

// A started server; shuts down on destruction.
class TestServer {
 public:
  // Registers `services`; with `backup`, installs
  // gls::server::WithContextBackup(true, async).
  TestServer(std::vector<grpc::Service*> services, bool backup,
             bool async = false);
  ~TestServer();
  int port() const { return port_; }
  std::string address() const;
  // A plain channel to this server.
  std::shared_ptr<grpc::Channel> Channel() const;
  // A channel with gls::client::WithContextBackup(handler).
  std::shared_ptr<grpc::Channel> BackupChannel(
      client::BackupHandler handler) const;
  grpc::Server* server() { return server_.get(); }

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// The example chain's leaf (examples/leaf_greeter.h): replies with one Hop
// holding what it received.
using LeafGreeter = examples::LeafGreeter;

// Calls `stub` with a fresh ClientContext carrying `metadata`; returns the
// reply (status checked by the caller through `status`).
examples::HelloReply CallGreeter(
    examples::Greeter::Stub& stub, const std::string& name,
    const std::multimap<std::string, std::string>& metadata,
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
