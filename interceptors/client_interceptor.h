// gls/interceptors/client_interceptor.h
//
// Client side of context backup: an outbound call made while a session is
// bound (for example from a handler, with a fresh grpc::ClientContext) goes out
// with what the user's BackupHandler decided, with the request's persistent
// values restored when asked.
//
//   BackupHandler(prev, cur) -> {ctx, backup}
//     prev   the bound session's backup context (the incoming request)
//     cur    what the call carries on its own: the metadata the caller put on
//            its ClientContext (as an outgoing Context) and its deadline
//     ctx    what the call carries: its metainfo and outgoing headers replace
//            what the caller put on the call (a ctx derived from cur keeps the
//            caller's headers; cur itself leaves the call untouched)
//     backup true: also add every persistent value of prev whose key ctx lacks
//            (ctx wins; prev's transient and upstream values never come back),
//            and the allowlisted headers of prev that ctx lacks
//
// What leaves, whatever the handler returns (see docs/security.md):
//   - metainfo (persistent and transient values), one header per canonical key;
//   - the caller's own headers, and headers the handler set with
//     Context::WithHeader or that are on the `forward_headers` allowlist.
//   Never an incoming header of prev by itself (authorization, cookies, ...):
//   a handler returning `prev`, or a context derived from it, sends metainfo
//   only.
//   - W3C context (docs/w3c.md), as
//     `propagators` (default: OTEL_PROPAGATORS) allows: the request's
//     traceparent and tracestate when the call has no traceparent of its
//     own (whatever `backup` says), and with `backup` the request's baggage
//     members whose key the call's baggage lacks. The caller's own
//     traceparent, tracestate and baggage always stay.
//   - Persistent keys on `strip_persistent`, and baggage keys on
//     `strip_baggage`, never leave, whoever set them.
//   - What gls adds beyond the caller's own headers is capped at
//     `max_added_bytes` per call (name + value + 32 bytes per header, as
//     gRPC's metadata limit counts); what does not fit is dropped, in one log
//     line naming each header and its size. The caller's own headers are
//     never dropped.
//   - Headers gRPC would reject are dropped and logged (names and sizes, never
//     values); a handler that throws leaves the call as the caller made it
//     (the strip list still applies), logged.
//
// The session is read on the thread that creates the call (sync, callback and
// completion-queue calls, unary and streaming). Without a bound session, or
// without a handler, the handler is not called (the strip list still applies).
//
// Every call made under a session is also tied to the request's cancellation
// (docs/cancellation.md): cancelled with CANCELLED when the request is
// cancelled, with DEADLINE_EXCEEDED when the request's deadline passes or
// the deadline of the ctx the handler returned passes; never for a handle
// from Session::Detach(). And the backward values its response carries
// ("rpc-backward-" trailers) are collected into that session
// (Session::GetBackwardValue); a caller without a session reads them with
// ReceivedBackwardValues(context).
//
// Example:
//
//   gls::client::BackupOptions options;
//   options.handler = [](const gls::Context& prev, const gls::Context& cur) {
//     // Keep the call's own tenant; else restore the request's values.
//     bool has_own = cur.GetPersistent("TENANT").has_value();
//     return gls::client::BackupResult{cur, /*backup=*/!has_own};
//   };
//   options.forward_headers = {"x-request-id"};
//   std::vector<std::unique_ptr<
//       grpc::experimental::ClientInterceptorFactoryInterface>> creators;
//   creators.push_back(gls::client::WithContextBackup(std::move(options)));
//   auto channel = grpc::experimental::CreateCustomChannelWithInterceptors(
//       target, grpc::InsecureChannelCredentials(), grpc::ChannelArguments(),
//       std::move(creators));
//
// Thread-safety: factories and interceptors are thread-safe; the handler is
// called concurrently from any thread that makes calls and must be
// thread-safe.

#ifndef GLS_INTERCEPTORS_CLIENT_INTERCEPTOR_H_
#define GLS_INTERCEPTORS_CLIENT_INTERCEPTOR_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_interceptor.h>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/optional.h"
#include "gls/session/context.h"
#include "gls/session/propagators.h"

namespace gls {
namespace client {

// What a BackupHandler returns: the context the call goes out with, and
// whether to restore what the request had that it lacks.
struct BackupResult {
  Context ctx;          // what the call carries
  bool backup = false;  // also restore prev's missing persistent values
};

// Decides what an outbound call made under a session carries: `prev` is
// the request's backup context, `cur` what the call carries on its own.
// Called concurrently, on the thread that creates each call.
using BackupHandler =
    std::function<BackupResult(const Context& prev, const Context& cur)>;

// A handler that keeps the call's own context and restores every persistent
// value of the request that the call lacks: {cur, true}.
BackupResult RestoreMissingPersistent(const Context& prev, const Context& cur);

// The default of BackupOptions::max_added_bytes: half of gRPC's default 8 KiB
// metadata limit, leaving the rest to the caller's own headers.
inline constexpr size_t kDefaultMaxAddedBytes = 4096;

// The default of BackupOptions::max_backward_bytes, as the server's
// default for what one response sends (server::BackupOptions).
inline constexpr size_t kDefaultMaxBackwardBytes = 4096;

// Everything the client factories take. A plain value (thread-compatible).
struct BackupOptions {
  // Called for every call made under a session; empty: never called.
  BackupHandler handler;
  // Per-call budget for the headers gls adds beyond the caller's own
  // (restored values, the handler's additions, allowlisted headers), counted
  // as name + value + 32 bytes each. What does not fit is dropped and logged.
  size_t max_added_bytes = kDefaultMaxAddedBytes;
  // Non-metainfo headers of the request that the fallback (backup = true)
  // forwards when the call lacks them. Exact names (any case), never
  // prefixes; metainfo names, the W3C ones (traceparent, tracestate,
  // baggage: see `propagators`) and gRPC's own headers are refused (logged).
  std::vector<std::string> forward_headers;
  // Which W3C context of the request calls carry; unset: the
  // OTEL_PROPAGATORS environment variable (propagators.h), whose default is
  // both trace context and baggage.
  absl::optional<Propagators> propagators;
  // Baggage keys (exact, case-sensitive) that never leave through this
  // channel, whoever set them: removed from the call's baggage.
  std::vector<std::string> strip_baggage;
  // Persistent keys (any form: "tenant-id" is TENANT_ID) that never leave
  // through this channel, whoever set them: removed before sending.
  std::vector<std::string> strip_persistent;
  // The budget on receipt for backward values: the most a session keeps of
  // what its outbound calls' responses carried, in total over its calls,
  // counted as name + value + 32 bytes each (a value received again replaces
  // its key's earlier one). What does not fit is dropped as it arrives,
  // counted in dropped_by_budget and logged (header, value length, cost).
  // Responses of cancelled calls are not collected.
  size_t max_backward_bytes = kDefaultMaxBackwardBytes;
};

// A factory for grpc::experimental::CreateCustomChannelWithInterceptors.
// Creates no interceptor for calls made without a bound session, unless a
// strip list is set (then every call is checked), nor when the handler is
// RestoreMissingPersistent, there are no lists and the request has no
// persistent value and no W3C context (nothing to add: the call goes out as
// made). Bad list
// entries are logged and ignored.
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
WithContextBackup(BackupOptions options);
// The same with only a handler and the defaults. An empty handler makes a
// factory that never intercepts.
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
WithContextBackup(BackupHandler handler);

// Installs context backup for every channel of the process, through gRPC's
// global client interceptor factory (it runs innermost, after any channel
// interceptors). Returns FailedPrecondition if gls already registered one; an
// empty handler is InvalidArgument. gRPC allows one global factory per process:
// registering another one through gRPC directly aborts inside gRPC.
absl::Status RegisterGlobalContextBackup(BackupOptions options);
// The same, with `handler` and default options.
absl::Status RegisterGlobalContextBackup(BackupHandler handler);

// The backward values a finished call's response carried ("rpc-backward-"
// trailing metadata), by canonical key; values gRPC would reject are left
// out. For callers without a session (a chain's first client); under a
// session they are also in Session::RecvAllBackwardValues(). Call it after
// the call finished (its status was received).
std::map<std::string, std::string> ReceivedBackwardValues(
    const grpc::ClientContext& context);

}  // namespace client
}  // namespace gls

#endif  // GLS_INTERCEPTORS_CLIENT_INTERCEPTOR_H_
