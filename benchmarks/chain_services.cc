// benchmarks/chain_services.cc
//
// The services and interceptor factories of chain_services.h.

#include "gls/benchmarks/chain_services.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"

namespace gls_bench {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;

absl::string_view View(grpc::string_ref s) {
  return absl::string_view(s.data(), s.size());
}

// gRPC's interceptor machinery, nothing else.
class PassThroughInterceptor final : public grpc::experimental::Interceptor {
 public:
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }
};

}  // namespace

void CopyPersistentHeaders(const grpc::ServerContextBase& context,
                           grpc::ClientContext* downstream, bool w3c) {
  for (const auto& [name, value] : context.client_metadata()) {
    const absl::string_view n = View(name);
    if (absl::StartsWith(n, "rpc-persist-") ||
        (w3c && (n == "traceparent" || n == "tracestate" || n == "baggage"))) {
      downstream->AddMetadata(std::string(View(name)),
                              std::string(View(value)));
    }
  }
}

void ReportReceivedHeaders(const grpc::ServerContextBase& context,
                           HelloReply* reply) {
  gls::examples::Hop* hop = reply->add_hops();
  hop->set_service("leaf");
  for (const auto& [name, value] : context.client_metadata()) {
    if (absl::StartsWith(View(name), "rpc-")) {
      (*hop->mutable_metadata())[std::string(View(name))] =
          std::string(View(value));
    }
  }
}

grpc::Status LeafService::SayHello(grpc::ServerContext* context,
                                   const HelloRequest* request,
                                   HelloReply* reply) {
  if (request->name() == kCheckName) ReportReceivedHeaders(*context, reply);
  reply->set_message(request->name());
  return grpc::Status::OK;
}

FrontService::FrontService(Mode mode, std::shared_ptr<grpc::Channel> leaf,
                           bool copy_w3c)
    : mode_(mode),
      copy_w3c_(copy_w3c),
      leaf_(Greeter::NewStub(std::move(leaf))) {}

grpc::Status FrontService::SayHello(grpc::ServerContext* context,
                                    const HelloRequest* request,
                                    HelloReply* reply) {
  if (mode_ == Mode::kManualPropagate) {
    std::unique_ptr<grpc::ClientContext> downstream =
        grpc::ClientContext::FromServerContext(*context);
    CopyPersistentHeaders(*context, downstream.get(), copy_w3c_);
    return leaf_->SayHello(downstream.get(), *request, reply);
  }
  grpc::ClientContext downstream;
  if (mode_ == Mode::kManual) {
    CopyPersistentHeaders(*context, &downstream, copy_w3c_);
  }
  return leaf_->SayHello(&downstream, *request, reply);
}

grpc::experimental::Interceptor*
PassThroughServerFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo*) {
  return new PassThroughInterceptor();
}

grpc::experimental::Interceptor* NullClientFactory::CreateClientInterceptor(
    grpc::experimental::ClientRpcInfo*) {
  return nullptr;
}

grpc::experimental::Interceptor*
PassThroughClientFactory::CreateClientInterceptor(
    grpc::experimental::ClientRpcInfo*) {
  return new PassThroughInterceptor();
}

}  // namespace gls_bench
