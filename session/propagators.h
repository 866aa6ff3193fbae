// gls/session/propagators.h
//
// Which W3C context gls carries on outbound calls, OpenTelemetry's switch:
// the environment variable OTEL_PROPAGATORS, a comma-separated list of
// propagator names, as OpenTelemetry defines it.
//
//   name           effect
//   tracecontext   traceparent and tracestate travel
//   baggage        baggage travels
//   none           nothing W3C travels (alone; "none" with others: the others)
//   (unset/empty)  tracecontext,baggage
//
// Other names (b3, jaeger, xray, ...) are not gls's to carry: they are
// logged once per process and ignored. Metainfo travels whatever this says.
// The client factory's `propagators` option overrides the variable.
//
// Example:
//
//   std::vector<std::string> unknown;
//   gls::Propagators p = gls::ParsePropagators("tracecontext,b3", &unknown);
//   // p.trace_context == true, p.baggage == false, unknown == {"b3"}
//   const gls::Propagators& env = gls::PropagatorsFromEnvironment();
//
// Thread-safety: Propagators is a plain value; the functions are
// thread-safe.

#ifndef GLS_SESSION_PROPAGATORS_H_
#define GLS_SESSION_PROPAGATORS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace gls {

// The OpenTelemetry variable that chooses the W3C formats gls carries
// (`tracecontext`, `baggage`, `none`), read once per process.
inline constexpr char kPropagatorsEnv[] = "OTEL_PROPAGATORS";

// Which W3C formats gls adds to outbound calls. A plain value type:
// thread-compatible.
struct Propagators {
  bool trace_context = true;  // traceparent + tracestate
  // Whether baggage is carried.
  bool baggage = true;
  // Whether any W3C format is carried.
  bool any() const { return trace_context || baggage; }
  // Equal if both choose the same formats.
  bool operator==(const Propagators& o) const {
    return trace_context == o.trace_context && baggage == o.baggage;
  }
};

// Parses the variable's format (names trimmed, any case). Empty text (or
// only spaces and commas) is the default, both. Names gls does not know are
// appended to `*unknown` (may be null).
Propagators ParsePropagators(absl::string_view text,
                             std::vector<std::string>* unknown);

// OTEL_PROPAGATORS, read on the first call (later changes of the variable
// are not seen); unknown names are logged once, through gls::LogError.
const Propagators& PropagatorsFromEnvironment();

}  // namespace gls

#endif  // GLS_SESSION_PROPAGATORS_H_
