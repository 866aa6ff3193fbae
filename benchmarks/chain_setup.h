// benchmarks/chain_setup.h
//
// Builds rpc_benchmark's chains over loopback (127.0.0.1, ports the OS picks)
// and makes the client's calls. The leaf server is shared; each mode has its
// own front server, with the mode's server interceptor, whose channel to the
// leaf carries the mode's client interceptor (see chain_mode.h), and its own
// client channel to that front.
//
// Example:
//
//   gls_bench::LeafService leaf;
//   int leaf_port = 0;
//   std::unique_ptr<grpc::Server> leaf_server =
//       gls_bench::StartServer(&leaf, gls_bench::Mode::kPlain, &leaf_port);
//   gls_bench::Chains chains = gls_bench::MakeChains(leaf_port);
//   gls::examples::HelloReply reply;
//   grpc::Status status = gls_bench::Call(
//       *chains.at(gls_bench::Mode::kGls)->stub, /*metainfo=*/true, "bench",
//       &reply);
//
// Thread-safety: Call is thread-safe (a stub takes concurrent calls).

#ifndef GLS_BENCHMARKS_CHAIN_SETUP_H_
#define GLS_BENCHMARKS_CHAIN_SETUP_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gls/benchmarks/chain_mode.h"
#include "gls/benchmarks/chain_services.h"
#include "proto/greeter.grpc.pb.h"

namespace gls_bench {

// One mode's chain: its front service and server, and the client's stub to
// it.
struct Chain {
  Mode mode;
  std::unique_ptr<FrontService> front;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<gls::examples::Greeter::Stub> stub;
};

using Chains = std::map<Mode, std::unique_ptr<Chain>>;

// Starts a server on 127.0.0.1 for `service` with the server interceptor of
// `mode` (gls's for kGls, a pass-through one for kNoop and kNoopPair, none
// otherwise) and stores its port in `*port`. Exits with status 1 if it cannot.
std::unique_ptr<grpc::Server> StartServer(grpc::Service* service, Mode mode,
                                          int* port);

// A channel to the leaf at 127.0.0.1:`leaf_port` with the client interceptor
// of `mode` (gls's for kGls, a pass-through one for kNoopPair, a factory that
// creates nothing for kNoop, none otherwise): the front's channel.
std::shared_ptr<grpc::Channel> ChannelToLeaf(Mode mode, int leaf_port);

// A stub on a plain channel to 127.0.0.1:`port`: the client's.
std::unique_ptr<gls::examples::Greeter::Stub> ClientStub(int port);

// Starts the front of `mode`, calling the leaf at 127.0.0.1:`leaf_port`, and
// connects a client stub to it.
std::unique_ptr<Chain> MakeChain(Mode mode, int leaf_port);

// MakeChain for every mode.
Chains MakeChains(int leaf_port);

// The metainfo every benchmark request carries: 3 persistent values, 1
// transient one.
const std::vector<std::pair<std::string, std::string>>& RequestMetainfo();

// Whether the reply to a kCheckName request through a chain of `mode` (with
// `status`) shows that the leaf got exactly what the mode forwards: the
// persistent values of RequestMetainfo() in the manual modes and gls, none in
// the others. Prints what is wrong to stderr, naming the chain `label`.
bool CheckForwarded(Mode mode, absl::string_view label,
                    const grpc::Status& status,
                    const gls::examples::HelloReply& reply);

// The W3C context a request also carries after SetRequestW3c(true): a
// traceparent, a tracestate and a baggage of three members.
const std::vector<std::pair<std::string, std::string>>& RequestW3c();
// Whether every Call also sends RequestW3c() (rpc_benchmark --w3c), and
// the manual modes' fronts made after copy it by hand. Set before any chain
// is made.
void SetRequestW3c(bool w3c);

// One client call with a fresh ClientContext, a 10 s deadline and, if
// `metainfo`, the headers of RequestMetainfo(); after SetRequestW3c(true),
// also RequestW3c().
grpc::Status Call(gls::examples::Greeter::Stub& stub, bool metainfo,
                  absl::string_view name, gls::examples::HelloReply* reply);

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_CHAIN_SETUP_H_
