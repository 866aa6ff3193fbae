// gls/session/trace_context.h
//
// W3C Trace Context (https://www.w3.org/TR/trace-context/, levels 1 and 2):
// the `traceparent` and `tracestate` headers that OpenTelemetry chains
// carry. gls does not trace: it passes a request's trace context on,
// unchanged, to the calls the request's handler makes (docs/w3c.md). This header parses and checks them.
//
//   traceparent   version "-" trace-id "-" parent-id "-" trace-flags
//                 version   2 lowercase hex, not "ff"
//                 trace-id  32 lowercase hex, not all zero
//                 parent-id 16 lowercase hex, not all zero
//                 flags     2 lowercase hex (bit 0: sampled)
//                 Version "00" has exactly these four fields; a later
//                 version may carry more after a '-', which are kept (the
//                 header is forwarded as received).
//   tracestate    comma-separated key=value list-members, most recent first;
//                 at most 32 are kept, invalid or duplicate ones dropped.
//
// An invalid `traceparent` means there is no incoming trace: its
// `tracestate` is ignored too.
//
// Example:
//
//   gls::TraceContext t = gls::ParseTraceContext(
//       "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
//       "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7");
//   t.valid();      // true
//   t.trace_id;     // "4bf92f3577b34da6a3ce929d0e0e4736"
//   t.sampled();    // true
//   t.tracestate;   // "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
//
// Thread-safety: TraceContext is a plain value; the functions are
// thread-safe (pure).

#ifndef GLS_SESSION_TRACE_CONTEXT_H_
#define GLS_SESSION_TRACE_CONTEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace gls {

// The W3C Trace Context header that carries the trace id and parent id.
inline constexpr absl::string_view kTraceParentHeader = "traceparent";
// The W3C Trace Context header that carries vendors' trace state.
inline constexpr absl::string_view kTraceStateHeader = "tracestate";
// The spec's limit on tracestate list-members.
inline constexpr size_t kMaxTraceStateMembers = 32;

// A request's trace context. Empty (valid() false) when the request had no
// traceparent or an invalid one.
struct TraceContext {
  // The traceparent header as received (surrounding spaces trimmed): what
  // calls carry on. Empty: no trace.
  std::string traceparent;
  // The traceparent version (0 for level 1 and 2).
  uint8_t version = 0;
  std::string trace_id;   // 32 lowercase hex digits
  std::string parent_id;  // 16 lowercase hex digits
  uint8_t flags = 0;      // trace-flags
  // The valid list-members of tracestate, at most 32, comma-separated
  // without spaces, in the order received. Empty: none.
  std::string tracestate;

  // Whether the request carried a valid traceparent.
  bool valid() const { return !traceparent.empty(); }
  // Whether the caller sampled the trace (trace-flags bit 0).
  bool sampled() const { return (flags & 0x01) != 0; }
};

// Parses `traceparent`; on failure returns an empty TraceContext (and
// ignores `tracestate`). Otherwise the tracestate is cleaned as
// SanitizeTraceState does.
TraceContext ParseTraceContext(absl::string_view traceparent,
                               absl::string_view tracestate);

// True if `traceparent` is valid (the rules above).
bool IsValidTraceParent(absl::string_view traceparent);

// `traceparent` as TraceContext::traceparent holds it (spaces and tabs
// around it trimmed) if it is valid; empty if not. A view into
// `traceparent`: nothing is copied.
absl::string_view ValidTraceParent(absl::string_view traceparent);

// `tracestate` (one header, or several joined with ',') with its invalid and
// duplicate list-members (a key seen earlier) dropped, and only the first
// kMaxTraceStateMembers kept; members joined by ',' without spaces. Adds
// the number of members left out to `*dropped` (may be null).
std::string SanitizeTraceState(absl::string_view tracestate,
                               size_t* dropped = nullptr);

// True if SanitizeTraceState(tracestate) == tracestate: every list-member is
// valid, without spaces or tabs around it, not empty and not a duplicate,
// and there are at most kMaxTraceStateMembers. Builds nothing: a clean
// tracestate can then be used as it is.
bool IsSanitizedTraceState(absl::string_view tracestate);

}  // namespace gls

#endif  // GLS_SESSION_TRACE_CONTEXT_H_
