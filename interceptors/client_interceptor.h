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
//     ctx    what the call carries: its headers and its persistent and
//            transient values replace what the caller put on the call (a ctx
//            derived from cur keeps the caller's headers; cur itself leaves
//            the call untouched)
//     backup true: also add every persistent value of prev whose key ctx lacks
//            (ctx wins; prev's transient and upstream values never come back)
//
// The session is read on the thread that creates the call (sync, callback and
// completion-queue calls, unary and streaming). Without a bound session, or
// without a handler, nothing happens. Headers gRPC would reject are dropped and
// logged; a handler that throws leaves the call as the caller made it, logged.
// Nothing outside metainfo (authorization, cookies, ...) is taken from prev
// unless the handler puts it into ctx (Context::WithHeader).
//
// Example:
//
//   std::vector<std::unique_ptr<
//       grpc::experimental::ClientInterceptorFactoryInterface>> creators;
//   creators.push_back(gls::client::WithContextBackup(
//       [](const gls::Context& prev, const gls::Context& cur) {
//         if (cur.GetPersistent("TENANT")) return
//         gls::client::BackupResult{cur, false}; return
//         gls::client::BackupResult{cur, true};
//       }));
//   auto channel = grpc::experimental::CreateCustomChannelWithInterceptors(
//       target, grpc::InsecureChannelCredentials(), grpc::ChannelArguments(),
//       std::move(creators));
//
// Thread-safety: factories and interceptors are thread-safe; the handler is
// called concurrently from any thread that makes calls and must be
// thread-safe.

#ifndef GLS_INTERCEPTORS_CLIENT_INTERCEPTOR_H_
#define GLS_INTERCEPTORS_CLIENT_INTERCEPTOR_H_

#include <grpcpp/support/client_interceptor.h>

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "gls/session/context.h"

namespace gls {
namespace client {

struct BackupResult {
  Context ctx;          // what the call carries
  bool backup = false;  // also restore prev's missing persistent values
};

using BackupHandler =
    std::function<BackupResult(const Context& prev, const Context& cur)>;

// A handler that keeps the call's own context and restores every persistent
// value of the request that the call lacks: {cur, true}.
BackupResult RestoreMissingPersistent(const Context& prev, const Context& cur);

// A factory for grpc::experimental::CreateCustomChannelWithInterceptors. An
// empty handler makes a factory that never intercepts. Creates no interceptor
// for calls made without a bound session.
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
WithContextBackup(BackupHandler handler);

// Installs context backup for every channel of the process, through gRPC's
// global client interceptor factory (it runs innermost, after any channel
// interceptors). Returns FailedPrecondition if gls already registered one; an
// empty handler is InvalidArgument. gRPC allows one global factory per process:
// registering another one through gRPC directly aborts inside gRPC.
absl::Status RegisterGlobalContextBackup(BackupHandler handler);

// Test hook: forgets the global registration (gRPC's and gls's).
void TestOnlyResetGlobalContextBackup();

}  // namespace client
}  // namespace gls

#endif  // GLS_INTERCEPTORS_CLIENT_INTERCEPTOR_H_
