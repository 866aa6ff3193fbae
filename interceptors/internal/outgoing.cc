#include "gls/interceptors/internal/outgoing.h"

#include <algorithm>
#include <iterator>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gls/session/log.h"
#include "gls/session/metainfo.h"

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

// True if `metadata` (canonical wire form) has a persistent header whose key
// is `suffix` in any spelling.
bool HasPersistentKey(const OutgoingMetadata& metadata,
                      absl::string_view suffix) {
  for (auto it = metadata.lower_bound(std::string(kPersistentPrefix));
       it != metadata.end() && absl::StartsWith(it->first, kPersistentPrefix);
       ++it) {
    if (SameKey(absl::string_view(it->first).substr(kPersistentPrefix.size()),
                suffix)) {
      return true;
    }
  }
  return false;
}

bool HasHeaderName(const Context::Headers& headers, absl::string_view name) {
  for (const auto& entry : headers) {
    if (entry.first == name) return true;
  }
  return false;
}

// Adds headers to the call, counting what gls adds against the budget.
class Emitter {
 public:
  Emitter(const OutgoingPolicy& policy, OutgoingMetadata& metadata,
          OutgoingReport& report)
      : policy_(policy), metadata_(metadata), report_(report) {}

  // `own`: the caller's call already carried this exact entry (free).
  void Add(std::string name, absl::string_view value, bool own) {
    if (!IsLegalHeader(name, value)) {
      report_.illegal.emplace_back(std::move(name), value.size());
      return;
    }
    if (!own) {
      size_t size = HeaderEntrySize(name, value);
      if (added_ + size > policy_.max_added_bytes) {
        report_.over_budget.emplace_back(std::move(name), size);
        return;
      }
      added_ += size;
      ++report_.added;
    }
    metadata_.emplace(std::move(name), std::string(value));
  }

 private:
  const OutgoingPolicy& policy_;
  OutgoingMetadata& metadata_;
  OutgoingReport& report_;
  size_t added_ = 0;
};

}  // namespace

bool OutgoingPolicy::Strips(absl::string_view key) const {
  return !strip_persistent.empty() && Contains(strip_persistent, key);
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

bool RestoreFromSource(const session_internal::ContextSource& source,
                       const OutgoingPolicy& policy, OutgoingMetadata& metadata,
                       OutgoingReport* report) {
  if (!IsCanonicalCall(metadata)) return false;
  OutgoingReport local;
  if (report == nullptr) report = &local;
  report->stripped += StripPersistent(policy, metadata);
  Emitter emit(policy, metadata, *report);
  source.ForEachHeader([&](absl::string_view name, absl::string_view value) {
    if (value.empty() || MetainfoKind(name) != MetaKind::kPersistent) return;
    absl::string_view suffix = name.substr(kPersistentPrefix.size());
    // The call's own value, or an earlier one of the request, wins.
    if (HasPersistentKey(metadata, suffix)) return;
    if (IsStrippedPersistent(name, policy.strip_persistent)) {
      ++report->stripped;
      return;
    }
    // The wire name maps the suffix as it would the canonical key; a name
    // received in that form already is taken as it is.
    emit.Add(IsWireForm(name)
                 ? std::string(name)
                 : MetainfoHeaderName(MetaKind::kPersistent, suffix),
             value, /*own=*/false);
  });
  for (const std::string& name : policy.forward_headers) {
    if (metadata.count(name) > 0) continue;
    bool found = false;
    source.ForEachHeader([&](absl::string_view n, absl::string_view value) {
      if (found || n != name) return;
      found = true;
      emit.Add(name, value, /*own=*/false);
    });
  }
  return true;
}

size_t StripPersistent(const OutgoingPolicy& policy,
                       OutgoingMetadata& metadata) {
  if (policy.strip_persistent.empty()) return 0;
  size_t removed = 0;
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
  }
  if (!backup) return;

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
  if (!report.illegal.empty()) {
    absl::StrAppend(&line, sep, " dropped ", report.illegal.size(),
                    " header(s) gRPC rejects (bad name or value):");
    name_entries(report.illegal);
    sep = ";";
  }
  if (report.stripped > 0) {
    absl::StrAppend(&line, sep, " stripped ", report.stripped,
                    " persistent value(s) on the strip list");
  }
  return line;
}

}  // namespace interceptors_internal
}  // namespace gls
