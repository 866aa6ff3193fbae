#include "gls/interceptors/internal/w3c_incoming.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "gls/interceptors/internal/metadata.h"
#include "gls/session/baggage.h"
#include "gls/session/log.h"
#include "gls/session/metainfo.h"

namespace gls {
namespace interceptors_internal {
namespace {

bool Contains(const std::vector<std::string>& sorted, absl::string_view s) {
  return std::binary_search(sorted.begin(), sorted.end(), s);
}

void CheckKeys(const std::vector<std::string>& keys, absl::string_view option,
               std::vector<std::string>& out,
               std::vector<std::string>* errors) {
  for (const std::string& key : keys) {
    if (IsBaggageKey(key)) {
      out.push_back(key);
    } else if (errors != nullptr) {
      errors->push_back(absl::StrCat(option, " entry ", QuoteForLog(key),
                                     " ignored: not a baggage key (a token)"));
    }
  }
}

}  // namespace

IncomingW3cRules MakeIncomingW3cRules(const std::vector<std::string>& strip,
                                      const std::vector<std::string>& bridge,
                                      std::vector<std::string>* errors) {
  IncomingW3cRules rules;
  CheckKeys(strip, "strip_baggage", rules.strip_baggage, errors);
  CheckKeys(bridge, "bridge_baggage", rules.bridge_baggage, errors);
  std::sort(rules.strip_baggage.begin(), rules.strip_baggage.end());
  rules.strip_baggage.erase(
      std::unique(rules.strip_baggage.begin(), rules.strip_baggage.end()),
      rules.strip_baggage.end());
  return rules;
}

Context ApplyIncomingW3c(const Context& ctx, const IncomingW3cRules& rules,
                         const std::vector<std::string>& strip_persistent) {
  Context out = ctx;
  for (const std::string& key : rules.strip_baggage) {
    out = out.WithoutBaggage(key);
  }
  for (const std::string& key : rules.bridge_baggage) {
    const std::string persistent = CanonicalKey(key);
    const absl::optional<absl::string_view> b = out.GetBaggage(key);
    const absl::optional<absl::string_view> p = out.GetPersistent(persistent);
    if (b && !p && !b->empty() && !Contains(strip_persistent, persistent) &&
        IsLegalHeader(MetainfoHeaderName(MetaKind::kPersistent, persistent),
                      *b)) {
      out = out.WithPersistent(persistent, *b);
    } else if (p && !b && !Contains(rules.strip_baggage, key)) {
      out = out.WithBaggage(key, *p);
    }
  }
  return out;
}

}  // namespace interceptors_internal
}  // namespace gls
