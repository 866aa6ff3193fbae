#include "gls/interceptors/server_interceptor.h"

#include <grpc/grpc.h>

#include <algorithm>
#include <utility>

#include "gls/interceptors/internal/metadata.h"
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
using interceptors_internal::HasMetainfo;
using interceptors_internal::IncomingContext;

// Binds the request's session around the Proceed() that runs the handler on
// sync and callback services. After that Proceed() returns, gRPC may already
// have deleted this interceptor and `methods`: only locals are touched then.
// gRPC destroys the interceptor when the call is over (after the status went
// out, on whichever thread finished it): that ends the session, so threads
// that inherited it (async=true) stop seeing it exactly then.
class BackupInterceptor final : public grpc::experimental::Interceptor {
 public:
  // `strip`: canonical persistent keys dropped on receipt, sorted.
  BackupInterceptor(grpc::experimental::ServerRpcInfo* info,
                    const std::vector<std::string>* strip)
      : info_(info), strip_(strip) {}
  ~BackupInterceptor() override { session_.End(); }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      methods->Proceed();
      return;
    }
    session_ = MakeSession(*methods->GetRecvInitialMetadata());
    SessionScope scope(session_);
    methods->Proceed();  // the handler runs in here; `this` may be gone after
  }

 private:
  Session MakeSession(const interceptors_internal::IncomingMetadata& md) {
    if (!HasMetainfo(md)) return Session();
    grpc::ServerContextBase* ctx = info_->server_context();
    return Session(IncomingContext(md, FromGrpcDeadline(ctx->deadline()),
                                   info_->method(), ctx->peer(), *strip_));
  }

  grpc::experimental::ServerRpcInfo* const info_;
  const std::vector<std::string>* const strip_;
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
