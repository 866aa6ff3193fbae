// benchmarks/callback_chain.h
//
// scale_benchmark's chain client -> front -> leaf on gRPC's callback API: a
// callback leaf (shared by every mode) that can hold requests until told to
// answer them, and a callback front per mode that calls the leaf with the
// callback stub and finishes its reactor from the leaf call's completion, as
// a callback service written by hand does. The modes (chain_mode.h) are those
// of the sync chain: plain, manual, manual-propagate (here
// ClientContext::FromCallbackServerContext), gls and the pass-through ones.
//
// Example:
//
//   gls_bench::CallbackLeafService leaf;
//   int leaf_port = 0;
//   std::unique_ptr<grpc::Server> leaf_server =
//       gls_bench::StartServer(&leaf, gls_bench::Mode::kPlain, &leaf_port);
//   std::unique_ptr<gls_bench::CallbackChain> chain =
//       gls_bench::MakeCallbackChain(gls_bench::Mode::kGls, leaf_port);
//   // chain->stub->async()->SayHello(...): see callback_load.h
//
// Thread-safety: the services take concurrent calls; CallbackLeafService's
// Hold* and Release are thread-safe.

#ifndef GLS_BENCHMARKS_CALLBACK_CHAIN_H_
#define GLS_BENCHMARKS_CALLBACK_CHAIN_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gls/benchmarks/chain_mode.h"
#include "proto/greeter.grpc.pb.h"

namespace gls_bench {

// A request with this name is held by the leaf until Release().
inline constexpr absl::string_view kHoldName = "hold";

// The callback leaf: replies with the request's name at once (for
// kCheckName, with the rpc-* headers it received, as LeafService does), or,
// for kHoldName, once Release() is called.
class CallbackLeafService final
    : public gls::examples::Greeter::CallbackService {
 public:
  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* context,
                                     const gls::examples::HelloRequest* request,
                                     gls::examples::HelloReply* reply) override;

  // Waits until `count` held requests have arrived, at most `timeout`;
  // returns whether they did.
  bool WaitHeld(int64_t count, absl::Duration timeout);
  // Answers every held request.
  void Release();

 private:
  absl::Mutex mu_;
  std::vector<grpc::ServerUnaryReactor*> held_ ABSL_GUARDED_BY(mu_);
};

// The callback front: calls the leaf with the callback stub and a
// ClientContext as its mode says (see FrontService in chain_services.h) and
// finishes with the leaf call's status and reply.
class CallbackFrontService final
    : public gls::examples::Greeter::CallbackService {
 public:
  CallbackFrontService(Mode mode, std::shared_ptr<grpc::Channel> leaf);

  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* context,
                                     const gls::examples::HelloRequest* request,
                                     gls::examples::HelloReply* reply) override;

 private:
  const Mode mode_;
  const std::unique_ptr<gls::examples::Greeter::Stub> leaf_;
};

// One mode's callback chain: its front service and server, and the client's
// stub to it.
struct CallbackChain {
  Mode mode;
  std::unique_ptr<CallbackFrontService> front;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<gls::examples::Greeter::Stub> stub;
};

// Starts the callback front of `mode` (with the mode's interceptors, as
// MakeChain does), calling the leaf at 127.0.0.1:`leaf_port`, and connects a
// client stub to it.
std::unique_ptr<CallbackChain> MakeCallbackChain(Mode mode, int leaf_port);

// Request metadata of `count` persistent values (rpc-persist-kNN) of `size`
// bytes each.
std::vector<std::pair<std::string, std::string>> PersistentValues(int count,
                                                                  int size);

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_CALLBACK_CHAIN_H_
