// gls/interceptors/server_interceptor.h
//
// Server side of context backup: captures each incoming request's metadata as
// its backup context and binds it, as a gls::Session, to the code running the
// handler, and to nothing after it.
//
//   gls::server::WithContextBackup(enable, async)
//       A factory for ServerBuilder::experimental().SetInterceptorCreators.
//       On sync and callback services (unary and streaming) the handler body
//       runs with the request's session bound; the previous binding is
//       restored when it returns. The session is ended (IsValid() false)
//       when the call is over: for a callback service that finishes its
//       reactor from other threads, that is after Finish(), not when the
//       handler returns.
//       Every request is bound, with or without metainfo ("rpc-persist-" /
//       "rpc-transit-" headers); its context is built from the request's
//       metadata the first time something reads it. With enable=false the
//       factory creates no interceptor at all.
//       Cancellation: when the request is cancelled (its client cancelled,
//       its deadline passed, its connection dropped), every outbound call in
//       flight under its session is cancelled (docs/cancellation.md).
//       Backward values the handler set (Session::SetBackwardValue) are sent
//       to the caller in the response's trailing metadata.
//   gls::server::RequestScope
//       For completion-queue (async) services, whose handlers gRPC does not
//       nest inside interceptors: binds the request's context explicitly.
//       With the factory installed, the request's cancellation reaches the
//       scope's session and its calls, as soon as the completion queue
//       delivers the call's close (the interceptor's POST_RECV_CLOSE); a
//       scope made after that starts cancelled.
//
// The first enabled factory creates the default SessionManager with
// {async} overridden by CLOUDWEGO_SESSION_CONFIG_KEY (see session_options.h);
// later factories reuse it.
//
// Example:
//
//   std::vector<std::unique_ptr<
//       grpc::experimental::ServerInterceptorFactoryInterface>> creators;
//   creators.push_back(gls::server::WithContextBackup(/*enable=*/true,
//                                                     /*async=*/false));
//   grpc::ServerBuilder builder;
//   builder.experimental().SetInterceptorCreators(std::move(creators));
//
//   // Completion-queue service, after the request's tag came back:
//   gls::server::RequestScope scope(server_context, "/pkg.Svc/Method");
//
// Thread-safety: the factory is thread-safe; RequestScope is like
// gls::SessionScope (ends on its own thread).

#ifndef GLS_INTERCEPTORS_SERVER_INTERCEPTOR_H_
#define GLS_INTERCEPTORS_SERVER_INTERCEPTOR_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_interceptor.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gls/session/binding.h"
#include "gls/session/context.h"
#include "gls/session/session.h"

namespace gls {
namespace server {

// Everything the server factory takes. A plain value (thread-compatible).
struct BackupOptions {
  // false: the factory creates no interceptor at all.
  bool enable = true;
  // Threads started while a request is bound see its session (docs/async.md,
  // "async=true"); CLOUDWEGO_SESSION_CONFIG_KEY's first field overrides it.
  bool async = false;
  // Persistent keys (any form: "tenant-id" is TENANT_ID) dropped from every
  // incoming request on receipt: handlers never see them and they never
  // travel on. For edge services whose callers may not set them.
  std::vector<std::string> strip_persistent;
  // Backward values the request's outbound calls received are also sent to
  // this request's caller (after the handler's own, which win), so a value
  // set at the leaf of a chain reaches its first client. Off: only the
  // handler's own (Session::SetBackwardValue) are sent.
  bool forward_backward = false;
  // Budget for the backward values a response carries, counted as name +
  // value + 32 bytes each; what does not fit is dropped and logged.
  size_t max_backward_bytes = 4096;
  // Backward keys (any form) never sent to this server's callers, whether
  // the handler set them or they came back from downstream (counted in
  // dropped_by_list). For edge services whose internal hops report values
  // that must not leave.
  std::vector<std::string> strip_backward;
  // W3C baggage keys (exact, case-sensitive) dropped from every incoming
  // request on receipt, like strip_persistent (docs/w3c.md). The request's traceparent, tracestate and baggage are
  // always read into its context; what travels on is the client factory's
  // `propagators` (OTEL_PROPAGATORS).
  std::vector<std::string> strip_baggage;
  // Opt-in bridge: each baggage key here (e.g. "tenant") and the persistent
  // key it names (TENANT) are one value. A request with only one of the
  // two gets the other, so an OpenTelemetry caller's baggage reaches a
  // Kitex-speaking service as rpc-persist-tenant and the other way round;
  // with both, each keeps its own value. Keys a strip list drops are never
  // bridged.
  std::vector<std::string> bridge_baggage;
};

// Returns a factory for ServerBuilder::experimental().SetInterceptorCreators
// that binds each request's session around its handler (see above). With
// `options.enable`, the first call creates the process's default
// SessionManager (its options then come from `options.async` and
// CLOUDWEGO_SESSION_CONFIG_KEY, and are fixed for the process).
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
WithContextBackup(BackupOptions options);

// The two-flag form: the options with only `enable` and `async` set.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
WithContextBackup(bool enable, bool async);

// The backup context of the request behind `context` (metainfo, other
// headers, deadline, peer), with `method` as its method.
Context ContextFromServerContext(const grpc::ServerContextBase& context,
                                 absl::string_view method = "");

// Binds the request behind `context` for the scope, then ends its session and
// restores the previous binding. Thread-compatible.
class RequestScope {
 public:
  // Binds the request behind `context`; `method` names it in its context
  // and in logs.
  explicit RequestScope(const grpc::ServerContextBase& context,
                        absl::string_view method = "");
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;
  ~RequestScope();

  // The request's session.
  const Session& session() const { return scope_.session(); }

 private:
  SessionScope scope_;
};

}  // namespace server
}  // namespace gls

#endif  // GLS_INTERCEPTORS_SERVER_INTERCEPTOR_H_
