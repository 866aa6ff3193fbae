// benchmarks/chain_mode.h
//
// The modes of rpc_benchmark's chain client -> front -> leaf: what the front
// does to carry the request's metainfo to the leaf, and each mode's name on
// the command line and in the output.
//
//   plain      no interceptors; the front calls the leaf with a fresh
//              grpc::ClientContext and forwards nothing.
//   manual     no interceptors; the front copies the request's rpc-persist-*
//              headers into its fresh ClientContext by hand (what users write
//              without gls).
//   manual-propagate
//              no interceptors; the front builds its ClientContext with
//              grpc::ClientContext::FromServerContext (gRPC's propagation of
//              the request's deadline and cancellation) and copies the
//              rpc-persist-* headers into it by hand: the hand-written
//              equivalent of what gls does by default (headers, cancellation,
//              the request's deadline bounding the call). Not a bar's
//              reference; shown beside manual.
//   gls        gls::server::WithContextBackup(true, false) on the front's
//              server, gls::client::WithContextBackup(RestoreMissingPersistent)
//              on the front's channel to the leaf; the front uses a fresh
//              ClientContext.
//   noop       a pass-through server interceptor on the front and a client
//              interceptor factory that creates nothing on its channel: gRPC's
//              interceptor machinery for a server interceptor alone (how gls
//              ran for a request without metainfo before every request was
//              bound; kept for reference).
//   noop-pair  pass-through server and client interceptors on the front (on
//              every call): gRPC's interceptor machinery for the pair gls runs
//              on every request (each is bound to a session, with or without
//              metainfo), the reference for gls's own allocations.
//
// Example:
//
//   for (gls_bench::Mode mode : gls_bench::kAllModes) {
//     std::printf("%s\n", gls_bench::ModeName(mode));
//   }
//   std::optional<gls_bench::Mode> mode = gls_bench::ModeFromName("gls");

#ifndef GLS_BENCHMARKS_CHAIN_MODE_H_
#define GLS_BENCHMARKS_CHAIN_MODE_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace gls_bench {

enum class Mode { kPlain, kManual, kGls, kNoop, kNoopPair, kManualPropagate };

// Every mode, in the order of the allocation phase's output.
inline constexpr Mode kAllModes[] = {Mode::kPlain,    Mode::kManual,
                                     Mode::kGls,      Mode::kNoop,
                                     Mode::kNoopPair, Mode::kManualPropagate};
inline constexpr int kNumAllModes = 6;

// The mode's name: "plain", "manual", "gls", "noop", "noop-pair" or
// "manual-propagate".
const char* ModeName(Mode mode);

// The mode named `name` (as ModeName spells it), or nullopt.
std::optional<Mode> ModeFromName(absl::string_view name);

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_CHAIN_MODE_H_
