// gls/interceptors/internal/w3c_incoming.h
//
// Internal to gls; not for use outside the library.
//
// The server factory's W3C rules, applied to a request's context on
// receipt (docs/w3c.md):
//   - baggage keys on `strip_baggage` are dropped: handlers never see them
//     and they never travel on;
//   - each key on `bridge_baggage` joins a baggage member and a persistent
//     value: baggage `tenant` <-> persistent TENANT (CanonicalKey). A
//     request that carries one of the two gets the other with the same
//     value; one that carries both keeps both as they are (each kind's own
//     value wins). Bridging never creates a value whose key a strip list
//     drops, nor a persistent value that is not printable ASCII (gRPC would
//     reject the header).
//
// Example:
//
//   IncomingW3cRules rules = MakeIncomingW3cRules({}, {"tenant"}, &errors);
//   Context ctx = ApplyIncomingW3c(request, rules, strip_persistent);
//   // baggage tenant=acme arrived: ctx.GetPersistent("TENANT") == "acme"
//
// Thread-safety: functions are thread-safe (pure); the rules are immutable
// once made.

#ifndef GLS_INTERCEPTORS_INTERNAL_W3C_INCOMING_H_
#define GLS_INTERCEPTORS_INTERNAL_W3C_INCOMING_H_

#include <string>
#include <vector>

#include "gls/session/context.h"

namespace gls {
namespace interceptors_internal {

struct IncomingW3cRules {
  std::vector<std::string> strip_baggage;   // exact baggage keys, sorted
  std::vector<std::string> bridge_baggage;  // baggage keys, as configured
  bool empty() const { return strip_baggage.empty() && bridge_baggage.empty(); }
};

// Checks and sorts the lists; keys that are not tokens are left out and
// described in `*errors` (may be null).
IncomingW3cRules MakeIncomingW3cRules(const std::vector<std::string>& strip,
                                      const std::vector<std::string>& bridge,
                                      std::vector<std::string>* errors);

// `ctx` with the rules applied. `strip_persistent`: the server's persistent
// strip list (canonical keys, sorted), which bridging respects.
Context ApplyIncomingW3c(const Context& ctx, const IncomingW3cRules& rules,
                         const std::vector<std::string>& strip_persistent);

}  // namespace interceptors_internal
}  // namespace gls

#endif  // GLS_INTERCEPTORS_INTERNAL_W3C_INCOMING_H_
