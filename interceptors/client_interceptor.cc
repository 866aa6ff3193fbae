#include "gls/interceptors/client_interceptor.h"

#include <grpcpp/client_context.h>

#include <exception>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gls/interceptors/internal/metadata.h"
#include "gls/interceptors/internal/outgoing.h"
#include "gls/interceptors/internal/test_hooks.h"
#include "gls/session/internal/mutex_lock.h"
#include "gls/session/internal/session_access.h"
#include "gls/session/log.h"
#include "gls/session/metainfo.h"
#include "gls/session/session_manager.h"

namespace gls {
namespace client {
namespace {

using grpc::experimental::InterceptionHookPoints;
using interceptors_internal::FromGrpcDeadline;
using interceptors_internal::OutgoingMetadata;
using interceptors_internal::OutgoingPolicy;
using interceptors_internal::OutgoingReport;

// What the call carries on its own, as an outgoing Context.
Context CurrentContext(const OutgoingMetadata& metadata,
                       grpc::experimental::ClientRpcInfo* info) {
  Context::Builder builder(Context::Direction::kOutgoing);
  for (const auto& [name, value] : metadata) builder.AddHeader(name, value);
  return builder
      .SetDeadline(FromGrpcDeadline(info->client_context()->deadline()))
      .SetMethod(info->method() == nullptr ? "" : info->method())
      .Build();
}

// The handler and the policy of one factory.
struct Config {
  BackupHandler handler;
  // The handler is RestoreMissingPersistent: the fallback can run straight
  // from the request's headers.
  bool restore_missing = false;
  OutgoingPolicy policy;
};

class BackupInterceptor final : public grpc::experimental::Interceptor {
 public:
  // `session` empty: only the strip list applies.
  BackupInterceptor(grpc::experimental::ClientRpcInfo* info,
                    const Config* config, Session session)
      : info_(info), config_(config), session_(std::move(session)) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (config_ != nullptr &&
        methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      Apply(*methods->GetSendInitialMetadata());
    }
    methods->Proceed();
  }

 private:
  absl::string_view method() const {
    return info_->method() == nullptr ? "" : info_->method();
  }

  void Apply(OutgoingMetadata& metadata) {
    if (session_.empty() || !config_->handler) {
      interceptors_internal::StripPersistent(config_->policy, metadata);
      return;
    }
    OutgoingReport report;
    // RestoreMissingPersistent on a request captured lazily: restore straight
    // from the request's headers, building neither prev nor cur.
    bool done = false;
    if (config_->restore_missing &&
        session_internal::SessionAccess::WithSource(
            session_,
            [&](const session_internal::ContextSource& source) {
              done = interceptors_internal::RestoreFromSource(
                  source, config_->policy, metadata, &report);
            }) &&
        done) {
      LogReport(report);
      return;
    }
    const Context& prev = session_.context();
    Context cur = CurrentContext(metadata, info_);
    BackupResult result{cur, false};
    try {
      result = config_->handler(prev, cur);
    } catch (const std::exception& e) {
      LogError(absl::StrCat("context backup on ", QuoteForLog(method()),
                            ": BackupHandler threw (", QuoteForLog(e.what()),
                            "); the call goes out as the caller made it"));
      result = {cur, false};
    } catch (...) {
      LogError(absl::StrCat("context backup on ", QuoteForLog(method()),
                            ": BackupHandler threw a non-std exception; the "
                            "call goes out as the caller made it"));
      result = {cur, false};
    }
    interceptors_internal::RewriteCall(prev, cur, result.ctx, result.backup,
                                       config_->policy, metadata, &report);
    LogReport(report);
  }

  void LogReport(const OutgoingReport& report) const {
    if (report.ShouldLog()) {
      LogError(interceptors_internal::DescribeReport(method(), config_->policy,
                                                     report));
    }
  }

  grpc::experimental::ClientRpcInfo* const info_;
  const Config* const config_;  // null: pass-through
  const Session session_;
};

class BackupFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  // `always` makes an interceptor for every call (gRPC's global factory must
  // never return nullptr).
  BackupFactory(BackupOptions options, bool always) : always_(always) {
    std::vector<std::string> errors;
    config_.handler = std::move(options.handler);
    using HandlerFn = BackupResult (*)(const Context&, const Context&);
    const HandlerFn* fn = config_.handler.target<HandlerFn>();
    config_.restore_missing = fn != nullptr && *fn == &RestoreMissingPersistent;
    config_.policy = interceptors_internal::MakeOutgoingPolicy(
        options.max_added_bytes, options.forward_headers,
        options.strip_persistent, &errors);
    for (const std::string& e : errors) LogError(absl::StrCat("client ", e));
  }

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    const Session& session = CurSession();
    if (!session.empty() && config_.handler && !NothingToDo(session)) {
      return new BackupInterceptor(info, &config_, session);
    }
    if (!config_.policy.strip_persistent.empty()) {
      return new BackupInterceptor(info, &config_, Session());
    }
    return always_ ? new BackupInterceptor(info, nullptr, Session()) : nullptr;
  }

 private:
  // True if the built-in fallback has nothing to add to any call made under
  // `session` (a request without persistent values, no lists): the call
  // then goes out as the caller made it, without an interceptor.
  bool NothingToDo(const Session& session) const {
    if (!config_.restore_missing || !config_.policy.forward_headers.empty() ||
        !config_.policy.strip_persistent.empty()) {
      return false;
    }
    bool found = false;
    if (session_internal::SessionAccess::WithSource(
            session, [&](const session_internal::ContextSource& source) {
              source.ForEachHeader([&](absl::string_view name,
                                       absl::string_view value) {
                found = found || (!value.empty() &&
                                  MetainfoKind(name) == MetaKind::kPersistent);
              });
            })) {
      return !found;
    }
    return session.context().persistent().empty();
  }

  Config config_;
  const bool always_;
};

// The global registration (RegisterGlobalContextBackup). gRPC keeps a raw
// pointer to the registered factory; gls owns it.
absl::Mutex g_global_mu(absl::kConstInit);
grpc::experimental::ClientInterceptorFactoryInterface* g_global_factory
    ABSL_GUARDED_BY(g_global_mu) = nullptr;

}  // namespace

BackupResult RestoreMissingPersistent(const Context& prev, const Context& cur) {
  return BackupResult{cur, true};
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
WithContextBackup(BackupOptions options) {
  return std::make_unique<BackupFactory>(std::move(options), /*always=*/false);
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
WithContextBackup(BackupHandler handler) {
  BackupOptions options;
  options.handler = std::move(handler);
  return WithContextBackup(std::move(options));
}

absl::Status RegisterGlobalContextBackup(BackupOptions options) {
  if (!options.handler) {
    return absl::InvalidArgumentError(
        "RegisterGlobalContextBackup: the handler is empty");
  }
  session_internal::MutexLock lock(&g_global_mu);
  if (g_global_factory != nullptr) {
    return absl::FailedPreconditionError(
        "RegisterGlobalContextBackup: context backup is already registered "
        "as gRPC's global client interceptor; gRPC allows one per process");
  }
  g_global_factory = new BackupFactory(std::move(options), /*always=*/true);
  grpc::experimental::RegisterGlobalClientInterceptorFactory(g_global_factory);
  return absl::OkStatus();
}

absl::Status RegisterGlobalContextBackup(BackupHandler handler) {
  BackupOptions options;
  options.handler = std::move(handler);
  return RegisterGlobalContextBackup(std::move(options));
}

}  // namespace client

namespace interceptors_internal {

void TestOnlyResetGlobalContextBackup() {
  session_internal::MutexLock lock(&client::g_global_mu);
  if (client::g_global_factory == nullptr) return;
  grpc::experimental::TestOnlyResetGlobalClientInterceptorFactory();
  delete client::g_global_factory;
  client::g_global_factory = nullptr;
}

}  // namespace interceptors_internal
}  // namespace gls
