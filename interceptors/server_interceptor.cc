#include "gls/interceptors/server_interceptor.h"

#include <grpc/grpc.h>

#include <algorithm>
#include <string>
#include <utility>

#include "gls/interceptors/internal/metadata.h"
#include "gls/session/internal/context_source.h"
#include "gls/session/internal/session_access.h"
#include "gls/session/internal/thread_inherit.h"
#include "gls/session/log.h"
#include "gls/session/metainfo.h"
#include "gls/session/session_manager.h"
#include "gls/session/session_options.h"

namespace gls {
namespace server {
namespace {

using grpc::experimental::InterceptionHookPoints;
using interceptors_internal::FromGrpcDeadline;
using interceptors_internal::IncomingContext;

// Binds the request's session around the Proceed() that runs the handler on
// sync and callback services. Every request is bound, with or without
// metainfo. The session is captured lazily: it keeps a pointer to the
// request's metadata as gRPC holds it (this object is its ContextSource) and
// builds the Context only when something reads it. gRPC destroys this
// interceptor at the end of the call, before the ServerContext that owns the
// metadata (the interceptors belong to its ServerRpcInfo): the destructor
// seals the session there, building it if any copy of it is held elsewhere
// (carried work, outbound calls in flight, copies kept by the handler, also
// ones made after Finish()), and detaching it from the metadata either way.
// tests/lazy_capture_test.cc reads such copies after the server is gone,
// under AddressSanitizer in CI.
//
// After the handler's Proceed() returns, gRPC may already have deleted this
// interceptor and `methods`: only locals are touched then. The binding
// points at `session_` without copying it, so the destructor unbinds it if
// it runs inside that Proceed() (sync services). Destruction ends the
// session, so threads that inherited it (async=true) stop seeing it exactly
// when the call is over.
class BackupInterceptor final : public grpc::experimental::Interceptor,
                                private session_internal::ContextSource {
 public:
  // `strip`: canonical persistent keys dropped on receipt, sorted.
  BackupInterceptor(grpc::experimental::ServerRpcInfo* info,
                    const std::vector<std::string>* strip)
      : info_(info), strip_(strip) {}
  ~BackupInterceptor() override {
    if (session_internal::tls_current.load(std::memory_order_relaxed) ==
        &session_) {
      session_internal::tls_current.store(prev_binding_,
                                          std::memory_order_relaxed);
    }
    SessionAccess::Seal(session_);
    session_.End();
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      methods->Proceed();
      return;
    }
    metadata_ = methods->GetRecvInitialMetadata();
    session_ = SessionAccess::NewLazy(
        this, FromGrpcDeadline(info_->server_context()->deadline()));
    session_internal::BorrowedScope scope(&session_);
    prev_binding_ = scope.prev();
    methods->Proceed();  // the handler runs in here; `this` may be gone after
  }

 private:
  using SessionAccess = session_internal::SessionAccess;

  // ContextSource: called under the session's lock, before it is sealed.
  Context Build() const override {
    grpc::ServerContextBase* ctx = info_->server_context();
    return IncomingContext(*metadata_, FromGrpcDeadline(ctx->deadline()),
                           info_->method() == nullptr ? "" : info_->method(),
                           ctx->peer(), *strip_);
  }
  void ForEachHeader(
      absl::FunctionRef<void(absl::string_view, absl::string_view)> fn)
      const override {
    for (const auto& [name_ref, value_ref] : *metadata_) {
      absl::string_view name = interceptors_internal::View(name_ref);
      if (IsTransportHeader(name) ||
          interceptors_internal::IsStrippedPersistent(name, *strip_)) {
        continue;
      }
      fn(name, interceptors_internal::View(value_ref));
    }
  }

  grpc::experimental::ServerRpcInfo* const info_;
  const std::vector<std::string>* const strip_;
  const interceptors_internal::IncomingMetadata* metadata_ = nullptr;
  const Session* prev_binding_ = nullptr;
  Session session_;
};

class BackupFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  BackupFactory(bool enable, std::vector<std::string> strip)
      : enable_(enable), strip_(std::move(strip)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    if (!enable_) return nullptr;
    return new BackupInterceptor(info, &strip_);
  }

 private:
  const bool enable_;
  const std::vector<std::string> strip_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
WithContextBackup(BackupOptions options) {
  if (options.enable) {
    SessionOptions code;
    code.async = options.async;
    // Creates the process's default manager once; its options (async from
    // here or the environment) are fixed from then on.
    const SessionManager& manager = SessionManager::InitDefault(code);
    if (manager.options().async &&
        !session_internal::ThreadInheritanceEnabled()) {
      absl::Status status = session_internal::EnableThreadInheritance(
          reinterpret_cast<const void*>(&grpc_init));
      if (!status.ok()) LogError(status.message());
    }
  }
  std::vector<std::string> strip;
  for (const std::string& key : options.strip_persistent) {
    if (key.empty()) {
      LogError("server strip_persistent: an empty key is ignored");
      continue;
    }
    strip.push_back(CanonicalKey(key));
  }
  std::sort(strip.begin(), strip.end());
  strip.erase(std::unique(strip.begin(), strip.end()), strip.end());
  return std::make_unique<BackupFactory>(options.enable, std::move(strip));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
WithContextBackup(bool enable, bool async) {
  BackupOptions options;
  options.enable = enable;
  options.async = async;
  return WithContextBackup(std::move(options));
}

Context ContextFromServerContext(const grpc::ServerContextBase& context,
                                 absl::string_view method) {
  return IncomingContext(context.client_metadata(),
                         FromGrpcDeadline(context.deadline()), method,
                         context.peer());
}

RequestScope::RequestScope(const grpc::ServerContextBase& context,
                           absl::string_view method)
    : scope_(Session(ContextFromServerContext(context, method))) {}

RequestScope::~RequestScope() { scope_.session().End(); }

}  // namespace server
}  // namespace gls
