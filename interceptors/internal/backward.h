// gls/interceptors/internal/backward.h
//
// Internal to gls; not for use outside the library.
//
// Backward values on the wire: a server's response carries them as trailing
// metadata "rpc-backward-<key>" (the mapping of session/metainfo.h); a
// client collects the ones a response carried.
//
// Example:
//
//   // Server, before sending the status:
//   AddBackwardTrailers(session, /*forward_received=*/true, 4096, strip,
//                       info->method(), *methods->GetSendTrailingMetadata());
//   // Client, after receiving it:
//   CollectBackward(*methods->GetRecvTrailingMetadata(), session, 4096,
//                   info->method());
//
// Thread-safety: functions are thread-safe.

#ifndef GLS_INTERCEPTORS_INTERNAL_BACKWARD_H_
#define GLS_INTERCEPTORS_INTERNAL_BACKWARD_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gls/interceptors/internal/metadata.h"
#include "gls/session/session.h"

namespace gls {
namespace interceptors_internal {

// Adds to `trailers` the backward values the handler set on `session` and,
// with `forward_received`, those its outbound calls received that the handler
// did not set itself. Keys in `strip` (canonical, sorted) are left out
// silently (configuration, counted in dropped_by_list). What gRPC would
// reject is dropped; what does not fit in `max_bytes` (name + value + 32
// bytes each) is dropped; either is logged in one line naming the keys and
// sizes, never values. Returns how many were added.
size_t AddBackwardTrailers(const Session& session, bool forward_received,
                           size_t max_bytes,
                           const std::vector<std::string>& strip,
                           const char* method, OutgoingMetadata& trailers);

// The backward values in `trailers` (header -> canonical key), skipping
// empty keys and values gRPC would reject.
std::map<std::string, std::string> ParseBackward(
    const IncomingMetadata& trailers);

// Records ParseBackward(trailers) in `session`, in key order, while the
// session's received backward values cost at most `max_bytes` in total (a
// value received again replaces its key's earlier one and its cost; cost:
// header name + value + 32 bytes). Values that do not fit are dropped,
// counted (dropped_by_budget) and logged in one line naming each header with
// its value's length and its cost, never the value; `method` names the call
// (gRPC's form: may be null; read only to log).
// Returns how many were recorded.
size_t CollectBackward(const IncomingMetadata& trailers, const Session& session,
                       size_t max_bytes, const char* method);

}  // namespace interceptors_internal
}  // namespace gls

#endif  // GLS_INTERCEPTORS_INTERNAL_BACKWARD_H_
