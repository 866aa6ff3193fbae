// gls/examples/leaf_greeter.h
//
// The leaf of the example chain, shared by examples/greeter_server.cc and
// gls's tests: a Greeter service (sync API) that replies "Hello <name>" with
// one Hop holding its service name and every header it received except
// gRPC's own and HTTP/2 pseudo headers.
//
// A Hop's metadata is a proto3 map<string, string>, whose strings must be
// UTF-8, while a binary header ("-bin" name) carries arbitrary bytes. So the
// value of every "-bin" header, and of any header whose value is not
// printable ASCII (gRPC sends nothing else in a text header), is stored as
// "base64:" followed by its padded base64 (absl::Base64Escape; for a "-bin"
// header that is what travelled on the wire). A text value that itself starts
// with "base64:" is stored the same way, so a stored value starting with
// "base64:" is always encoded. Every other value is stored as received. A
// reply thus never fails to serialize, whatever a caller sends.
//
// Example:
//
//   gls::examples::LeafGreeter leaf("leaf");
//   builder.RegisterService(&leaf);
//
// Thread-safety: LeafGreeter is thread-safe.

#ifndef GLS_EXAMPLES_LEAF_GREETER_H_
#define GLS_EXAMPLES_LEAF_GREETER_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/strings/string_view.h"
#include "proto/greeter.grpc.pb.h"

namespace gls {
namespace examples {

// A header's value as a Hop stores it (see above).
std::string HopValue(absl::string_view name, absl::string_view value);

class LeafGreeter final : public Greeter::Service {
 public:
  explicit LeafGreeter(std::string name) : name_(std::move(name)) {}

  grpc::Status SayHello(grpc::ServerContext* context,
                        const HelloRequest* request,
                        HelloReply* reply) override;

 private:
  const std::string name_;
};

}  // namespace examples
}  // namespace gls

#endif  // GLS_EXAMPLES_LEAF_GREETER_H_
