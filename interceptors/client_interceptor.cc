#include "gls/interceptors/client_interceptor.h"

#include <grpc/grpc.h>
#include <grpcpp/client_context.h>

#include <exception>
#include <string>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gls/interceptors/internal/backward.h"
#include "gls/interceptors/internal/call_canceller.h"
#include "gls/interceptors/internal/metadata.h"
#include "gls/interceptors/internal/outgoing.h"
#include "gls/interceptors/internal/test_hooks.h"
#include "gls/session/internal/mutex_lock.h"
#include "gls/session/internal/recycling_allocator.h"
#include "gls/session/internal/session_access.h"
#include "gls/session/internal/steady_time.h"
#include "gls/session/log.h"
#include "gls/session/metainfo.h"
#include "gls/session/session_manager.h"
#include "gls/session/stats.h"

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
  // BackupOptions::max_backward_bytes.
  size_t max_backward_bytes = kDefaultMaxBackwardBytes;
};

// One call. At PRE_SEND_INITIAL_METADATA it rewrites what the call sends
// (`mode`), then registers the call with the session it was made under so
// that the session's cancellation reaches it (docs/cancellation.md); at
// POST_RECV_STATUS it unregisters it and collects the backward values the
// response carried into that session.
class BackupInterceptor final : public grpc::experimental::Interceptor {
 public:
  enum class Mode {
    kNone,   // send the call as made
    kStrip,  // only the strip list
    kApply,  // the handler (or its fallback) and the lists
  };

  // `config` null: kNone.
  BackupInterceptor(grpc::experimental::ClientRpcInfo* info,
                    const Config* config, Mode mode, Session session)
      : info_(info),
        config_(config),
        mode_(config == nullptr ? Mode::kNone : mode),
        session_(std::move(session)) {}
  ~BackupInterceptor() override { Unregister(); }

  // One per outbound call: from this thread's recycled blocks, no malloc in
  // steady state (gRPC deletes it through its virtual destructor).
  static void* operator new(std::size_t size) {
    return session_internal::AllocateRecycled(size);
  }
  static void operator delete(void* p, std::size_t size) {
    session_internal::FreeRecycled(p, size);
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      OutgoingMetadata& metadata = *methods->GetSendInitialMetadata();
      if (mode_ == Mode::kApply) {
        Apply(metadata);
      } else if (mode_ == Mode::kStrip) {
        const size_t n =
            interceptors_internal::StripPersistent(config_->policy, metadata);
        stats_internal::Add(stats_internal::Counter::kDroppedByList, n);
      }
      // gRPC sets the status a batch receives before its first hook, so
      // it is not null here iff this batch receives the status. (Were that
      // to change, the call would only hold a reference: the safe side.)
      Register(methods->GetRecvStatus() != nullptr);
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_STATUS)) {
      Unregister();
      // A cancelled call's response is not one: whatever trailers it has
      // are not collected, nor counted as received.
      const grpc::Status* status = methods->GetRecvStatus();
      const bool cancelled =
          status != nullptr &&
          status->error_code() == grpc::StatusCode::CANCELLED;
      if (!session_.empty() && !cancelled) {
        const size_t n = interceptors_internal::CollectBackward(
            *methods->GetRecvTrailingMetadata(), session_,
            config_ == nullptr ? kDefaultMaxBackwardBytes
                               : config_->max_backward_bytes,
            info_->method());
        if (n > 0 && stats_internal::TraceEnabled()) {
          stats_internal::Trace(absl::StrCat("backward ", QuoteForLog(method()),
                                             ": received ", n, " value(s)"));
        }
      }
    }
    methods->Proceed();
  }

 private:
  absl::string_view method() const {
    return info_->method() == nullptr ? "" : info_->method();
  }

  // Ties the call to the session's cancellation: cancelled with the request,
  // at the request's deadline, and at `call_deadline_`.
  //
  // `status_in_batch`: the batch being sent also receives the call's status
  // (sync and callback unary calls; async unary calls that do not read the
  // initial metadata first). Its POST_RECV_STATUS hook, which unregisters
  // the call, then runs before the call can go: gRPC's core holds the call
  // while the batch is pending, and its owner may not destroy the
  // ClientContext (which holds the call) before gRPC has run this
  // interceptor's hooks for the completed batch. The registration then
  // borrows the call instead of taking a reference (grpc_call_unref, with
  // the ExecCtx it builds, was a third of gls's own work per request). A
  // call whose status comes in a later batch that may never be started (a
  // stream its owner drops) holds a reference until it is unregistered.
  //
  // Register, Unregister and Apply are not inlined, so
  // benchmarks/count_instructions.py sees them.
  ABSL_ATTRIBUTE_NOINLINE void Register(bool status_in_batch) {
    using session_internal::SessionAccess;
    if (!SessionAccess::Cancellable(session_)) return;
    grpc_call* call = info_->client_context()->c_call();
    if (call == nullptr) return;
    session_internal::CancelTarget target;
    target.call = call;
    target.ops = &interceptors_internal::GrpcCallCanceller(status_in_batch);
    target.deadline = call_deadline_;
    if (SessionAccess::AddCancelTarget(session_, target)) {
      registered_ = call;
    } else {
      // The request was cancelled already: so is this call.
      target.ops->Cancel(call, SessionAccess::CancelStatus(session_));
    }
  }

  ABSL_ATTRIBUTE_NOINLINE void Unregister() {
    if (registered_ == nullptr) return;
    session_internal::SessionAccess::RemoveCancelTarget(session_, registered_);
    registered_ = nullptr;
  }

  ABSL_ATTRIBUTE_NOINLINE void Apply(OutgoingMetadata& metadata) {
    stats_internal::Add(stats_internal::Counter::kBackupsApplied);
    OutgoingReport report;
    // RestoreMissingPersistent on a request captured lazily: restore straight
    // from the request's headers, building neither prev nor cur (W3C
    // context included, unless the server's W3C rules changed it).
    bool done = false;
    if (config_->restore_missing &&
        session_internal::SessionAccess::WithSource(
            session_,
            [&](const session_internal::ContextSource& source) {
              done = interceptors_internal::RestoreFromSource(
                  source, session_internal::SessionAccess::HasW3c(session_),
                  config_->policy, metadata, &report);
            }) &&
        done) {
      Report(report);
      return;
    }
    const Context& prev = session_.context();
    Context cur = CurrentContext(metadata, info_);
    BackupResult result{cur, false};
    try {
      result = config_->handler(prev, cur);
    } catch (const std::exception& e) {
      stats_internal::Add(stats_internal::Counter::kHandlerErrors);
      LogError(absl::StrCat("context backup on ", QuoteForLog(method()),
                            ": BackupHandler threw (", QuoteForLog(e.what()),
                            "); the call goes out as the caller made it"));
      result = {cur, false};
    } catch (...) {
      stats_internal::Add(stats_internal::Counter::kHandlerErrors);
      LogError(absl::StrCat("context backup on ", QuoteForLog(method()),
                            ": BackupHandler threw a non-std exception; the "
                            "call goes out as the caller made it"));
      result = {cur, false};
    }
    // A deadline the handler put on ctx, earlier than the call's own, is
    // enforced by cancelling the call then (gRPC fixes a call's deadline
    // before interceptors run).
    if (result.ctx.deadline() < cur.deadline()) {
      call_deadline_ = session_internal::SteadyFromTime(result.ctx.deadline());
    }
    interceptors_internal::RewriteCall(prev, cur, result.ctx, result.backup,
                                       config_->policy, metadata, &report);
    Report(report);
  }

  void Report(const OutgoingReport& report) const {
    using stats_internal::Counter;
    stats_internal::Add(Counter::kValuesRestored, report.added);
    stats_internal::Add(Counter::kDroppedByBudget,
                        report.over_budget.size() +
                            report.baggage_over_budget.size() +
                            report.tracestate_over_budget);
    stats_internal::Add(Counter::kDroppedInvalid, report.illegal.size());
    stats_internal::Add(Counter::kDroppedByList, report.stripped);
    if (stats_internal::TraceEnabled()) {
      stats_internal::Trace(absl::StrCat(
          "backup ", QuoteForLog(method()), ": added ", report.added,
          ", dropped ", report.over_budget.size(), " over budget and ",
          report.illegal.size(), " invalid, stripped ", report.stripped));
    }
    if (report.ShouldLog()) {
      LogError(interceptors_internal::DescribeReport(method(), config_->policy,
                                                     report));
    }
  }

  grpc::experimental::ClientRpcInfo* const info_;
  const Config* const config_;  // null: pass-through
  const Mode mode_;
  const Session session_;
  session_internal::SteadyTime call_deadline_ = session_internal::kNoDeadline;
  grpc_call* registered_ = nullptr;  // registered with session_
};

// One per call: it must fit a recycled block, or each one is a malloc.
static_assert(sizeof(BackupInterceptor) <= session_internal::kRecycledBlockSize,
              "the interceptor no longer fits a recycled block");

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
    config_.max_backward_bytes = options.max_backward_bytes;
    config_.policy = interceptors_internal::MakeOutgoingPolicy(
        options.max_added_bytes, options.forward_headers,
        options.strip_persistent, &errors);
    interceptors_internal::SetBaggageStripList(options.strip_baggage,
                                               config_.policy, &errors);
    config_.policy.propagators = options.propagators.has_value()
                                     ? *options.propagators
                                     : PropagatorsFromEnvironment();
    for (const std::string& e : errors) LogError(absl::StrCat("client ", e));
  }

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    using Mode = BackupInterceptor::Mode;
    const Session& session = CurSession();
    const Mode rewrite =
        config_.policy.HasStripLists() ? Mode::kStrip : Mode::kNone;
    if (!session.empty()) {
      // Every call under a session is tied to its cancellation and brings
      // back its backward values, even with nothing to add.
      const Mode mode = config_.handler && !NothingToRestore(session)
                            ? Mode::kApply
                            : rewrite;
      return new BackupInterceptor(info, &config_, mode, session);
    }
    if (rewrite != Mode::kNone || always_) {
      return new BackupInterceptor(info, &config_, rewrite, Session());
    }
    return nullptr;
  }

 private:
  // True if the built-in fallback has nothing to do for calls made under
  // `session`: a request without persistent values or W3C context, and no
  // lists. The call
  // then goes out as the caller made it (its interceptor still ties it to
  // the request's cancellation and collects backward values).
  bool NothingToRestore(const Session& session) const {
    return config_.restore_missing && config_.policy.forward_headers.empty() &&
           !config_.policy.HasStripLists() &&
           !session_internal::SessionAccess::HasPersistent(session) &&
           !session_internal::SessionAccess::HasW3c(session);
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

std::map<std::string, std::string> ReceivedBackwardValues(
    const grpc::ClientContext& context) {
  return interceptors_internal::ParseBackward(
      context.GetServerTrailingMetadata());
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
