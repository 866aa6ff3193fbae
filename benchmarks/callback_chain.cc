// benchmarks/callback_chain.cc
//
// The callback services and chains of callback_chain.h.

#include "gls/benchmarks/callback_chain.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "gls/benchmarks/chain_services.h"
#include "gls/benchmarks/chain_setup.h"

namespace gls_bench {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;

// The front's call to the leaf: lives from the handler until the leaf call
// completes.
struct LeafCall {
  std::unique_ptr<grpc::ClientContext> context;
};

}  // namespace

grpc::ServerUnaryReactor* CallbackLeafService::SayHello(
    grpc::CallbackServerContext* context, const HelloRequest* request,
    HelloReply* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reply->set_message(request->name());
  if (request->name() == kHoldName) {
    absl::MutexLock lock(&mu_);
    held_.push_back(reactor);
    return reactor;
  }
  if (request->name() == kCheckName) ReportReceivedHeaders(*context, reply);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

bool CallbackLeafService::WaitHeld(int64_t count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto arrived = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int64_t>(held_.size()) >= count;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout);
}

void CallbackLeafService::Release() {
  std::vector<grpc::ServerUnaryReactor*> held;
  {
    absl::MutexLock lock(&mu_);
    held.swap(held_);
  }
  for (grpc::ServerUnaryReactor* reactor : held) {
    reactor->Finish(grpc::Status::OK);
  }
}

CallbackFrontService::CallbackFrontService(Mode mode,
                                           std::shared_ptr<grpc::Channel> leaf)
    : mode_(mode), leaf_(Greeter::NewStub(std::move(leaf))) {}

grpc::ServerUnaryReactor* CallbackFrontService::SayHello(
    grpc::CallbackServerContext* context, const HelloRequest* request,
    HelloReply* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto* call = new LeafCall;
  if (mode_ == Mode::kManualPropagate) {
    call->context = grpc::ClientContext::FromCallbackServerContext(*context);
  } else {
    call->context = std::make_unique<grpc::ClientContext>();
  }
  if (mode_ == Mode::kManual || mode_ == Mode::kManualPropagate) {
    CopyPersistentHeaders(*context, call->context.get());
  }
  leaf_->async()->SayHello(call->context.get(), request, reply,
                           [reactor, call](grpc::Status status) {
                             delete call;
                             reactor->Finish(std::move(status));
                           });
  return reactor;
}

std::unique_ptr<CallbackChain> MakeCallbackChain(Mode mode, int leaf_port) {
  auto chain = std::make_unique<CallbackChain>();
  chain->mode = mode;
  chain->front = std::make_unique<CallbackFrontService>(
      mode, ChannelToLeaf(mode, leaf_port));
  int port = 0;
  chain->server = StartServer(chain->front.get(), mode, &port);
  chain->stub = ClientStub(port);
  return chain;
}

std::vector<std::pair<std::string, std::string>> PersistentValues(int count,
                                                                  int size) {
  std::vector<std::pair<std::string, std::string>> values;
  for (int i = 0; i < count; ++i) {
    std::string value(size, 'a' + i % 26);
    values.emplace_back(absl::StrFormat("rpc-persist-k%02d", i),
                        std::move(value));
  }
  return values;
}

}  // namespace gls_bench
