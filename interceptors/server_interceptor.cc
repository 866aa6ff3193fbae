#include "gls/interceptors/server_interceptor.h"

#include <grpc/grpc.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <string>
#include <typeinfo>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "gls/interceptors/internal/backward.h"
#include "gls/interceptors/internal/grpc_deadline.h"
#include "gls/interceptors/internal/metadata.h"
#include "gls/interceptors/internal/request_registry.h"
#include "gls/interceptors/internal/w3c_incoming.h"
#include "gls/session/internal/cancellation.h"
#include "gls/session/internal/context_source.h"
#include "gls/session/internal/recycling_allocator.h"
#include "gls/session/internal/session_access.h"
#include "gls/session/internal/thread_inherit.h"
#include "gls/session/log.h"
#include "gls/session/metainfo.h"
#include "gls/session/session_manager.h"
#include "gls/session/session_options.h"
#include "gls/session/stats.h"

namespace gls {
namespace server {
namespace {

using grpc::experimental::InterceptionHookPoints;
using interceptors_internal::FromGrpcDeadline;
using interceptors_internal::IncomingContext;

// One factory's settings, shared by its interceptors.
struct Config {
  // Canonical persistent keys dropped on receipt, sorted.
  std::vector<std::string> strip;
  bool forward_backward = false;
  size_t max_backward_bytes = 0;
  // Canonical backward keys never sent, sorted.
  std::vector<std::string> strip_backward;
  // Baggage strip list and bridge.
  interceptors_internal::IncomingW3cRules w3c;
};

// `keys` in canonical form, sorted, without duplicates; empty keys are
// logged (naming the option) and left out.
std::vector<std::string> CanonicalKeyList(const std::vector<std::string>& keys,
                                          absl::string_view option) {
  std::vector<std::string> out;
  for (const std::string& key : keys) {
    if (key.empty()) {
      LogError(absl::StrCat("server ", option, ": an empty key is ignored"));
      continue;
    }
    out.push_back(CanonicalKey(key));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::Status RequestCancelled() {
  return absl::CancelledError("gls: the incoming request was cancelled");
}

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
// Cancellation (docs/cancellation.md): gRPC runs the POST_RECV_CLOSE hook
// when the call is closed; if that happens before the status was sent
// (PRE_SEND_STATUS), the request was cancelled, and the session is cancelled
// with every outbound call in flight under it. Callback and completion-queue
// services get that hook as soon as the close arrives; sync services only
// when something asks ServerContext::IsCancelled(), so for them this
// interceptor is the session's poller, which the cancel watcher asks while
// outbound calls are in flight, until the status is sent.
//
// After the handler's Proceed() returns, gRPC may already have deleted this
// interceptor and `methods`: only locals are touched then. The binding
// points at `session_` without copying it, so the destructor unbinds it if
// it runs inside that Proceed() (sync services). Destruction ends the
// session, so threads that inherited it (async=true) stop seeing it exactly
// when the call is over.
class BackupInterceptor final : public grpc::experimental::Interceptor,
                                private session_internal::ContextSource,
                                private session_internal::CancelPoller {
 public:
  BackupInterceptor(grpc::experimental::ServerRpcInfo* info,
                    const Config* config)
      : info_(info), config_(config), strip_(&config->strip) {}
  ~BackupInterceptor() override {
    if (session_internal::tls_current.load(std::memory_order_relaxed) ==
        &session_) {
      session_internal::tls_current.store(prev_binding_,
                                          std::memory_order_relaxed);
    }
    DetachPoller();
    interceptors_internal::ForgetRequestSessions(info_->server_context());
    SessionAccess::Seal(session_);
    session_.End();
  }

  // One per request: from this thread's recycled blocks, no malloc in steady
  // state (gRPC deletes it through its virtual destructor).
  static void* operator new(std::size_t size) {
    return session_internal::AllocateRecycled(size);
  }
  static void operator delete(void* p, std::size_t size) {
    session_internal::FreeRecycled(p, size);
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      Bind(methods);  // `this` may be gone after
      return;
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      status_sent_.store(true, std::memory_order_release);
      DetachPoller();
      interceptors_internal::AddBackwardTrailers(
          session_, config_->forward_backward, config_->max_backward_bytes,
          config_->strip_backward, info_->method(),
          *methods->GetSendTrailingMetadata());
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_CLOSE) &&
        !status_sent_.load(std::memory_order_acquire)) {
      // Closed before the status went out: cancelled.
      const absl::Status why = RequestCancelled();
      size_t n = SessionAccess::Cancel(session_, why);
      n += interceptors_internal::CancelRequestSessions(info_->server_context(),
                                                        why);
      if (stats_internal::TraceEnabled()) {
        stats_internal::Trace(absl::StrCat("cancel ", QuoteForLog(method()),
                                           ": request cancelled; ", n,
                                           " outbound call(s) cancelled"));
      }
    }
    methods->Proceed();
  }

 private:
  absl::string_view method() const {
    return info_->method() == nullptr ? "" : info_->method();
  }

  void Bind(grpc::experimental::InterceptorBatchMethods* methods) {
    Capture(methods);
    session_internal::BorrowedScope scope(&session_);
    prev_binding_ = scope.prev();
    methods->Proceed();  // the handler runs in here; `this` may be gone after
  }

  // Whether `ctx` is a callback service's. gRPC makes the contexts itself:
  // exactly grpc::ServerContext (sync and completion-queue services) or
  // grpc::CallbackServerContext (callback services; a subclass of it only
  // from a user's ContextAllocator). Comparing the exact type is a few
  // instructions; a dynamic_cast, which walks the class hierarchy, is ~180.
  static bool IsCallbackContext(const grpc::ServerContextBase& ctx) {
    const std::type_info& type = typeid(ctx);
    if (type == typeid(grpc::ServerContext)) return false;
    if (type == typeid(grpc::CallbackServerContext)) return true;
    return dynamic_cast<const grpc::CallbackServerContext*>(&ctx) != nullptr;
  }

  // Once: at the status, or at the end of a call that never sent one.
  void DetachPoller() {
    if (!poller_attached_) return;
    poller_attached_ = false;
    SessionAccess::DetachPoller(session_);
  }

  // The request's session, before its handler runs. Not inlined, so
  // benchmarks/count_instructions.py counts it (Bind's own count would hold
  // the handler's).
  ABSL_ATTRIBUTE_NOINLINE void Capture(
      grpc::experimental::InterceptorBatchMethods* methods) {
    metadata_ = methods->GetRecvInitialMetadata();
    // Whether the request carries a persistent value the strip list keeps
    // (outbound calls then may have something to restore), and how many
    // the strip list drops on receipt (dropped_by_list).
    // Also whether it carries W3C context (a traceparent or a baggage).
    bool has_persistent = false;
    bool has_w3c = false;
    size_t stripped = 0;
    for (const auto& [name_ref, value_ref] : *metadata_) {
      const absl::string_view name = interceptors_internal::View(name_ref);
      if (MetainfoKind(name) != MetaKind::kPersistent) {
        has_w3c |= IsW3cHeader(name) && name != kTraceStateHeader;
        continue;
      }
      if (!strip_->empty() &&
          interceptors_internal::IsStrippedPersistent(name, *strip_)) {
        ++stripped;
      } else if (!value_ref.empty()) {
        has_persistent = true;
      }
    }
    // A bridged persistent value becomes baggage.
    has_w3c |= has_persistent && !config_->w3c.bridge_baggage.empty();
    grpc::ServerContextBase* ctx = info_->server_context();
    // The deadline as gRPC holds it (monotonic): ctx->deadline() would read
    // two clocks to make it wall-clock time.
    session_ = SessionAccess::NewLazy(
        this, interceptors_internal::SteadyFromGrpc(ctx->raw_deadline()),
        has_persistent, has_w3c);
    // Callback services report the close by themselves.
    if (!IsCallbackContext(*ctx)) {
      SessionAccess::AttachPoller(session_, this);
      poller_attached_ = true;
    }
    stats_internal::Add(stats_internal::Counter::kRequestsBound);
    if (stripped > 0) {
      stats_internal::Add(stats_internal::Counter::kDroppedByList, stripped);
    }
    if (stats_internal::TraceEnabled()) {
      stats_internal::Trace(absl::StrCat(
          "bind ", QuoteForLog(method()), ": request bound to its session",
          stripped == 0
              ? ""
              : absl::StrCat("; stripped ", stripped, " persistent value(s)")));
    }
  }

  // CancelPoller: asked by the cancel watcher until DetachPoller. Sync
  // services only (IsCancelled() is not safe on completion-queue services,
  // whose sessions never have calls registered: they bind RequestScope's).
  bool PollCancelled() override {
    return info_->server_context()->IsCancelled();
  }
  using SessionAccess = session_internal::SessionAccess;

  // ContextSource: called under the session's lock, before it is sealed.
  Context Build() const override {
    grpc::ServerContextBase* ctx = info_->server_context();
    Context built =
        IncomingContext(*metadata_, FromGrpcDeadline(ctx->deadline()),
                        info_->method() == nullptr ? "" : info_->method(),
                        ctx->peer(), *strip_);
    if (config_->w3c.empty()) return built;
    return interceptors_internal::ApplyIncomingW3c(built, config_->w3c,
                                                   *strip_);
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

  // The server's W3C rules (strip_baggage, bridge_baggage) change what
  // Build() gives; without them it is the request's own.
  bool W3cAsReceived() const override { return config_->w3c.empty(); }

  grpc::experimental::ServerRpcInfo* const info_;
  const Config* const config_;
  const std::vector<std::string>* const strip_;
  const interceptors_internal::IncomingMetadata* metadata_ = nullptr;
  const Session* prev_binding_ = nullptr;
  std::atomic<bool> status_sent_{false};
  // Attached by Capture, detached once by DetachPoller (hooks and the
  // destructor do not run concurrently).
  bool poller_attached_ = false;
  Session session_;
};

// One per call: it must fit a recycled block, or each one is a malloc.
static_assert(sizeof(BackupInterceptor) <= session_internal::kRecycledBlockSize,
              "the interceptor no longer fits a recycled block");

class BackupFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  BackupFactory(bool enable, Config config)
      : enable_(enable), config_(std::move(config)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    if (!enable_) return nullptr;
    return new BackupInterceptor(info, &config_);
  }

 private:
  const bool enable_;
  const Config config_;
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
  Config config;
  config.strip = CanonicalKeyList(options.strip_persistent, "strip_persistent");
  config.strip_backward =
      CanonicalKeyList(options.strip_backward, "strip_backward");
  config.forward_backward = options.forward_backward;
  config.max_backward_bytes = options.max_backward_bytes;
  std::vector<std::string> errors;
  config.w3c = interceptors_internal::MakeIncomingW3cRules(
      options.strip_baggage, options.bridge_baggage, &errors);
  for (const std::string& e : errors) LogError(absl::StrCat("server ", e));
  return std::make_unique<BackupFactory>(options.enable, std::move(config));
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
    : scope_(Session(ContextFromServerContext(context, method))) {
  interceptors_internal::RegisterRequestSession(&context, scope_.session());
}

RequestScope::~RequestScope() { scope_.session().End(); }

}  // namespace server
}  // namespace gls
