// benchmarks/chain_mode.cc
//
// The names of the modes of chain_mode.h.

#include "gls/benchmarks/chain_mode.h"

namespace gls_bench {

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kPlain:
      return "plain";
    case Mode::kManual:
      return "manual";
    case Mode::kGls:
      return "gls";
    case Mode::kNoop:
      return "noop";
    case Mode::kNoopPair:
      return "noop-pair";
    case Mode::kManualPropagate:
      return "manual-propagate";
  }
  return "?";
}

std::optional<Mode> ModeFromName(absl::string_view name) {
  for (Mode mode : kAllModes) {
    if (name == ModeName(mode)) return mode;
  }
  return std::nullopt;
}

}  // namespace gls_bench
