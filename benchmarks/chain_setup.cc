// benchmarks/chain_setup.cc
//
// The servers, channels and calls of chain_setup.h.

#include "gls/benchmarks/chain_setup.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/interceptors/server_interceptor.h"

namespace gls_bench {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;

std::string Address(int port) { return absl::StrCat("127.0.0.1:", port); }

}  // namespace

std::unique_ptr<grpc::Server> StartServer(grpc::Service* service, Mode mode,
                                          int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           port);
  builder.RegisterService(service);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      creators;
  if (mode == Mode::kGls) {
    creators.push_back(gls::server::WithContextBackup(/*enable=*/true,
                                                      /*async=*/false));
  } else if (mode == Mode::kNoop || mode == Mode::kNoopPair) {
    creators.push_back(std::make_unique<PassThroughServerFactory>());
  }
  if (!creators.empty()) {
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || *port == 0) {
    std::fprintf(stderr, "rpc_benchmark: cannot start a server\n");
    std::exit(1);
  }
  return server;
}

std::shared_ptr<grpc::Channel> ChannelToLeaf(Mode mode, int leaf_port) {
  if (mode != Mode::kGls && mode != Mode::kNoop && mode != Mode::kNoopPair) {
    return grpc::CreateChannel(Address(leaf_port),
                               grpc::InsecureChannelCredentials());
  }
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      creators;
  if (mode == Mode::kGls) {
    creators.push_back(
        gls::client::WithContextBackup(gls::client::RestoreMissingPersistent));
  } else if (mode == Mode::kNoopPair) {
    creators.push_back(std::make_unique<PassThroughClientFactory>());
  } else {
    creators.push_back(std::make_unique<NullClientFactory>());
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      Address(leaf_port), grpc::InsecureChannelCredentials(),
      grpc::ChannelArguments(), std::move(creators));
}

std::unique_ptr<Greeter::Stub> ClientStub(int port) {
  return Greeter::NewStub(
      grpc::CreateChannel(Address(port), grpc::InsecureChannelCredentials()));
}

namespace {
// Set before any chain is made or call is sent, read-only after.
bool g_request_w3c = false;
}  // namespace

std::unique_ptr<Chain> MakeChain(Mode mode, int leaf_port) {
  auto chain = std::make_unique<Chain>();
  chain->mode = mode;
  // Requests with W3C context: the manual modes forward it by hand too.
  chain->front = std::make_unique<FrontService>(
      mode, ChannelToLeaf(mode, leaf_port), /*copy_w3c=*/g_request_w3c);
  int port = 0;
  chain->server = StartServer(chain->front.get(), mode, &port);
  chain->stub = ClientStub(port);
  return chain;
}

Chains MakeChains(int leaf_port) {
  Chains chains;
  for (Mode mode : kAllModes) chains[mode] = MakeChain(mode, leaf_port);
  return chains;
}

const std::vector<std::pair<std::string, std::string>>& RequestMetainfo() {
  static const auto* const kMetainfo =
      new std::vector<std::pair<std::string, std::string>>{
          {"rpc-persist-tenant-id", "acme-corp-eu-west-1"},
          {"rpc-persist-trace-id", "4bf92f3577b34da6a3ce929d0e0e4736"},
          {"rpc-persist-user-id", "user-0000012345"},
          {"rpc-transit-caller", "edge-gateway-7f9c"},
      };
  return *kMetainfo;
}

bool CheckForwarded(Mode mode, absl::string_view label,
                    const grpc::Status& status, const HelloReply& reply) {
  if (!status.ok() || reply.hops_size() != 1) {
    std::fprintf(stderr, "check %s: RPC failed: %s\n",
                 std::string(label).c_str(), status.error_message().c_str());
    return false;
  }
  std::map<std::string, std::string> got(reply.hops(0).metadata().begin(),
                                         reply.hops(0).metadata().end());
  std::map<std::string, std::string> want;
  if (mode == Mode::kManual || mode == Mode::kManualPropagate ||
      mode == Mode::kGls) {
    for (const auto& [key, value] : RequestMetainfo()) {
      if (absl::StartsWith(key, "rpc-persist-")) want[key] = value;
    }
  }
  if (got != want) {
    std::fprintf(stderr, "check %s: the leaf got {%s}, want {%s}\n",
                 std::string(label).c_str(),
                 absl::StrJoin(got, ", ", absl::PairFormatter("=")).c_str(),
                 absl::StrJoin(want, ", ", absl::PairFormatter("=")).c_str());
    return false;
  }
  return true;
}

const std::vector<std::pair<std::string, std::string>>& RequestW3c() {
  static const auto* const kW3c =
      new std::vector<std::pair<std::string, std::string>>{
          {"traceparent",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
          {"tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
          {"baggage", "user=alice;pii,tier=gold,region=eu%20west"},
      };
  return *kW3c;
}

void SetRequestW3c(bool w3c) { g_request_w3c = w3c; }

grpc::Status Call(Greeter::Stub& stub, bool metainfo, absl::string_view name,
                  HelloReply* reply) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  if (metainfo) {
    for (const auto& [key, value] : RequestMetainfo()) {
      context.AddMetadata(key, value);
    }
  }
  if (g_request_w3c) {
    for (const auto& [key, value] : RequestW3c()) {
      context.AddMetadata(key, value);
    }
  }
  HelloRequest request;
  request.set_name(std::string(name));
  return stub.SayHello(&context, request, reply);
}

}  // namespace gls_bench
