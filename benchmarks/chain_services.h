// benchmarks/chain_services.h
//
// The services of rpc_benchmark's chain client -> front -> leaf: the leaf
// (one, shared by every mode), the front (one per mode, forwarding as its
// mode says; see chain_mode.h), and the pass-through interceptor factories of
// the noop and noop-pair modes. chain_setup.h puts them on servers and
// channels.
//
// Example:
//
//   gls_bench::LeafService leaf;  // replies with the request's name
//   gls_bench::FrontService front(gls_bench::Mode::kManual, channel_to_leaf);
//   builder.RegisterService(&front);
//
// Thread-safety: the services take concurrent calls; the factories are
// thread-safe.

#ifndef GLS_BENCHMARKS_CHAIN_SERVICES_H_
#define GLS_BENCHMARKS_CHAIN_SERVICES_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/strings/string_view.h"
#include "gls/benchmarks/chain_mode.h"
#include "proto/greeter.grpc.pb.h"

namespace gls_bench {

// A request with this name makes the leaf report the metainfo it received.
inline constexpr absl::string_view kCheckName = "check";

// The request's rpc-persist-* headers into `downstream`, by hand: what the
// manual modes do; with `w3c`, also its traceparent, tracestate and baggage
// headers (what a service in an OpenTelemetry chain copies by hand).
void CopyPersistentHeaders(const grpc::ServerContextBase& context,
                           grpc::ClientContext* downstream, bool w3c = false);

// What a leaf adds to its reply for a request named kCheckName: one Hop
// "leaf" with the metainfo headers ("rpc-*") the request carried.
void ReportReceivedHeaders(const grpc::ServerContextBase& context,
                           gls::examples::HelloReply* reply);

// The leaf: replies with the request's name; for kCheckName, also reports the
// metainfo headers ("rpc-*") it received as one Hop.
class LeafService final : public gls::examples::Greeter::Service {
 public:
  grpc::Status SayHello(grpc::ServerContext* context,
                        const gls::examples::HelloRequest* request,
                        gls::examples::HelloReply* reply) override;
};

// The front: calls the leaf with a fresh ClientContext, as its mode says
// (kManual copies the request's rpc-persist-* headers into it;
// kManualPropagate builds it with ClientContext::FromServerContext and copies
// them too; the other modes add nothing: gls, if any, does it through
// interceptors).
class FrontService final : public gls::examples::Greeter::Service {
 public:
  // `copy_w3c`: the manual modes copy the W3C headers too
  // (CopyPersistentHeaders).
  FrontService(Mode mode, std::shared_ptr<grpc::Channel> leaf,
               bool copy_w3c = false);

  grpc::Status SayHello(grpc::ServerContext* context,
                        const gls::examples::HelloRequest* request,
                        gls::examples::HelloReply* reply) override;

 private:
  const Mode mode_;
  const bool copy_w3c_;
  const std::unique_ptr<gls::examples::Greeter::Stub> leaf_;
};

// The noop and noop-pair modes' server side: a pass-through interceptor on
// every call.
class PassThroughServerFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

// The noop mode's client side: a factory that creates nothing, as gls's does
// for a call made without a session.
class NullClientFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override;
};

// The noop-pair mode's client side: a pass-through interceptor on every call,
// as gls has on every call made under a session.
class PassThroughClientFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override;
};

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_CHAIN_SERVICES_H_
