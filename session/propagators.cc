#include "gls/session/propagators.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gls/session/log.h"

namespace gls {

Propagators ParsePropagators(absl::string_view text,
                             std::vector<std::string>* unknown) {
  Propagators out{false, false};
  bool named = false;
  for (absl::string_view name : absl::StrSplit(text, ',')) {
    name = absl::StripAsciiWhitespace(name);
    if (name.empty()) continue;
    named = true;
    const std::string lower = absl::AsciiStrToLower(name);
    if (lower == "tracecontext") {
      out.trace_context = true;
    } else if (lower == "baggage") {
      out.baggage = true;
    } else if (lower != "none" && unknown != nullptr) {
      unknown->push_back(std::string(name));
    }
  }
  return named ? out : Propagators();
}

const Propagators& PropagatorsFromEnvironment() {
  static const Propagators* const kFromEnv = [] {
    const char* text = std::getenv(kPropagatorsEnv);
    std::vector<std::string> unknown;
    auto* p = new Propagators(
        ParsePropagators(text == nullptr ? "" : text, &unknown));
    for (const std::string& name : unknown) {
      LogError(absl::StrCat(kPropagatorsEnv, ": propagator ",
                            QuoteForLog(name),
                            " is not one gls carries (tracecontext, baggage, "
                            "none); ignored"));
    }
    return p;
  }();
  return *kFromEnv;
}

}  // namespace gls
