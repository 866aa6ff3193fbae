// gls/fuzz/outgoing_fuzzer.cc
//
// Fuzzes the trust rules of one outbound call (interceptors/internal/
// outgoing.h): an incoming request's headers become the backup context
// `prev`, the caller's own metadata becomes `cur`, a BackupHandler-like
// choice derives `ctx`, and RewriteCall decides what the call leaves with.
//
// Input: lines separated by '\n'. The first byte of a line is an operation,
// the rest is "<a>:<b>" split at the first ':' (no ':' means b is empty):
//   i  incoming header a: b (prev = Context::Builder(kIncoming), line order)
//   o  the caller's own metadata a: b (a multimap; cur is built from it in
//      the map's order with Builder(kOutgoing), as the client interceptor does)
//   f  forward_headers entry a     s  strip_persistent entry a
//   B  max_added_bytes = a (decimal) % 16385 (default 4096)
//   k  backup = true               n  backup = false (default)
//   m  the method named in the log line (default "/gls.fuzz.Fuzz/Call")
//   c  the handler result's base, by a[0]: 'c' cur (default), 'C' a context
//      equal to cur but built anew (another representation), 'p' prev,
//      'f' a fresh Context(), 'r' RestorePersistent(cur, prev),
//      'R' RestorePersistent(prev, cur)
// and derivations applied in order to the base:
//   P  WithPersistent(a, b)   T  WithTransient(a, b)   H  WithHeader(a, b)
//   p  WithoutPersistent(a)   t  WithoutTransient(a)   x  WithoutHeader(a)
//   G  WithHeader(a, prev.GetHeader(a))         (a deliberate forward)
//   U  WithPersistent(a, prev.GetPersistent(a)) (restore one key)
//   V  WithTransient(a, prev.GetUpstream(a))    (forward an upstream value)
//   r  RestorePersistent(ctx, prev)   q  RestorePersistent(prev, ctx)
// Other lines are ignored. E.g.
//   "irpc-persist-tenant:acme\niauthorization:Bearer s3cret\nox-id:7\nk\n".
//
// "Own" below: an entry the caller's metadata had, by header identity: the
// same (kind, canonical key, value) for rpc-persist-/rpc-transit- headers,
// the same (lowercase name, value) for other headers. "Verbatim own": the
// same (name, value) byte for byte. Checks, on what RewriteCall leaves:
//   1. No two rpc-persist-/rpc-transit- headers share a name or a (kind,
//      canonical key); each such name is the canonical name of its key.
//   2. Every emitted header passes IsLegalHeader, except verbatim own ones
//      (ctx == cur leaves the caller's headers untouched).
//   3. Nothing of prev leaves by itself: an incoming header of prev
//      (authorization included) leaves only if allowlisted with backup, set in
//      ctx's outgoing headers, or own; rpc-backward-* only if own; an upstream
//      value of prev leaves as rpc-transit- only if ctx has that transient
//      value. More generally every emitted header is ctx's (outgoing header,
//      persistent or transient value), a backup-restored persistent value of
//      prev that ctx lacks, an allowlisted header of prev with backup, or
//      verbatim own.
//   4. No persistent key on the strip list leaves; StripPersistent (calls
//      without a session) removes exactly those headers and counts them.
//   5. Budget (outgoing.h: "What gls adds beyond the caller's own headers"):
//      the sum of name + value + 32 over emitted entries that are not own is
//      <= max_added_bytes; an own entry of ctx is never dropped over budget.
//   6. ctx wins: every persistent (not stripped), transient value and
//      outgoing header of ctx leaves with ctx's value or is reported dropped
//      (illegal or over budget); with backup, every persistent value of prev
//      whose key ctx lacks (not stripped) leaves with prev's value or is
//      reported dropped. Reported names are names of such candidates.
//   7. DescribeReport(method, policy, report) is < 1024 chars and no header
//      value longer than 8 chars appears in it outside the quoted method and
//      quoted header names.
//   8. The fast path agrees: for RestoreMissingPersistent (ctx is cur,
//      backup), RestoreFromSource over the request's headers as a server
//      gives them (names gRPC accepts, in gRPC's order: sorted by name,
//      arrival order within a name) leaves the call with exactly what
//      RewriteCall leaves it with, and reports the same, W3C context
//      included; or declines (a non-canonical call).
// And MakeOutgoingPolicy's lists: forward_headers are lowercase, sorted,
// unique, legal names that are neither metainfo nor gRPC's own, every other
// entry is described in `errors`; strip_persistent is the sorted, unique
// canonical form of the non-empty entries.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "gls/fuzz/fuzz_check.h"
#include "gls/interceptors/internal/metadata.h"
#include "gls/interceptors/internal/outgoing.h"
#include "gls/session/baggage.h"
#include "gls/session/context.h"
#include "gls/session/internal/context_source.h"
#include "gls/session/internal/thread_inherit.h"
#include "gls/session/log.h"
#include "gls/session/metainfo.h"

namespace {

using gls::Context;
using gls::MetaKind;
using gls::interceptors_internal::OutgoingMetadata;
using gls::interceptors_internal::OutgoingPolicy;
using gls::interceptors_internal::OutgoingReport;

constexpr size_t kMaxOps = 256;  // With* copies the context: keep runs fast
constexpr size_t kMaxBudget = 16384;
constexpr size_t kDefaultBudget = 4096;  // gls::client::kDefaultMaxAddedBytes
constexpr size_t kMaxLogLine = 1024;
constexpr size_t kMinLeakedValue = 9;  // values this long must not be logged

struct Op {
  char code;
  absl::string_view a;
  absl::string_view b;
};

struct Input {
  std::vector<std::pair<absl::string_view, absl::string_view>> incoming;
  OutgoingMetadata metadata;
  std::vector<std::string> forward;
  std::vector<std::string> strip;
  size_t budget = kDefaultBudget;
  bool backup = false;
  char base = 'c';
  std::string method = "/gls.fuzz.Fuzz/Call";
  std::vector<Op> derivations;
  std::vector<absl::string_view> values;  // every value the input names
};

Input ParseInput(absl::string_view text) {
  Input in;
  size_t ops = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty()) continue;
    if (++ops > kMaxOps) break;
    std::pair<absl::string_view, absl::string_view> ab =
        absl::StrSplit(line.substr(1), absl::MaxSplits(':', 1));
    const Op op{line[0], ab.first, ab.second};
    switch (op.code) {
      case 'i':
        in.incoming.emplace_back(op.a, op.b);
        in.values.push_back(op.b);
        break;
      case 'o':
        in.metadata.emplace(std::string(op.a), std::string(op.b));
        in.values.push_back(op.b);
        break;
      case 'f':
        in.forward.emplace_back(op.a);
        break;
      case 's':
        in.strip.emplace_back(op.a);
        break;
      case 'B': {
        uint64_t budget = 0;
        if (absl::SimpleAtoi(op.a, &budget))
          in.budget = budget % (kMaxBudget + 1);
        break;
      }
      case 'k':
        in.backup = true;
        break;
      case 'n':
        in.backup = false;
        break;
      case 'm':
        in.method = std::string(op.a);
        break;
      case 'c':
        in.base = op.a.empty() ? 'c' : op.a[0];
        break;
      case 'P':
      case 'T':
      case 'H':
        in.values.push_back(op.b);
        in.derivations.push_back(op);
        break;
      default:
        in.derivations.push_back(op);
        break;
    }
  }
  return in;
}

// What the call carries on its own (client_interceptor.cc's CurrentContext).
Context BuildCur(const OutgoingMetadata& metadata) {
  Context::Builder builder(Context::Direction::kOutgoing);
  for (const auto& [name, value] : metadata) builder.AddHeader(name, value);
  return builder.Build();
}

// The request's headers as the server interceptor's ContextSource gives
// them, over a map in gRPC's order.
class ReceivedSource final : public gls::session_internal::ContextSource {
 public:
  explicit ReceivedSource(
      const std::multimap<std::string, std::string>& headers)
      : headers_(headers) {}

  Context Build() const override {
    Context::Builder builder(Context::Direction::kIncoming);
    for (const auto& [name, value] : headers_) builder.AddHeader(name, value);
    return builder.Build();
  }
  void ForEachHeader(
      absl::FunctionRef<void(absl::string_view, absl::string_view)> fn)
      const override {
    for (const auto& [name, value] : headers_) fn(name, value);
  }
  bool W3cAsReceived() const override { return true; }

 private:
  const std::multimap<std::string, std::string>& headers_;
};

// Check 8.
void CheckFastPath(const Input& in, const OutgoingPolicy& policy,
                   const Context& cur) {
  std::multimap<std::string, std::string> received;
  bool has_w3c = false;
  for (const auto& [name, value] : in.incoming) {
    // gRPC hands a server only names it accepts (lowercase), never its own.
    if (!gls::interceptors_internal::IsLegalHeader(name, "x")) continue;
    received.emplace(std::string(name), std::string(value));
    has_w3c |= name == gls::kTraceParentHeader || name == gls::kBaggageHeader;
  }
  const ReceivedSource source(received);
  const Context prev = source.Build();
  OutgoingMetadata full = in.metadata;
  OutgoingReport full_report;
  gls::interceptors_internal::RewriteCall(prev, cur, cur, /*backup=*/true,
                                          policy, full, &full_report);
  // As the server says: whether the request may hold W3C context; and
  // with it said regardless.
  for (bool w3c : {has_w3c, true}) {
    OutgoingMetadata fast = in.metadata;
    OutgoingReport fast_report;
    if (!gls::interceptors_internal::RestoreFromSource(source, w3c, policy,
                                                       fast, &fast_report)) {
      GLS_FUZZ_CHECK(fast == in.metadata,
                     "8: a declined fast path changes nothing");
      continue;
    }
    GLS_FUZZ_CHECK(fast == full,
                   "8: the fast path leaves the call as RewriteCall does");
    GLS_FUZZ_CHECK(fast_report.over_budget == full_report.over_budget &&
                       fast_report.illegal == full_report.illegal &&
                       fast_report.baggage_over_budget ==
                           full_report.baggage_over_budget &&
                       fast_report.tracestate_over_budget ==
                           full_report.tracestate_over_budget &&
                       fast_report.stripped == full_report.stripped &&
                       fast_report.added == full_report.added,
                   "8: the fast path reports what RewriteCall reports");
  }
}

Context Base(char base, const Context& prev, const Context& cur,
             const OutgoingMetadata& metadata) {
  switch (base) {
    case 'C':
      return BuildCur(metadata);
    case 'p':
      return prev;
    case 'f':
      return Context();
    case 'r':
      return gls::RestorePersistent(cur, prev);
    case 'R':
      return gls::RestorePersistent(prev, cur);
    default:
      return cur;
  }
}

Context Derive(const Context& ctx, const Op& op, const Context& prev) {
  switch (op.code) {
    case 'P':
      return ctx.WithPersistent(op.a, op.b);
    case 'T':
      return ctx.WithTransient(op.a, op.b);
    case 'H':
      return ctx.WithHeader(op.a, op.b);
    case 'p':
      return ctx.WithoutPersistent(op.a);
    case 't':
      return ctx.WithoutTransient(op.a);
    case 'x':
      return ctx.WithoutHeader(op.a);
    case 'G': {
      absl::optional<absl::string_view> v = prev.GetHeader(op.a);
      return v ? ctx.WithHeader(op.a, *v) : ctx;
    }
    case 'U': {
      absl::optional<absl::string_view> v = prev.GetPersistent(op.a);
      return v ? ctx.WithPersistent(op.a, *v) : ctx;
    }
    case 'V': {
      absl::optional<absl::string_view> v = prev.GetUpstream(op.a);
      return v ? ctx.WithTransient(op.a, *v) : ctx;
    }
    case 'r':
      return gls::RestorePersistent(ctx, prev);
    case 'q':
      return gls::RestorePersistent(prev, ctx);
    default:
      return ctx;
  }
}

// A header's identity: (kind, canonical key, value) for persistent and
// transient headers; (kNone, lowercase name, value) for every other header
// (rpc-backward-* included: the Builder keeps those as plain headers).
using Identity = std::tuple<MetaKind, std::string, std::string>;

Identity IdentityOf(absl::string_view name, absl::string_view value) {
  std::string key;
  const MetaKind kind = gls::ParseMetainfoHeader(name, &key);
  if (kind == MetaKind::kPersistent || kind == MetaKind::kTransient) {
    return Identity(kind, std::move(key), std::string(value));
  }
  return Identity(MetaKind::kNone, absl::AsciiStrToLower(name),
                  std::string(value));
}

bool HasEntry(const Context::Headers& headers, absl::string_view name,
              absl::string_view value) {
  for (const auto& [n, v] : headers) {
    if (n == name && v == value) return true;
  }
  return false;
}

bool HasName(const Context::Headers& headers, absl::string_view name) {
  for (const auto& entry : headers) {
    if (entry.first == name) return true;
  }
  return false;
}

bool Contains(const std::vector<std::string>& v, absl::string_view s) {
  for (const std::string& e : v) {
    if (e == s) return true;
  }
  return false;
}

bool Reported(const OutgoingReport& report, absl::string_view name) {
  for (const auto* list : {&report.over_budget, &report.illegal}) {
    for (const auto& entry : *list) {
      if (entry.first == name) return true;
    }
  }
  return false;
}

bool ReportedOverBudget(const OutgoingReport& report, absl::string_view name) {
  for (const auto& entry : report.over_budget) {
    if (entry.first == name) return true;
  }
  return false;
}

// One emitted header with its parsed kind and key.
struct Emitted {
  std::string name;
  std::string value;
  MetaKind kind;
  std::string key;  // canonical; for kPersistent / kTransient
};

// Everything the checks need to know about one run.
struct Run {
  const Input& in;
  const OutgoingPolicy& policy;
  const Context& prev;
  const Context& ctx;
  const std::vector<Emitted>& emitted;
  const OutgoingReport& report;
  std::set<Identity> own;  // identities of the caller's metadata entries

  bool VerbatimOwn(absl::string_view name, absl::string_view value) const {
    auto range = in.metadata.equal_range(std::string(name));
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second == value) return true;
    }
    return false;
  }
  bool Own(absl::string_view name, absl::string_view value) const {
    return own.count(IdentityOf(name, value)) > 0;
  }
  bool Stripped(absl::string_view key) const {
    for (const std::string& s : in.strip) {
      if (!s.empty() && gls::CanonicalKey(s) == key) return true;
    }
    return false;
  }
  // The emitted value of (kind, key), if any.
  const Emitted* Find(MetaKind kind, absl::string_view key) const {
    for (const Emitted& e : emitted) {
      if (e.kind == kind && e.key == key) return &e;
    }
    return nullptr;
  }
};

// The policy is the normalized form of the lists.
void CheckPolicy(const Input& in, const OutgoingPolicy& policy,
                 const std::vector<std::string>& errors) {
  const std::vector<std::string>& forward = policy.forward_headers;
  GLS_FUZZ_CHECK(
      std::is_sorted(forward.begin(), forward.end()) &&
          std::adjacent_find(forward.begin(), forward.end()) == forward.end(),
      "policy: forward_headers are sorted and unique");
  for (const std::string& name : forward) {
    GLS_FUZZ_CHECK(
        !name.empty() && name == absl::AsciiStrToLower(name) &&
            !absl::StartsWithIgnoreCase(name, gls::kPersistentPrefix) &&
            !absl::StartsWithIgnoreCase(name, gls::kTransientPrefix) &&
            !absl::StartsWithIgnoreCase(name, gls::kBackwardPrefix) &&
            !gls::IsTransportHeader(name) &&
            gls::interceptors_internal::IsLegalHeader(name, "x"),
        "policy: a forward_headers entry is a lowercase, legal, non-metainfo "
        "name gRPC lets a call set");
  }
  size_t rejected = 0;
  for (const std::string& name : in.forward) {
    rejected += Contains(forward, absl::AsciiStrToLower(name)) ? 0 : 1;
  }
  std::vector<std::string> strip;
  for (const std::string& key : in.strip) {
    if (key.empty()) {
      ++rejected;
    } else {
      strip.push_back(gls::CanonicalKey(key));
    }
  }
  std::sort(strip.begin(), strip.end());
  strip.erase(std::unique(strip.begin(), strip.end()), strip.end());
  GLS_FUZZ_CHECK(policy.strip_persistent == strip,
                 "policy: strip_persistent is the sorted, unique canonical "
                 "form of the non-empty entries");
  GLS_FUZZ_CHECK(errors.size() == rejected,
                 "policy: every entry left out is described in errors");
}

// 4. StripPersistent (a call without a session): exactly the persistent
// headers whose key is on the strip list go.
void CheckStripPersistent(const Input& in, const OutgoingPolicy& policy) {
  OutgoingMetadata metadata = in.metadata;
  const size_t removed =
      gls::interceptors_internal::StripPersistent(policy, metadata);
  OutgoingMetadata expected;
  std::string key;
  for (const auto& [name, value] : in.metadata) {
    if (gls::ParseMetainfoHeader(name, &key) == MetaKind::kPersistent &&
        std::binary_search(policy.strip_persistent.begin(),
                           policy.strip_persistent.end(), key)) {
      continue;
    }
    expected.emplace(name, value);
  }
  GLS_FUZZ_CHECK(
      metadata == expected && removed == in.metadata.size() - expected.size(),
      "4: StripPersistent removes exactly the persistent headers "
      "on the strip list, and counts them");
}

// 1. One header per canonical key, under its canonical name.
void CheckUniqueMetainfo(const Run& run) {
  std::set<std::string> names;
  std::set<std::pair<MetaKind, std::string>> keys;
  for (const Emitted& e : run.emitted) {
    if (e.kind != MetaKind::kPersistent && e.kind != MetaKind::kTransient) {
      continue;
    }
    GLS_FUZZ_CHECK(names.insert(e.name).second,
                   "1: no metainfo header name is emitted twice");
    GLS_FUZZ_CHECK(keys.emplace(e.kind, e.key).second,
                   "1: no two metainfo headers share a (kind, canonical key)");
    GLS_FUZZ_CHECK(e.name == gls::MetainfoHeaderName(e.kind, e.key),
                   "1: an emitted metainfo name is its key's canonical name");
  }
}

// 2. Legal headers only (the caller's verbatim own headers excepted).
void CheckLegal(const Run& run) {
  for (const Emitted& e : run.emitted) {
    if (run.VerbatimOwn(e.name, e.value)) continue;
    GLS_FUZZ_CHECK(gls::interceptors_internal::IsLegalHeader(e.name, e.value),
                   "2: every header gls emits passes IsLegalHeader");
  }
}

// 3. (W3C) A traceparent is ctx's, prev's (when ctx has none) or the
// caller's verbatim own; a tracestate's members are ctx's, prev's or the
// caller's; each baggage member is ctx's, (backup) prev's, or the caller's.
void CheckW3cProvenance(const Run& run, const Emitted& e,
                        const std::string& lower) {
  if (run.VerbatimOwn(e.name, e.value)) return;
  if (lower == gls::kTraceParentHeader) {
    GLS_FUZZ_CHECK(
        (run.ctx.trace().valid() && e.value == run.ctx.trace().traceparent) ||
            (run.prev.trace().valid() &&
             e.value == run.prev.trace().traceparent),
        "3: an emitted traceparent is ctx's or prev's");
    return;
  }
  if (lower == gls::kTraceStateHeader) {
    const std::string& mine = run.ctx.trace().tracestate;
    const std::string& theirs = run.prev.trace().tracestate;
    GLS_FUZZ_CHECK(
        absl::StartsWith(mine, e.value) || absl::StartsWith(theirs, e.value),
        "3: an emitted tracestate is the first members of ctx's "
        "or prev's");
    return;
  }
  gls::Baggage sent;
  gls::ParseBaggage(e.value, &sent);
  gls::Baggage own;
  auto range = run.in.metadata.equal_range(std::string(gls::kBaggageHeader));
  for (auto it = range.first; it != range.second; ++it) {
    gls::ParseBaggage(it->second, &own);
  }
  for (const gls::BaggageEntry& m : sent) {
    const gls::BaggageEntry* c = gls::FindBaggage(run.ctx.baggage(), m.key);
    const gls::BaggageEntry* p = gls::FindBaggage(run.prev.baggage(), m.key);
    const gls::BaggageEntry* o = gls::FindBaggage(own, m.key);
    GLS_FUZZ_CHECK((c != nullptr && *c == m) || (o != nullptr) ||
                       (run.in.backup && p != nullptr && *p == m),
                   "3: an emitted baggage member is ctx's, the caller's or "
                   "(backup) prev's");
    GLS_FUZZ_CHECK(!run.policy.StripsBaggage(m.key) || o != nullptr,
                   "4: no baggage key on the strip list leaves");
  }
}

// 3. and 4. Where each emitted header comes from.
void CheckProvenance(const Run& run) {
  for (const Emitted& e : run.emitted) {
    switch (e.kind) {
      case MetaKind::kPersistent: {
        GLS_FUZZ_CHECK(!run.policy.Strips(e.key) && !run.Stripped(e.key),
                       "4: no persistent key on the strip list leaves");
        const absl::optional<absl::string_view> mine =
            run.ctx.GetPersistent(e.key);
        GLS_FUZZ_CHECK(
            mine == absl::string_view(e.value) ||
                (run.in.backup && !mine &&
                 run.prev.GetPersistent(e.key) == absl::string_view(e.value)),
            "3: an emitted persistent value is ctx's, or (backup) prev's for "
            "a key ctx lacks");
        break;
      }
      case MetaKind::kTransient:
        GLS_FUZZ_CHECK(
            run.prev.GetUpstream(e.key) != absl::string_view(e.value) ||
                run.ctx.GetTransient(e.key) == absl::string_view(e.value),
            "3: an upstream value of prev leaves as rpc-transit- only if ctx "
            "has that transient value");
        GLS_FUZZ_CHECK(
            run.ctx.GetTransient(e.key) == absl::string_view(e.value),
            "3: an emitted transient value is ctx's");
        break;
      default: {
        const std::string lower = absl::AsciiStrToLower(e.name);
        if (gls::IsW3cHeader(lower)) {
          CheckW3cProvenance(run, e, lower);
          break;
        }
        const bool own = run.Own(e.name, e.value);
        const bool in_ctx =
            HasEntry(run.ctx.outgoing_headers(), lower, e.value);
        const bool forwarded =
            run.in.backup && Contains(run.policy.forward_headers, lower) &&
            !HasName(run.ctx.outgoing_headers(), lower) &&
            run.prev.GetHeader(lower) == absl::string_view(e.value);
        if (HasEntry(run.prev.incoming_headers(), lower, e.value)) {
          GLS_FUZZ_CHECK(lower != "authorization" || forwarded || in_ctx || own,
                         "3: prev's authorization leaves only if allowlisted "
                         "(backup), set in ctx or the caller's own");
          GLS_FUZZ_CHECK(
              forwarded || in_ctx || own,
              "3: an incoming header of prev leaves only if "
              "allowlisted (backup), set in ctx or the caller's own");
        }
        if (absl::StartsWithIgnoreCase(e.name, gls::kBackwardPrefix)) {
          GLS_FUZZ_CHECK(own,
                         "3: an rpc-backward- header leaves only if the "
                         "caller's own metadata had it");
        }
        GLS_FUZZ_CHECK(in_ctx || forwarded || run.VerbatimOwn(e.name, e.value),
                       "3: an emitted header is ctx's, allowlisted (backup) "
                       "or the caller's verbatim own");
        break;
      }
    }
  }
}

// What gls charged for the baggage header `value`: its members that are
// not the caller's own, each with a comma, and the header's entry cost unless
// the header is the caller's: one of its members is, or it starts with the
// caller's own baggage headers as written (joined; valid or not), to which
// gls appended.
size_t BaggageCost(const Run& run, const std::string& value) {
  gls::Baggage sent;
  gls::ParseBaggage(value, &sent);
  gls::Baggage own;
  std::string own_joined;
  auto range = run.in.metadata.equal_range(std::string(gls::kBaggageHeader));
  for (auto it = range.first; it != range.second; ++it) {
    gls::ParseBaggage(it->second, &own);
    if (it->second.empty()) continue;
    if (!own_joined.empty()) own_joined.push_back(',');
    own_joined += it->second;
  }
  const bool own_header =
      !own_joined.empty() && absl::StartsWith(value, own_joined);
  size_t cost = 0;
  bool any_own = false;
  for (const gls::BaggageEntry& m : sent) {
    if (gls::FindBaggage(own, m.key) != nullptr) {
      any_own = true;
      continue;
    }
    cost += gls::EncodeBaggageMember(m).size() + 1;
  }
  if (cost > 0 && !any_own && !own_header) {
    cost +=
        gls::interceptors_internal::HeaderEntrySize(gls::kBaggageHeader, "") -
        1;
  }
  return cost;
}

// 5. The budget of what gls adds.
void CheckBudget(const Run& run) {
  size_t added = 0;
  for (const Emitted& e : run.emitted) {
    if (run.Own(e.name, e.value)) continue;
    if (absl::AsciiStrToLower(e.name) == gls::kBaggageHeader) {
      // Members are charged one at a time (a comma each), the header's
      // entry cost with the first; the caller's own members are free.
      added += BaggageCost(run, e.value);
      continue;
    }
    added += gls::interceptors_internal::HeaderEntrySize(e.name, e.value);
  }
  GLS_FUZZ_CHECK(added <= run.in.budget,
                 "5: what gls adds beyond the caller's own headers fits "
                 "max_added_bytes");
}

// 6. Everything ctx carries (and, with backup, prev's missing persistent
// values) leaves with its value or is reported; own entries never over budget.
void CheckCtxWins(const Run& run) {
  std::set<std::string> candidates;  // names that may be reported
  for (const auto& [key, value] : run.ctx.persistent()) {
    if (run.policy.Strips(key)) continue;
    const std::string name =
        gls::MetainfoHeaderName(MetaKind::kPersistent, key);
    candidates.insert(name);
    const Emitted* e = run.Find(MetaKind::kPersistent, key);
    GLS_FUZZ_CHECK((e != nullptr && e->value == value) ||
                       (e == nullptr && Reported(run.report, name)),
                   "6: ctx's persistent value leaves, or is reported dropped");
    GLS_FUZZ_CHECK(e != nullptr || !run.Own(name, value) ||
                       !ReportedOverBudget(run.report, name),
                   "5: the caller's own persistent value is never dropped "
                   "over budget");
  }
  for (const auto& [key, value] : run.ctx.transient()) {
    const std::string name = gls::MetainfoHeaderName(MetaKind::kTransient, key);
    candidates.insert(name);
    const Emitted* e = run.Find(MetaKind::kTransient, key);
    GLS_FUZZ_CHECK((e != nullptr && e->value == value) ||
                       (e == nullptr && Reported(run.report, name)),
                   "6: ctx's transient value leaves, or is reported dropped");
    GLS_FUZZ_CHECK(e != nullptr || !run.Own(name, value) ||
                       !ReportedOverBudget(run.report, name),
                   "5: the caller's own transient value is never dropped "
                   "over budget");
  }
  for (const auto& [name, value] : run.ctx.outgoing_headers()) {
    candidates.insert(name);
    bool emitted = false;
    for (const Emitted& e : run.emitted) {
      emitted |= absl::AsciiStrToLower(e.name) == name && e.value == value;
    }
    GLS_FUZZ_CHECK(emitted || Reported(run.report, name),
                   "6: ctx's outgoing header leaves, or is reported dropped");
    GLS_FUZZ_CHECK(emitted || !run.Own(name, value) ||
                       !ReportedOverBudget(run.report, name),
                   "5: the caller's own header is never dropped over budget");
  }
  if (run.in.backup) {
    for (const auto& [key, value] : run.prev.persistent()) {
      if (run.ctx.GetPersistent(key) || run.policy.Strips(key)) continue;
      const std::string name =
          gls::MetainfoHeaderName(MetaKind::kPersistent, key);
      candidates.insert(name);
      const Emitted* e = run.Find(MetaKind::kPersistent, key);
      GLS_FUZZ_CHECK(
          (e != nullptr && e->value == value) ||
              (e == nullptr && Reported(run.report, name)),
          "6: with backup, prev's persistent value that ctx lacks leaves, or "
          "is reported dropped");
    }
    for (const std::string& name : run.policy.forward_headers) {
      candidates.insert(name);
    }
  }
  // W3C headers gls tried to send (a traceparent, baggage members).
  candidates.insert(std::string(gls::kTraceParentHeader));
  for (const auto* list : {&run.report.over_budget, &run.report.illegal}) {
    for (const auto& entry : *list) {
      if (absl::StartsWith(entry.first, gls::kBaggageHeader)) continue;
      GLS_FUZZ_CHECK(candidates.count(entry.first) > 0,
                     "6: a reported name is the name of a header gls tried "
                     "to send");
    }
  }
}

// Replaces every occurrence of `text` in `*line` with '\x01's (never in a
// quoted text, which is printable ASCII).
void Mask(absl::string_view text, std::string* line) {
  if (text.empty()) return;
  for (size_t pos = line->find(text.data(), 0, text.size());
       pos != std::string::npos;
       pos = line->find(text.data(), pos + text.size(), text.size())) {
    line->replace(pos, text.size(), text.size(), '\x01');
  }
}

// A name or method exactly as DescribeReport quotes it (outgoing.cc's
// QuoteName): escaped, cut at 64 characters, then its size if it was cut.
std::string QuotedName(absl::string_view text) {
  bool cut = false;
  std::string escaped = gls::EscapeForLog(text, &cut, 64);
  return absl::StrCat(
      "\"", escaped, "\"",
      cut ? absl::StrCat(" (", text.size(), "-byte name)") : "");
}

// 7. The log line: short, names and sizes only.
void CheckDescribe(const Run& run) {
  const std::string line = gls::interceptors_internal::DescribeReport(
      run.in.method, run.policy, run.report);
  GLS_FUZZ_CHECK(line.size() < kMaxLogLine,
                 "7: DescribeReport's line is shorter than 1024 chars");

  // The line without its quoted method and names, and the same line made
  // with empty method and names: outside the quoted parts both are the
  // template's words and numbers. A value found in the first but not in the
  // second was written by DescribeReport itself.
  std::string masked = line;
  Mask(QuotedName(run.in.method), &masked);
  OutgoingReport blank = run.report;
  for (auto* list : {&blank.over_budget, &blank.illegal}) {
    for (auto& entry : *list) {
      Mask(QuotedName(entry.first), &masked);
      entry.first.clear();
    }
  }
  const std::string templ =
      gls::interceptors_internal::DescribeReport("", run.policy, blank);
  // Searched piece by piece: a value must not match across a masked part.
  const std::vector<absl::string_view> pieces =
      absl::StrSplit(masked, '\x01', absl::SkipEmpty());
  for (absl::string_view value : run.in.values) {
    if (value.size() < kMinLeakedValue) continue;
    for (absl::string_view piece : pieces) {
      GLS_FUZZ_CHECK(
          !absl::StrContains(piece, value) || absl::StrContains(templ, value),
          "7: no header value appears in DescribeReport's line");
    }
  }
}

}  // namespace

// Links gls's pthread_create interposer (session/internal/thread_inherit.cc),
// as every program with gls's server interceptor has it; nothing else here
// references it. libFuzzer starts a thread, so each run also checks that the
// interposer hands threads to the sanitizer's interceptor: if it bypassed it,
// LeakSanitizer would report that thread's state as leaked at exit.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  GLS_FUZZ_CHECK(!gls::session_internal::ThreadInheritanceEnabled(),
                 "thread inheritance is off until a server enables it");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Input in =
      ParseInput(absl::string_view(reinterpret_cast<const char*>(data), size));

  Context::Builder incoming(Context::Direction::kIncoming);
  for (const auto& [name, value] : in.incoming) incoming.AddHeader(name, value);
  const Context prev = incoming.Build();
  const Context cur = BuildCur(in.metadata);
  Context ctx = Base(in.base, prev, cur, in.metadata);
  for (const Op& op : in.derivations) ctx = Derive(ctx, op, prev);

  std::vector<std::string> errors;
  const OutgoingPolicy policy = gls::interceptors_internal::MakeOutgoingPolicy(
      in.budget, in.forward, in.strip, &errors);
  CheckPolicy(in, policy, errors);
  CheckStripPersistent(in, policy);

  OutgoingMetadata metadata = in.metadata;
  OutgoingReport report;
  gls::interceptors_internal::RewriteCall(prev, cur, ctx, in.backup, policy,
                                          metadata, &report);

  std::vector<Emitted> emitted;
  for (const auto& [name, value] : metadata) {
    Emitted e{name, value, MetaKind::kNone, ""};
    e.kind = gls::ParseMetainfoHeader(name, &e.key);
    emitted.push_back(std::move(e));
  }
  Run run{in, policy, prev, ctx, emitted, report, {}};
  for (const auto& [name, value] : in.metadata) {
    run.own.insert(IdentityOf(name, value));
  }

  CheckUniqueMetainfo(run);
  CheckLegal(run);
  CheckProvenance(run);
  CheckBudget(run);
  CheckCtxWins(run);
  CheckDescribe(run);
  CheckFastPath(in, policy, cur);
  return 0;
}
