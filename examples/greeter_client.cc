// The example greeter client: sends SayHello with the metadata a caller in a
// Kitex-style chain carries, then prints, as a table, what the last hop
// received on each path.
//
//   greeter_client --target=127.0.0.1:PORT --tenant=acme --hop=edge
//                  --authorization="Bearer secret"    (one command line)
#include <grpcpp/grpcpp.h>

#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "proto/greeter.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "front service HOST:PORT");
ABSL_FLAG(std::string, name, "gls", "name to greet");
ABSL_FLAG(std::string, tenant, "acme", "rpc-persist-tenant (persistent)");
ABSL_FLAG(std::string, hop, "edge", "rpc-transit-hop (transient: one hop)");
ABSL_FLAG(std::string, authorization, "Bearer secret",
          "authorization (never forwarded)");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  auto stub = gls::examples::Greeter::NewStub(grpc::CreateChannel(
      absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("rpc-persist-tenant", absl::GetFlag(FLAGS_tenant));
  context.AddMetadata("rpc-transit-hop", absl::GetFlag(FLAGS_hop));
  context.AddMetadata("authorization", absl::GetFlag(FLAGS_authorization));
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  gls::examples::HelloRequest request;
  request.set_name(absl::GetFlag(FLAGS_name));
  gls::examples::HelloReply reply;
  grpc::Status status = stub->SayHello(&context, request, &reply);
  if (!status.ok()) {
    std::cerr << "SayHello failed: " << status.error_code() << " "
              << status.error_message() << "\n";
    return 1;
  }

  const std::vector<std::string> columns = {"rpc-persist-tenant",
                                            "rpc-transit-hop", "authorization"};
  std::cout << "sent: rpc-persist-tenant=" << absl::GetFlag(FLAGS_tenant)
            << "  rpc-transit-hop=" << absl::GetFlag(FLAGS_hop)
            << "  authorization=" << absl::GetFlag(FLAGS_authorization)
            << "\nreply: " << reply.message()
            << "\n\nwhat the last hop received (- = not received):\n";
  std::cout << std::left << std::setw(16) << "via" << std::setw(8) << "service";
  for (const auto& c : columns) std::cout << std::setw(22) << c;
  std::cout << "other headers\n";
  for (const auto& hop : reply.hops()) {
    std::cout << std::setw(16) << (hop.via().empty() ? "-" : hop.via())
              << std::setw(8) << hop.service();
    for (const auto& c : columns) {
      auto it = hop.metadata().find(c);
      std::cout << std::setw(22)
                << (it == hop.metadata().end() ? "-" : it->second);
    }
    std::string others;
    for (const auto& [k, v] : hop.metadata()) {
      bool listed = false;
      for (const auto& c : columns) listed = listed || c == k;
      if (!listed) others += (others.empty() ? "" : " ") + k + "=" + v;
    }
    std::cout << (others.empty() ? "-" : others) << "\n";
  }
  return 0;
}
