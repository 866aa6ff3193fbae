#include "gls/interceptors/internal/outgoing.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <tuple>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "gls/session/baggage.h"
#include "gls/session/log.h"
#include "gls/session/metainfo.h"
#include "gls/session/trace_context.h"

namespace gls {
namespace interceptors_internal {
namespace {

// How many dropped entries one log line names per kind, and how many
// characters of each name it shows: the line stays under about 1 KiB.
constexpr size_t kMaxNamedInLog = 5;
constexpr size_t kMaxNameCharsInLog = 64;

// `name` quoted for the log line, escaped and cut at kMaxNameCharsInLog.
std::string QuoteName(absl::string_view name) {
  bool cut = false;
  std::string escaped = EscapeForLog(name, &cut, kMaxNameCharsInLog);
  return absl::StrCat(
      "\"", escaped, "\"",
      cut ? absl::StrCat(" (", name.size(), "-byte name)") : "");
}

bool Contains(const std::vector<std::string>& sorted, absl::string_view s) {
  return std::binary_search(sorted.begin(), sorted.end(), s);
}

void SortUnique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// True if `a` and `b` (keys, or the key part of header names) name one key:
// equal once canonical (uppercase, '-' as '_'), without building either.
bool SameKey(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char ca = a[i] == '-' ? '_' : absl::ascii_toupper(a[i]);
    char cb = b[i] == '-' ? '_' : absl::ascii_toupper(b[i]);
    if (ca != cb) return false;
  }
  return true;
}

// True if the caller's own headers (`own`) hold the metainfo value `key`
// (canonical) = `value` of `kind`, in any spelling of the key.
bool OwnValue(const OutgoingMetadata& own, MetaKind kind, absl::string_view key,
              absl::string_view value) {
  absl::string_view prefix =
      kind == MetaKind::kPersistent ? kPersistentPrefix : kTransientPrefix;
  for (const auto& [name, v] : own) {
    if (v == value && MetainfoKind(name) == kind &&
        SameKey(absl::string_view(name).substr(prefix.size()), key)) {
      return true;
    }
  }
  return false;
}

// True if the caller's own headers hold `name` (lowercase) = `value`.
bool OwnHeader(const OutgoingMetadata& own, absl::string_view name,
               absl::string_view value) {
  for (const auto& [n, v] : own) {
    if (v == value && absl::EqualsIgnoreCase(n, name)) return true;
  }
  return false;
}

// True if the caller's metainfo headers are in canonical wire form: all
// lowercase, '-' in keys, one header per name, no empty value.
bool IsCanonicalCall(const OutgoingMetadata& metadata) {
  for (auto it = metadata.begin(); it != metadata.end(); ++it) {
    MetaKind kind = MetainfoKind(it->first);
    if (kind != MetaKind::kPersistent && kind != MetaKind::kTransient) continue;
    if (it->second.empty()) return false;
    for (char c : it->first) {
      if (c == '_' || absl::ascii_isupper(c)) return false;
    }
    auto next = std::next(it);
    if (next != metadata.end() && next->first == it->first) return false;
  }
  return true;
}

// True if the persistent header `name` is spelled as MetainfoHeaderName
// spells it: the prefix as is, no uppercase letter, no '_'.
bool IsWireForm(absl::string_view name) {
  if (!absl::StartsWith(name, kPersistentPrefix)) return false;
  for (char c : name.substr(kPersistentPrefix.size())) {
    if (c == '_' || absl::ascii_isupper(c)) return false;
  }
  return true;
}

bool HasHeaderName(const Context::Headers& headers, absl::string_view name) {
  for (const auto& entry : headers) {
    if (entry.first == name) return true;
  }
  return false;
}

// A persistent value of the request, for RestoreFromSource: its wire name
// (kPersistentPrefix + the key as MetainfoHeaderName spells it) and the
// header as received.
struct PersistentValue {
  std::string wire;
  absl::string_view name;
  absl::string_view value;
};

// Orders wire names as their canonical keys order (Context's persistent
// values are sorted so): '-' compares as '_', letters as uppercase.
bool KeyOrder(const PersistentValue& a, const PersistentValue& b) {
  const auto key_byte = [](char c) {
    return static_cast<unsigned char>(c == '-' ? '_' : absl::ascii_toupper(c));
  };
  const size_t n = std::min(a.wire.size(), b.wire.size());
  for (size_t i = kPersistentPrefix.size(); i < n; ++i) {
    const unsigned char ca = key_byte(a.wire[i]);
    const unsigned char cb = key_byte(b.wire[i]);
    if (ca != cb) return ca < cb;
  }
  return a.wire.size() < b.wire.size();
}

// Adds headers to the call, counting what gls adds against the budget.
class Emitter {
 public:
  Emitter(const OutgoingPolicy& policy, OutgoingMetadata& metadata,
          OutgoingReport& report)
      : policy_(policy), metadata_(metadata), report_(report) {}

  // `own`: the caller's call already carried this exact entry (free).
  // Returns whether the entry went on the call.
  bool Add(std::string name, absl::string_view value, bool own) {
    if (!IsLegalHeader(name, value)) {
      report_.illegal.emplace_back(std::move(name), value.size());
      return false;
    }
    if (!own) {
      size_t size = HeaderEntrySize(name, value);
      if (added_ + size > policy_.max_added_bytes) {
        report_.over_budget.emplace_back(std::move(name), size);
        return false;
      }
      added_ += size;
      ++report_.added;
    }
    metadata_.emplace(std::piecewise_construct,
                      std::forward_as_tuple(std::move(name)),
                      std::forward_as_tuple(value.data(), value.size()));
    return true;
  }

  // Charges `size` bytes of what gls adds, `n` entries (or list-members),
  // if they fit the budget.
  bool Charge(size_t size, size_t n = 1) {
    if (added_ + size > policy_.max_added_bytes) return false;
    added_ += size;
    report_.added += n;
    return true;
  }

 private:
  const OutgoingPolicy& policy_;
  OutgoingMetadata& metadata_;
  OutgoingReport& report_;
  size_t added_ = 0;
};

// The key of a raw baggage list-member (before '=' or ';', trimmed).
absl::string_view MemberKey(absl::string_view member) {
  member = member.substr(0, member.find_first_of("=;"));
  return absl::StripAsciiWhitespace(member);
}

// The call's baggage headers joined into one value, removed from `metadata`.
std::string TakeBaggage(OutgoingMetadata& metadata) {
  std::string joined;
  auto range = metadata.equal_range(std::string(kBaggageHeader));
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second.empty()) continue;
    if (!joined.empty()) joined.push_back(',');
    joined += it->second;
  }
  metadata.erase(range.first, range.second);
  return joined;
}

// The baggage the call's own headers carry, parsed; adds to `*invalid` the
// members that do not parse (may be null).
Baggage ParsedBaggage(const OutgoingMetadata& metadata, size_t* invalid) {
  Baggage out;
  auto range = metadata.equal_range(std::string(kBaggageHeader));
  for (auto it = range.first; it != range.second; ++it) {
    const size_t n = ParseBaggage(it->second, &out);
    if (invalid != nullptr) *invalid += n;
  }
  return out;
}

// One baggage member to put on a call, and whether it is the caller's own
// (free of the budget).
struct BaggageToAdd {
  const BaggageEntry* entry;
  bool own;
};

// Appends the encoded baggage `member` of `key` to `header` if it is a legal
// header value and fits the budget (`own`: free of it); reports it
// otherwise.
void AppendToBaggageHeader(absl::string_view key, absl::string_view member,
                           bool own, Emitter& emit, std::string& header,
                           OutgoingReport& report) {
  if (!IsLegalHeader(kBaggageHeader, member)) {
    report.illegal.emplace_back(absl::StrCat(kBaggageHeader, " member ", key),
                                member.size());
    return;
  }
  // The header's entry cost (name + 32) comes with its first member.
  const size_t cost =
      member.size() +
      (header.empty() ? HeaderEntrySize(kBaggageHeader, "") : 1);
  if (!own && !emit.Charge(cost)) {
    report.baggage_over_budget.emplace_back(std::string(key), member.size());
    return;
  }
  if (!header.empty()) header.push_back(',');
  header.append(member.data(), member.size());
}

// Appends `members` to the call's baggage header (kept as written, if any),
// each member whole: one that does not fit the budget is dropped and
// reported by key and size, and the next one tried.
void EmitBaggage(const std::vector<BaggageToAdd>& members, Emitter& emit,
                 OutgoingMetadata& metadata, OutgoingReport& report) {
  if (members.empty()) return;
  const auto own = metadata.equal_range(std::string(kBaggageHeader));
  if (std::any_of(own.first, own.second, [](const auto& entry) {
        return !IsLegalHeader(kBaggageHeader, entry.second);
      })) {
    // The caller's own baggage is no header gRPC accepts: it stays as
    // written (gRPC reports it, as without gls) and gls appends nothing to
    // it, which would make the bad header gls's.
    for (const BaggageToAdd& m : members) {
      report.illegal.emplace_back(
          absl::StrCat(kBaggageHeader, " member ", m.entry->key),
          EncodeBaggageMember(*m.entry).size());
    }
    return;
  }
  std::string header = TakeBaggage(metadata);
  std::string member;  // reused: its buffer is kept from member to member
  for (const BaggageToAdd& m : members) {
    member.clear();
    AppendBaggageMember(*m.entry, &member);
    AppendToBaggageHeader(m.entry->key, member, m.own, emit, header, report);
  }
  if (!header.empty()) {
    metadata.emplace(std::string(kBaggageHeader), std::move(header));
  }
}

// A baggage member of the request, forwarded as received (canonical,
// IsCanonicalBaggageMember): views into the request's header.
struct VerbatimMember {
  absl::string_view key;
  absl::string_view member;
};
using VerbatimBaggage = absl::InlinedVector<VerbatimMember, 8>;

// The members of the request's baggage `headers` as ParseBaggage would keep
// them (empty members skipped, a later member of a key in the earlier one's
// place), each as received, if every non-empty member is canonical; false
// (and `*out` unusable) otherwise.
bool VerbatimMembers(absl::Span<const absl::string_view> headers,
                     VerbatimBaggage* out) {
  for (absl::string_view header : headers) {
    for (absl::string_view member : absl::StrSplit(header, ',')) {
      if (member.empty()) continue;
      absl::string_view key;
      if (!IsCanonicalBaggageMember(member, &key)) return false;
      auto same =
          std::find_if(out->begin(), out->end(),
                       [&](const VerbatimMember& m) { return m.key == key; });
      if (same != out->end()) {
        same->member = member;
      } else {
        out->push_back({key, member});
      }
    }
  }
  return true;
}

// EmitBaggage for a call without baggage of its own and members as
// received: the same header, nothing parsed or encoded.
void EmitVerbatimBaggage(const VerbatimBaggage& members, Emitter& emit,
                         OutgoingMetadata& metadata, OutgoingReport& report) {
  if (members.empty()) return;
  std::string header;
  size_t size = 0;
  for (const VerbatimMember& m : members) size += m.member.size() + 1;
  header.reserve(size);
  for (const VerbatimMember& m : members) {
    AppendToBaggageHeader(m.key, m.member, /*own=*/false, emit, header, report);
  }
  if (!header.empty()) {
    metadata.emplace(std::string(kBaggageHeader), std::move(header));
  }
}

// Puts a trace on the call (`traceparent` valid, `tracestate` sanitized, as
// TraceContext holds them): the traceparent, then as many tracestate
// members as fit, from the first (the most recent). `own`: the traceparent is
// the caller's (free); `own_tracestate`: so is the tracestate, whole.
void EmitTrace(absl::string_view traceparent, absl::string_view tracestate,
               bool own, bool own_tracestate, Emitter& emit,
               OutgoingMetadata& metadata, OutgoingReport& report) {
  if (!emit.Add(std::string(kTraceParentHeader), traceparent, own)) {
    return;
  }
  if (tracestate.empty()) return;
  if (own_tracestate) {
    emit.Add(std::string(kTraceStateHeader), tracestate, true);
    return;
  }
  // Whole, if it fits: what the loop below would charge and keep (the
  // members' sizes, a ',' between two, the entry's cost once).
  const size_t members = 1 + static_cast<size_t>(std::count(
                                 tracestate.begin(), tracestate.end(), ','));
  if (emit.Charge(HeaderEntrySize(kTraceStateHeader, tracestate), members)) {
    metadata.emplace(std::piecewise_construct,
                     std::forward_as_tuple(kTraceStateHeader),
                     std::forward_as_tuple(tracestate));
    return;
  }
  std::string kept;
  kept.reserve(tracestate.size());
  // The first member that does not fit ends the list: W3C drops a
  // tracestate's members from the end (the oldest), so none after it goes.
  bool full = false;
  for (absl::string_view member : absl::StrSplit(tracestate, ',')) {
    const size_t cost =
        member.size() +
        (kept.empty() ? HeaderEntrySize(kTraceStateHeader, "") : 1);
    if (full || !emit.Charge(cost)) {
      full = true;
      ++report.tracestate_over_budget;
      continue;
    }
    if (!kept.empty()) kept.push_back(',');
    kept.append(member.data(), member.size());
  }
  if (!kept.empty()) {
    metadata.emplace(std::string(kTraceStateHeader), std::move(kept));
  }
}

// The W3C context of ctx, on a call rebuilt from it (`own`: the caller's
// headers): the caller's own parts always, the rest as the switch says.
// Own W3C headers that do not parse are dropped here and reported.
void EmitContextW3c(const Context& ctx, const OutgoingMetadata& own,
                    const OutgoingPolicy& policy, Emitter& emit,
                    OutgoingMetadata& metadata, OutgoingReport& report) {
  auto own_tp = own.equal_range(std::string(kTraceParentHeader));
  for (auto it = own_tp.first; it != own_tp.second; ++it) {
    if (!IsValidTraceParent(it->second)) {
      report.illegal.emplace_back(std::string(kTraceParentHeader),
                                  it->second.size());
    }
  }
  const TraceContext& trace = ctx.trace();
  if (trace.valid()) {
    bool is_own = false;
    for (auto it = own_tp.first; it != own_tp.second; ++it) {
      is_own |= absl::StripAsciiWhitespace(it->second) == trace.traceparent;
    }
    // The tracestate is the caller's only if it sent that one itself (a
    // caller copying the request's traceparent does not get the request's
    // tracestate past the budget).
    bool own_tracestate = false;
    auto own_ts = own.equal_range(std::string(kTraceStateHeader));
    for (auto it = own_ts.first; it != own_ts.second; ++it) {
      own_tracestate |= it->second == trace.tracestate;
    }
    if (is_own || policy.propagators.trace_context) {
      EmitTrace(trace.traceparent, trace.tracestate, is_own,
                is_own && own_tracestate, emit, metadata, report);
    }
  }
  size_t invalid = 0;
  const Baggage own_baggage = ParsedBaggage(own, &invalid);
  if (invalid > 0) {
    report.illegal.emplace_back(
        absl::StrCat(kBaggageHeader, " (", invalid, " invalid member(s))"), 0);
  }
  std::vector<BaggageToAdd> members;
  members.reserve(ctx.baggage().size());
  for (const BaggageEntry& e : ctx.baggage()) {
    if (policy.StripsBaggage(e.key)) {
      ++report.stripped;
      continue;
    }
    const BaggageEntry* mine = FindBaggage(own_baggage, e.key);
    const bool is_own = mine != nullptr && *mine == e;
    if (is_own || policy.propagators.baggage) members.push_back({&e, is_own});
  }
  // The caller's own members first: they are never dropped.
  std::stable_partition(members.begin(), members.end(),
                        [](const BaggageToAdd& m) { return m.own; });
  EmitBaggage(members, emit, metadata, report);
}

// The request's W3C context onto the call, as the switch says: its trace
// (`traceparent` valid or empty, `tracestate` sanitized, as TraceContext
// holds them) if the call has no traceparent; with `backup`, its baggage
// members whose key the call's baggage lacks.
void AddRequestW3c(absl::string_view traceparent, absl::string_view tracestate,
                   const Baggage& request_baggage, bool backup,
                   const OutgoingPolicy& policy, Emitter& emit,
                   OutgoingMetadata& metadata, OutgoingReport& report) {
  if (policy.propagators.trace_context && !traceparent.empty() &&
      metadata.count(std::string(kTraceParentHeader)) == 0) {
    // A tracestate the call set without a traceparent stays its own.
    if (metadata.count(std::string(kTraceStateHeader)) > 0) {
      tracestate = absl::string_view();
    }
    EmitTrace(traceparent, tracestate, /*own=*/false,
              /*own_tracestate=*/false, emit, metadata, report);
  }
  if (!backup || !policy.propagators.baggage || request_baggage.empty()) {
    return;
  }
  const Baggage have = ParsedBaggage(metadata, nullptr);
  std::vector<BaggageToAdd> members;
  members.reserve(request_baggage.size());
  for (const BaggageEntry& e : request_baggage) {
    if (FindBaggage(have, e.key) != nullptr) continue;  // the call's wins
    if (policy.StripsBaggage(e.key)) {
      ++report.stripped;
      continue;
    }
    members.push_back({&e, false});
  }
  EmitBaggage(members, emit, metadata, report);
}

// Removes baggage members on the strip list from the call's baggage
// header, keeping the others as written. Returns how many were removed.
size_t StripBaggage(const OutgoingPolicy& policy, OutgoingMetadata& metadata) {
  if (policy.strip_baggage.empty()) return 0;
  auto range = metadata.equal_range(std::string(kBaggageHeader));
  if (range.first == range.second) return 0;
  size_t removed = 0;
  std::string kept;
  for (auto it = range.first; it != range.second; ++it) {
    for (absl::string_view member : absl::StrSplit(it->second, ',')) {
      if (policy.StripsBaggage(MemberKey(member))) {
        ++removed;
        continue;
      }
      if (!kept.empty()) kept.push_back(',');
      kept.append(member.data(), member.size());
    }
  }
  if (removed == 0) return 0;
  metadata.erase(range.first, range.second);
  if (!absl::StripAsciiWhitespace(kept).empty()) {
    metadata.emplace(std::string(kBaggageHeader), std::move(kept));
  }
  return removed;
}

}  // namespace

bool OutgoingPolicy::Strips(absl::string_view key) const {
  return !strip_persistent.empty() && Contains(strip_persistent, key);
}

bool OutgoingPolicy::StripsBaggage(absl::string_view key) const {
  return !strip_baggage.empty() && Contains(strip_baggage, key);
}

void SetBaggageStripList(const std::vector<std::string>& keys,
                         OutgoingPolicy& policy,
                         std::vector<std::string>* errors) {
  policy.strip_baggage.clear();
  for (const std::string& key : keys) {
    if (IsBaggageKey(key)) {
      policy.strip_baggage.push_back(key);
    } else if (errors != nullptr) {
      errors->push_back(absl::StrCat("strip_baggage entry ", QuoteForLog(key),
                                     " ignored: not a baggage key (a token)"));
    }
  }
  SortUnique(policy.strip_baggage);
}

OutgoingPolicy MakeOutgoingPolicy(size_t max_added_bytes,
                                  const std::vector<std::string>& forward,
                                  const std::vector<std::string>& strip,
                                  std::vector<std::string>* errors) {
  OutgoingPolicy policy;
  policy.max_added_bytes = max_added_bytes;
  auto reject = [&](absl::string_view list, absl::string_view entry,
                    absl::string_view why) {
    if (errors != nullptr) {
      errors->push_back(
          absl::StrCat(list, " entry ", QuoteForLog(entry), " ignored: ", why));
    }
  };
  for (const std::string& name : forward) {
    std::string lower = absl::AsciiStrToLower(name);
    if (lower.empty()) {
      reject("forward_headers", name, "empty");
    } else if (HasMetainfoPrefix(lower)) {
      reject("forward_headers", name,
             "metainfo travels by its own rules, not by the allowlist");
    } else if (IsW3cHeader(lower)) {
      reject("forward_headers", name,
             "W3C context travels by its own rules (propagators), not by the "
             "allowlist");
    } else if (IsTransportHeader(lower) || !IsLegalHeader(lower, "x")) {
      reject("forward_headers", name, "not a header gRPC lets a call set");
    } else {
      policy.forward_headers.push_back(std::move(lower));
    }
  }
  for (const std::string& key : strip) {
    if (key.empty()) {
      reject("strip_persistent", key, "empty");
    } else {
      policy.strip_persistent.push_back(CanonicalKey(key));
    }
  }
  SortUnique(policy.forward_headers);
  SortUnique(policy.strip_persistent);
  return policy;
}

bool RestoreFromSource(const session_internal::ContextSource& source, bool w3c,
                       const OutgoingPolicy& policy, OutgoingMetadata& metadata,
                       OutgoingReport* report) {
  if (!IsCanonicalCall(metadata)) return false;
  if (w3c && !source.W3cAsReceived()) return false;
  OutgoingReport local;
  if (report == nullptr) report = &local;
  Emitter emit(policy, metadata, *report);
  // The request's W3C context, as Context::Builder gathers it: one
  // traceparent (several are no trace), the tracestate headers joined, the
  // members of every baggage header in order.
  absl::string_view traceparent;
  int traceparents = 0;
  // One tracestate header is viewed; several are joined.
  absl::string_view tracestate;
  int tracestates = 0;
  std::string joined_tracestate;
  absl::InlinedVector<absl::string_view, 2> baggage_headers;
  // The request's persistent values, to be taken as prev holds them: in
  // canonical key order, the first value of a key.
  absl::InlinedVector<PersistentValue, 4> persistent;
  source.ForEachHeader([&](absl::string_view name, absl::string_view value) {
    if (MetainfoKind(name) != MetaKind::kPersistent) {
      if (!w3c || !IsW3cHeader(name)) return;
      if (name == kTraceParentHeader) {
        traceparent = value;
        ++traceparents;
      } else if (name == kTraceStateHeader) {
        // (Joined with ',' even after an empty header: sanitizing drops
        // empty members, so the result is the same.)
        if (++tracestates == 1) {
          tracestate = value;
          return;
        }
        if (tracestates == 2) {
          joined_tracestate.assign(tracestate.data(), tracestate.size());
        }
        joined_tracestate.push_back(',');
        joined_tracestate.append(value.data(), value.size());
        tracestate = joined_tracestate;
      } else {
        baggage_headers.push_back(value);
      }
      return;
    }
    if (value.empty()) return;
    // The wire name maps the suffix as it would the canonical key; a name
    // received in that form already is taken as it is.
    persistent.push_back(PersistentValue{
        IsWireForm(name)
            ? std::string(name)
            : MetainfoHeaderName(MetaKind::kPersistent,
                                 name.substr(kPersistentPrefix.size())),
        name, value});
  });
  // gRPC's order is by name; keys differ from names in how '-' and letters
  // sort against '_', so the order is checked (one pass), and sorted only
  // when it differs. Stable: a key's values stay in arrival order.
  if (!std::is_sorted(persistent.begin(), persistent.end(), KeyOrder)) {
    std::stable_sort(persistent.begin(), persistent.end(), KeyOrder);
  }
  // Whether the call carries a persistent value itself: those of a
  // canonical call are in wire form, adjacent in gRPC's name order (a fresh
  // ClientContext carries none, and the lookups per value are skipped).
  const auto first_own = metadata.lower_bound(std::string(kPersistentPrefix));
  const bool call_has_persistent =
      first_own != metadata.end() &&
      absl::StartsWith(first_own->first, kPersistentPrefix);
  for (size_t i = 0; i < persistent.size(); ++i) {
    PersistentValue& v = persistent[i];
    if (v.name.empty()) continue;  // a later value of a key taken already
    // Wire names are one per key: a key's later values are adjacent now,
    // and never a second chance (prev holds one value per key).
    for (size_t j = i + 1;
         j < persistent.size() && persistent[j].wire == v.wire; ++j) {
      persistent[j].name = absl::string_view();
    }
    // The call's own value wins (every persistent header of a canonical call
    // is in wire form: one lookup).
    if (call_has_persistent && metadata.count(v.wire) > 0) continue;
    if (IsStrippedPersistent(v.name, policy.strip_persistent)) {
      ++report->stripped;
      continue;
    }
    emit.Add(std::move(v.wire), v.value, /*own=*/false);
  }
  // The strip lists after the caller's own keys were looked at: as in
  // RewriteCall, where `cur` holds them all, a key the call sets is the
  // call's even if stripped (so the request's value is not counted stripped
  // a second time).
  report->stripped += StripPersistent(policy, metadata);
  for (const std::string& name : policy.forward_headers) {
    // The call's own header, in any case (as `cur` holds it).
    if (std::any_of(metadata.begin(), metadata.end(), [&](const auto& entry) {
          return absl::EqualsIgnoreCase(entry.first, name);
        })) {
      continue;
    }
    bool found = false;
    source.ForEachHeader([&](absl::string_view n, absl::string_view value) {
      if (found || n != name) return;
      found = true;
      emit.Add(name, value, /*own=*/false);
    });
  }
  if (w3c) {
    // As ParseTraceContext would make the request's TraceContext, without
    // copying its fields.
    const absl::string_view valid_traceparent =
        traceparents == 1 ? ValidTraceParent(traceparent) : absl::string_view();
    // A tracestate that is clean already (the usual case: the caller's
    // tracer wrote it) is used as it is.
    std::string sanitized_storage;
    absl::string_view sanitized;
    if (!valid_traceparent.empty()) {
      if (IsSanitizedTraceState(tracestate)) {
        sanitized = tracestate;
      } else {
        sanitized_storage = SanitizeTraceState(tracestate);
        sanitized = sanitized_storage;
      }
    }
    // The request's baggage goes on as received when every member is
    // written as gls would write it and the call has none of its own: the
    // same header as parsing and encoding would make. Otherwise parsed.
    VerbatimBaggage verbatim;
    const bool as_received =
        policy.propagators.baggage && policy.strip_baggage.empty() &&
        metadata.find(std::string(kBaggageHeader)) == metadata.end() &&
        VerbatimMembers(baggage_headers, &verbatim);
    Baggage baggage;
    if (policy.propagators.baggage && !as_received) {
      for (absl::string_view header : baggage_headers) {
        ParseBaggage(header, &baggage);
      }
    }
    // The trace first: it is charged to the budget before the baggage.
    AddRequestW3c(valid_traceparent, sanitized, baggage, /*backup=*/true,
                  policy, emit, metadata, *report);
    if (as_received) EmitVerbatimBaggage(verbatim, emit, metadata, *report);
  }
  return true;
}

size_t StripPersistent(const OutgoingPolicy& policy,
                       OutgoingMetadata& metadata) {
  size_t removed = StripBaggage(policy, metadata);
  if (policy.strip_persistent.empty()) return removed;
  for (auto it = metadata.begin(); it != metadata.end();) {
    if (IsStrippedPersistent(it->first, policy.strip_persistent)) {
      it = metadata.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

void RewriteCall(const Context& prev, const Context& cur, const Context& ctx,
                 bool backup, const OutgoingPolicy& policy,
                 OutgoingMetadata& metadata, OutgoingReport* report) {
  OutgoingReport local;
  if (report == nullptr) report = &local;
  Emitter emit(policy, metadata, *report);

  // ctx itself: the caller's headers stay as they are when ctx is cur and
  // they are canonical already; otherwise the call is rebuilt from ctx.
  if (ctx.SharesRepWith(cur) && IsCanonicalCall(metadata)) {
    report->stripped += StripPersistent(policy, metadata);
  } else {
    // An entry is the caller's own (free of the budget) if the caller's
    // headers held the same value under the same name or key, in any
    // spelling.
    OutgoingMetadata own;
    own.swap(metadata);
    for (const auto& [name, value] : ctx.outgoing_headers()) {
      emit.Add(name, value, OwnHeader(own, name, value));
    }
    for (const auto& [key, value] : ctx.persistent()) {
      if (policy.Strips(key)) {
        ++report->stripped;
        continue;
      }
      emit.Add(MetainfoHeaderName(MetaKind::kPersistent, key), value,
               OwnValue(own, MetaKind::kPersistent, key, value));
    }
    for (const auto& [key, value] : ctx.transient()) {
      emit.Add(MetainfoHeaderName(MetaKind::kTransient, key), value,
               OwnValue(own, MetaKind::kTransient, key, value));
    }
    EmitContextW3c(ctx, own, policy, emit, metadata, *report);
  }
  if (!backup) {
    AddRequestW3c(prev.trace().traceparent, prev.trace().tracestate,
                  prev.baggage(), backup, policy, emit, metadata, *report);
    return;
  }

  // The fallback: prev's persistent values that ctx lacks, then allowlisted
  // headers of prev that ctx lacks.
  ForEachMissingPersistent(
      ctx, prev, [&](const std::string& key, const std::string& value) {
        if (policy.Strips(key)) {
          ++report->stripped;
          return;
        }
        emit.Add(MetainfoHeaderName(MetaKind::kPersistent, key), value,
                 /*own=*/false);
      });
  for (const std::string& name : policy.forward_headers) {
    if (HasHeaderName(ctx.outgoing_headers(), name)) continue;
    absl::optional<absl::string_view> value = prev.GetHeader(name);
    if (value) emit.Add(name, *value, /*own=*/false);
  }
  AddRequestW3c(prev.trace().traceparent, prev.trace().tracestate,
                prev.baggage(), backup, policy, emit, metadata, *report);
}

std::string DescribeReport(absl::string_view method,
                           const OutgoingPolicy& policy,
                           const OutgoingReport& report) {
  std::string line = absl::StrCat("context backup on ", QuoteName(method));
  auto name_entries =
      [&](const std::vector<std::pair<std::string, size_t>>& entries) {
        size_t shown = std::min(entries.size(), kMaxNamedInLog);
        for (size_t i = 0; i < shown; ++i) {
          absl::StrAppend(&line, i == 0 ? " " : ", ",
                          QuoteName(entries[i].first), " (", entries[i].second,
                          " bytes)");
        }
        if (entries.size() > shown) {
          absl::StrAppend(&line, " and ", entries.size() - shown, " more");
        }
      };
  const char* sep = ":";
  if (!report.over_budget.empty()) {
    absl::StrAppend(&line, sep, " dropped ", report.over_budget.size(),
                    " header(s) over the budget of ", policy.max_added_bytes,
                    " bytes that gls may add to a call:");
    name_entries(report.over_budget);
    sep = ";";
  }
  if (!report.baggage_over_budget.empty()) {
    absl::StrAppend(&line, sep, " dropped ", report.baggage_over_budget.size(),
                    " baggage member(s) whole, over the budget of ",
                    policy.max_added_bytes,
                    " bytes that gls may add to a call:");
    name_entries(report.baggage_over_budget);
    sep = ";";
  }
  if (report.tracestate_over_budget > 0) {
    absl::StrAppend(&line, sep, " dropped the last ",
                    report.tracestate_over_budget,
                    " tracestate member(s), over the budget");
    sep = ";";
  }
  if (!report.illegal.empty()) {
    absl::StrAppend(&line, sep, " dropped ", report.illegal.size(),
                    " header(s) gRPC rejects (bad name or value):");
    name_entries(report.illegal);
    sep = ";";
  }
  if (report.stripped > 0) {
    absl::StrAppend(&line, sep, " stripped ", report.stripped,
                    " value(s) on the strip lists");
  }
  return line;
}

}  // namespace interceptors_internal
}  // namespace gls
