// gls/interceptors/internal/outgoing.h
//
// Internal to gls; not for use outside the library.
//
// The trust rules of one outbound call, apart from gRPC's interceptor
// machinery so that they can be tested and fuzzed as a pure function:
// `RewriteCall` turns the headers a caller put on its ClientContext into the
// headers the call leaves with, given the request's backup context (`prev`),
// the call's own context (`cur`) and what the BackupHandler returned.
//
// Rules:
//   - Only `ctx`'s metainfo and outgoing headers leave, plus, with `backup`,
//     prev's persistent values that ctx lacks and allowlisted headers of prev
//     that ctx lacks. Nothing else of prev ever leaves.
//   - One header per canonical key; ctx wins over prev.
//   - Persistent keys on the strip list never leave, whoever set them.
//   - What gls adds beyond the caller's own headers costs
//     name + value + 32 bytes each (HTTP/2's entry size, which gRPC's metadata
//     limit counts); entries over `max_added_bytes` in total are dropped, the
//     caller's own headers never are. An entry is the caller's own if the
//     caller's headers held the same value under the same name (any case) or,
//     for metainfo, the same kind and key (any spelling).
//   - W3C context (docs/w3c.md), as the
//     policy's propagators allow: the request's traceparent (and its
//     tracestate) when the call carries none of its own, whatever `backup`
//     says; with `backup`, the request's baggage members whose key the call's
//     baggage lacks, merged into the call's one baggage header. The caller's
//     own W3C headers always stay; baggage keys on the baggage strip list
//     never leave, whoever set them.
//   - The budget is spent in this order: ctx's headers (metainfo first, then
//     its W3C context), prev's persistent values, allowlisted headers, the
//     traceparent, tracestate members (the last ones dropped first), then
//     baggage members one at a time in the request's order. A member that
//     does not fit is dropped whole (never cut) and the next one tried, so a
//     caller's large baggage can never push metainfo off the call.
//   - Headers gRPC would reject are dropped, except when the call is left as
//     the caller made it (ctx is cur and the caller's headers are canonical):
//     gls never edits the caller's own call beyond the strip list, and gRPC
//     reports the caller's own bad header as it would without gls. To a
//     caller's baggage header gRPC would reject gls appends nothing (the
//     members it would have added are reported dropped).
//   - A tracestate is the caller's own (free of the budget) only if the
//     caller sent that tracestate itself, not because it sent the request's
//     traceparent; under the budget its members are cut from the end.
//   Everything dropped is recorded in the report, for one log line per call.
//
// Example:
//
//   OutgoingPolicy policy = MakeOutgoingPolicy(4096, {"x-request-id"}, {});
//   OutgoingReport report;
//   RewriteCall(prev, cur, result.ctx, result.backup, policy, metadata,
//               &report);
//   if (report.ShouldLog()) LogError(DescribeReport(method, policy, report));
//
// Thread-safety: functions are thread-safe (pure); OutgoingPolicy is
// immutable once made.

#ifndef GLS_INTERCEPTORS_INTERNAL_OUTGOING_H_
#define GLS_INTERCEPTORS_INTERNAL_OUTGOING_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gls/interceptors/internal/metadata.h"
#include "gls/session/context.h"
#include "gls/session/internal/context_source.h"
#include "gls/session/propagators.h"

namespace gls {
namespace interceptors_internal {

// The per-call rules a client applies.
struct OutgoingPolicy {
  size_t max_added_bytes = 0;
  std::vector<std::string> forward_headers;   // lowercase names, sorted
  std::vector<std::string> strip_persistent;  // canonical keys, sorted
  std::vector<std::string> strip_baggage;     // exact baggage keys, sorted
  Propagators propagators;                    // the W3C context gls adds
  bool Strips(absl::string_view key) const;   // `key` canonical
  bool StripsBaggage(absl::string_view key) const;
  bool HasStripLists() const {
    return !strip_persistent.empty() || !strip_baggage.empty();
  }
};

// Sets the baggage strip list (exact keys; keys that are not tokens are left
// out and described in `*errors`, which may be null).
void SetBaggageStripList(const std::vector<std::string>& keys,
                         OutgoingPolicy& policy,
                         std::vector<std::string>* errors);

// Normalizes the lists (lowercase names, canonical keys, sorted, unique).
// Entries that are empty, metainfo names or gRPC's own headers are left out
// and described in `*errors` (may be null).
OutgoingPolicy MakeOutgoingPolicy(size_t max_added_bytes,
                                  const std::vector<std::string>& forward,
                                  const std::vector<std::string>& strip,
                                  std::vector<std::string>* errors);

// What RewriteCall added beyond the caller's own headers and what it left out.
struct OutgoingReport {
  std::vector<std::pair<std::string, size_t>> over_budget;  // name, size
  std::vector<std::pair<std::string, size_t>> illegal;      // name, size
  // Baggage members over the budget: key, size of the member on the wire.
  std::vector<std::pair<std::string, size_t>> baggage_over_budget;
  size_t tracestate_over_budget = 0;  // tracestate members left out
  size_t stripped = 0;                // values removed by the strip lists
  size_t added = 0;                   // headers (or baggage members) added
  // True if something was dropped that the program should hear of (the strip
  // list works silently: it is configuration, not an error).
  bool ShouldLog() const {
    return !over_budget.empty() || !illegal.empty() ||
           !baggage_over_budget.empty() || tracestate_over_budget > 0;
  }
};

// Rewrites `metadata` (the caller's own headers, from which `cur` was built)
// to what the call carries (see the rules above). `report` may be null.
void RewriteCall(const Context& prev, const Context& cur, const Context& ctx,
                 bool backup, const OutgoingPolicy& policy,
                 OutgoingMetadata& metadata, OutgoingReport* report);

// The fallback of a handler returning {cur, true} (RestoreMissingPersistent),
// read straight from the request's headers as received (`source`), without
// building `prev` or `cur`: the same rules as RewriteCall, with prev's
// values taken in arrival order (the first value of a key wins), and the
// request's W3C context (traceparent, tracestate, baggage) parsed from those
// headers as Context::Builder parses it, none of the rest copied. Returns
// false, changing nothing, if the caller's own metainfo headers are not in
// canonical form, or if `w3c` (the request may hold W3C context) and the
// source's W3C context is not the request's as received
// (ContextSource::W3cAsReceived): then use RewriteCall.
bool RestoreFromSource(const session_internal::ContextSource& source, bool w3c,
                       const OutgoingPolicy& policy, OutgoingMetadata& metadata,
                       OutgoingReport* report);

// Applies only the strip lists to the caller's own headers (calls made
// without a session): persistent headers removed, baggage members removed
// from the call's baggage header (the others kept as written). Returns how
// many values were removed.
size_t StripPersistent(const OutgoingPolicy& policy,
                       OutgoingMetadata& metadata);

// One log line describing what was dropped on a call of `method` (names and
// sizes only, never values, which may be credentials). At most five names
// per kind, each cut at 64 characters: under about 1 KiB.
std::string DescribeReport(absl::string_view method,
                           const OutgoingPolicy& policy,
                           const OutgoingReport& report);

}  // namespace interceptors_internal
}  // namespace gls

#endif  // GLS_INTERCEPTORS_INTERNAL_OUTGOING_H_
