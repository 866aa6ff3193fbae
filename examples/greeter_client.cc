// The example greeter client: sends SayHello with the metadata a caller in a
// Kitex-style chain carries, then prints, as a table, what the last hop
// received on each path.
//
//   greeter_client --target=127.0.0.1:PORT --tenant=acme --hop=edge
//                  --authorization="Bearer secret"    (one command line)
//
// --binary_header=NAME=BASE64 also sends the binary header NAME (it must end
// in "-bin") with the bytes BASE64 decodes to, e.g.
// --binary_header=rpc-persist-trace-bin=/wD+ sends the bytes ff 00 fe. A hop
// reports a binary value as "base64:" and its base64 (see greeter_server.cc).
#include <grpcpp/grpcpp.h>

#include <iomanip>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gls/session/log.h"
#include "proto/greeter.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "front service HOST:PORT");
ABSL_FLAG(std::string, name, "gls", "name to greet");
ABSL_FLAG(std::string, tenant, "acme", "rpc-persist-tenant (persistent)");
ABSL_FLAG(std::string, hop, "edge", "rpc-transit-hop (transient: one hop)");
ABSL_FLAG(std::string, authorization, "Bearer secret",
          "authorization (never forwarded)");
ABSL_FLAG(std::string, binary_header, "",
          "NAME=BASE64: also send binary header NAME (ending in -bin) with the "
          "bytes BASE64 decodes to; empty: none");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string binary_name;
  std::string binary_value;
  if (const std::string flag = absl::GetFlag(FLAGS_binary_header);
      !flag.empty()) {
    std::pair<std::string, std::string> parts =
        absl::StrSplit(flag, absl::MaxSplits('=', 1));
    binary_name = parts.first;
    if (!absl::EndsWith(binary_name, "-bin") ||
        !absl::Base64Unescape(parts.second, &binary_value)) {
      std::cerr << "--binary_header: want NAME-bin=BASE64, got "
                << gls::QuoteForLog(flag) << "\n";
      return 2;
    }
  }
  auto stub = gls::examples::Greeter::NewStub(grpc::CreateChannel(
      absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("rpc-persist-tenant", absl::GetFlag(FLAGS_tenant));
  context.AddMetadata("rpc-transit-hop", absl::GetFlag(FLAGS_hop));
  context.AddMetadata("authorization", absl::GetFlag(FLAGS_authorization));
  if (!binary_name.empty()) context.AddMetadata(binary_name, binary_value);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  gls::examples::HelloRequest request;
  request.set_name(absl::GetFlag(FLAGS_name));
  gls::examples::HelloReply reply;
  grpc::Status status = stub->SayHello(&context, request, &reply);
  if (!status.ok()) {
    // The message comes from the server: quoted, escaped and capped.
    std::cerr << "SayHello failed: " << status.error_code() << " "
              << gls::QuoteForLog(status.error_message()) << "\n";
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
