#include "gls/interceptors/internal/backward.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gls/session/internal/backward_values.h"
#include "gls/session/internal/session_access.h"
#include "gls/session/log.h"
#include "gls/session/metainfo.h"
#include "gls/session/stats.h"

namespace gls {
namespace interceptors_internal {
namespace {

constexpr size_t kMaxNamedInLog = 5;

}  // namespace

size_t AddBackwardTrailers(const Session& session, bool forward_received,
                           size_t max_bytes,
                           const std::vector<std::string>& strip,
                           const char* method, OutgoingMetadata& trailers) {
  using session_internal::SessionAccess;
  // Most requests have none: set or received, they would be in the session.
  if (!SessionAccess::HasBackward(session)) return 0;
  std::vector<std::pair<std::string, std::string>> values =
      SessionAccess::BackwardToSend(session);
  if (forward_received) {
    std::map<std::string, std::string> own(values.begin(), values.end());
    for (auto& [key, value] : SessionAccess::BackwardReceived(session)) {
      if (own.count(key) == 0) values.emplace_back(key, std::move(value));
    }
  }
  if (values.empty()) return 0;
  size_t used = 0;
  size_t added = 0;
  std::vector<std::string> over_budget;
  std::vector<std::string> invalid;
  for (const auto& [key, value] : values) {
    if (!strip.empty() && std::binary_search(strip.begin(), strip.end(), key)) {
      stats_internal::Add(stats_internal::Counter::kDroppedByList);
      continue;
    }
    std::string name = MetainfoHeaderName(MetaKind::kBackward, key);
    if (!IsLegalHeader(name, value)) {
      invalid.push_back(
          absl::StrCat(QuoteForLog(name), " (value ", value.size(), " bytes)"));
      stats_internal::Add(stats_internal::Counter::kDroppedInvalid);
      continue;
    }
    const size_t cost = HeaderEntrySize(name, value);
    if (used + cost > max_bytes) {
      over_budget.push_back(absl::StrCat(QuoteForLog(name), " (value ",
                                         value.size(), " bytes, cost ", cost,
                                         " bytes)"));
      stats_internal::Add(stats_internal::Counter::kDroppedByBudget);
      continue;
    }
    used += cost;
    if (stats_internal::TraceEnabled()) {
      stats_internal::Trace(absl::StrCat("backward ",
                                         QuoteForLog(MethodName(method)),
                                         ": sends ", QuoteForLog(name)));
    }
    trailers.emplace(std::move(name), value);
    ++added;
  }
  stats_internal::Add(stats_internal::Counter::kBackwardValuesCarried, added);
  if (!over_budget.empty() || !invalid.empty()) {
    std::string line = absl::StrCat(
        "backward values of ", QuoteForLog(MethodName(method)), ": dropped");
    auto name_some = [&](const char* what, const std::vector<std::string>& v) {
      if (v.empty()) return;
      absl::StrAppend(&line, " ", v.size(), " ", what, ":");
      for (size_t i = 0; i < v.size() && i < kMaxNamedInLog; ++i) {
        absl::StrAppend(&line, i == 0 ? " " : ", ", v[i]);
      }
      if (v.size() > kMaxNamedInLog) absl::StrAppend(&line, ", ...");
      absl::StrAppend(&line, ";");
    };
    name_some("over the budget", over_budget);
    name_some("that gRPC would reject", invalid);
    absl::StrAppend(&line, " budget ", max_bytes, " bytes");
    LogError(line);
  }
  return added;
}

std::map<std::string, std::string> ParseBackward(
    const IncomingMetadata& trailers) {
  std::map<std::string, std::string> out;
  for (const auto& [name_ref, value_ref] : trailers) {
    absl::string_view name = View(name_ref);
    if (MetainfoKind(name) != MetaKind::kBackward) continue;
    absl::string_view value = View(value_ref);
    if (!IsLegalHeader(name, value)) {
      stats_internal::Add(stats_internal::Counter::kDroppedInvalid);
      continue;
    }
    std::string key;
    ParseMetainfoHeader(name, &key);
    out[std::move(key)] = std::string(value);
  }
  return out;
}

size_t CollectBackward(const IncomingMetadata& trailers, const Session& session,
                       size_t max_bytes, const char* method) {
  std::map<std::string, std::string> values = ParseBackward(trailers);
  if (values.empty()) return 0;  // most responses carry none
  size_t kept = 0;
  std::vector<std::string> over_budget;
  for (auto& [key, value] : values) {
    const size_t value_size = value.size();
    const size_t cost =
        session_internal::BackwardValues::ReceivedCost(key, value);
    if (session_internal::SessionAccess::AddReceivedBackward(
            session, key, std::move(value), max_bytes)) {
      ++kept;
      continue;
    }
    over_budget.push_back(
        absl::StrCat(QuoteForLog(MetainfoHeaderName(MetaKind::kBackward, key)),
                     " (value ", value_size, " bytes, cost ", cost, " bytes)"));
  }
  stats_internal::Add(stats_internal::Counter::kBackwardValuesCarried, kept);
  if (!over_budget.empty()) {
    stats_internal::Add(stats_internal::Counter::kDroppedByBudget,
                        over_budget.size());
    std::string line = absl::StrCat(
        "backward values received on ", QuoteForLog(MethodName(method)),
        ": dropped ", over_budget.size(), " over the budget:");
    for (size_t i = 0; i < over_budget.size() && i < kMaxNamedInLog; ++i) {
      absl::StrAppend(&line, i == 0 ? " " : ", ", over_budget[i]);
    }
    if (over_budget.size() > kMaxNamedInLog) absl::StrAppend(&line, ", ...");
    absl::StrAppend(&line, "; budget ", max_bytes,
                    " bytes for what one session keeps");
    LogError(line);
  }
  return kept;
}

}  // namespace interceptors_internal
}  // namespace gls
