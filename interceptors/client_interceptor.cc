#include "gls/interceptors/client_interceptor.h"

#include <grpcpp/client_context.h>

#include <exception>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gls/interceptors/internal/metadata.h"
#include "gls/session/log.h"
#include "gls/session/metainfo.h"
#include "gls/session/session_manager.h"

namespace gls {
namespace client {
namespace {

using grpc::experimental::InterceptionHookPoints;
using interceptors_internal::FromGrpcDeadline;
using interceptors_internal::IsLegalHeader;
using interceptors_internal::OutgoingMetadata;

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

// Adds `name: value` to the call's metadata unless gRPC would reject it, in
// which case it is dropped and logged.
void AddHeader(std::string name, const std::string& value, const char* method,
               OutgoingMetadata& metadata) {
  if (IsLegalHeader(name, value)) {
    metadata.emplace(std::move(name), value);
    return;
  }
  LogError(absl::StrCat("context backup on ", method == nullptr ? "" : method,
                        ": dropped header \"", absl::CEscape(name), "\" = \"",
                        absl::CEscape(value),
                        "\": gRPC rejects this key or value"));
}

// Replaces what the caller put on the call (its metadata, which `cur` was
// built from) by `ctx`: its headers, then its metainfo in wire form.
void ReplaceCallMetadata(const Context& ctx, const char* method,
                         OutgoingMetadata& metadata) {
  metadata.clear();
  for (const auto& [name, value] : ctx.headers()) {
    AddHeader(name, value, method, metadata);
  }
  ctx.ForEachWireHeader([&](std::string name, const std::string& value) {
    AddHeader(std::move(name), value, method, metadata);
  });
}

class BackupInterceptor final : public grpc::experimental::Interceptor {
 public:
  BackupInterceptor(grpc::experimental::ClientRpcInfo* info,
                    const BackupHandler* handler, Session session)
      : info_(info), handler_(handler), session_(std::move(session)) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (handler_ != nullptr &&
        methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      Apply(*methods->GetSendInitialMetadata());
    }
    methods->Proceed();
  }

 private:
  void Apply(OutgoingMetadata& metadata) {
    const Context& prev = session_.context();
    Context cur = CurrentContext(metadata, info_);
    BackupResult result;
    try {
      result = (*handler_)(prev, cur);
    } catch (const std::exception& e) {
      LogError(absl::StrCat("context backup on ", info_->method(),
                            ": BackupHandler threw (", e.what(),
                            "); the call goes out as the caller made it"));
      return;
    } catch (...) {
      LogError(absl::StrCat("context backup on ", info_->method(),
                            ": BackupHandler threw a non-std exception; the "
                            "call goes out as the caller made it"));
      return;
    }
    // The call already carries cur: only a different ctx replaces it. The
    // fallback then appends what RestorePersistent would add, without
    // building the merged context.
    if (!result.ctx.SharesRepWith(cur)) {
      ReplaceCallMetadata(result.ctx, info_->method(), metadata);
    }
    if (result.backup) {
      ForEachMissingPersistent(
          result.ctx, prev,
          [&](const std::string& key, const std::string& value) {
            AddHeader(MetainfoHeaderName(MetaKind::kPersistent, key), value,
                      info_->method(), metadata);
          });
    }
  }

  grpc::experimental::ClientRpcInfo* const info_;
  const BackupHandler* const handler_;  // null: pass-through
  const Session session_;
};

class BackupFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  // `always` makes an interceptor for every call (gRPC's global factory must
  // never return nullptr).
  BackupFactory(BackupHandler handler, bool always)
      : handler_(std::move(handler)), always_(always) {}

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    const Session& session = CurSession();
    if (session.empty() || !handler_) {
      return always_ ? new BackupInterceptor(info, nullptr, Session())
                     : nullptr;
    }
    return new BackupInterceptor(info, &handler_, session);
  }

 private:
  const BackupHandler handler_;
  const bool always_;
};

absl::Mutex g_global_mu(absl::kConstInit);
bool g_global_registered ABSL_GUARDED_BY(g_global_mu) = false;

}  // namespace

BackupResult RestoreMissingPersistent(const Context& prev, const Context& cur) {
  return BackupResult{cur, true};
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
WithContextBackup(BackupHandler handler) {
  return std::make_unique<BackupFactory>(std::move(handler), /*always=*/false);
}

absl::Status RegisterGlobalContextBackup(BackupHandler handler) {
  if (!handler) {
    return absl::InvalidArgumentError(
        "RegisterGlobalContextBackup: the handler is empty");
  }
  absl::MutexLock lock(&g_global_mu);
  if (g_global_registered) {
    return absl::FailedPreconditionError(
        "RegisterGlobalContextBackup: context backup is already registered "
        "as gRPC's global client interceptor; gRPC allows one per process");
  }
  g_global_registered = true;
  // gRPC keeps the raw pointer for the life of the process.
  grpc::experimental::RegisterGlobalClientInterceptorFactory(
      new BackupFactory(std::move(handler), /*always=*/true));
  return absl::OkStatus();
}

void TestOnlyResetGlobalContextBackup() {
  absl::MutexLock lock(&g_global_mu);
  g_global_registered = false;
  grpc::experimental::TestOnlyResetGlobalClientInterceptorFactory();
}

}  // namespace client
}  // namespace gls
