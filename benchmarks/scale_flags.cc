// benchmarks/scale_flags.cc
//
// scale_benchmark's flags and their checks (see scale_flags.h).

#include "gls/benchmarks/scale_flags.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

ABSL_FLAG(std::vector<std::string>, modes,
          std::vector<std::string>({"plain", "manual-propagate", "gls"}),
          "modes of the load phase, comma-separated, from plain, manual, "
          "manual-propagate, gls, noop, noop-pair (plain is always run)");
ABSL_FLAG(std::vector<std::string>, concurrency,
          std::vector<std::string>({"64", "256"}),
          "calls in flight in the load phase, comma-separated: one run per "
          "value");
ABSL_FLAG(int, rounds, 12, "rounds per concurrency of the load phase");
ABSL_FLAG(int, slice_ms, 200, "milliseconds per mode and round");
ABSL_FLAG(int, warmup_ms, 300, "warm-up milliseconds per mode and concurrency");
ABSL_FLAG(std::vector<std::string>, growth_values,
          std::vector<std::string>({"0", "1", "8", "64"}),
          "growth phase: numbers of persistent values (16 bytes each)");
ABSL_FLAG(std::vector<std::string>, growth_sizes,
          std::vector<std::string>({"16", "256", "1024", "2048"}),
          "growth phase: sizes in bytes of one persistent value");
ABSL_FLAG(int, growth_concurrency, 16, "calls in flight in the growth phase");
ABSL_FLAG(int, growth_rounds, 8, "rounds per point of the growth phase");
ABSL_FLAG(int, in_flight, 1000,
          "memory phase: requests the leaf holds at once (0: no memory phase)");
ABSL_FLAG(int, memory_runs, 3, "memory phase: processes per mode");
ABSL_FLAG(std::string, json, "", "also write the figures as JSON to this path");
ABSL_FLAG(std::string, memory_mode, "",
          "internal: measure memory of this one mode and print it (the "
          "memory phase runs the program again with it)");

namespace gls_bench {
namespace {

constexpr char kUsage[] =
    "usage: scale_benchmark [--modes=plain,manual-propagate,gls] "
    "[--concurrency=64,256] [--rounds=12] [--slice_ms=200] [--warmup_ms=300] "
    "[--growth_values=0,1,8,64] [--growth_sizes=16,256,1024,2048] "
    "[--growth_concurrency=16] [--growth_rounds=8] [--in_flight=1000] "
    "[--memory_runs=3] [--json=PATH]";

[[noreturn]] void Usage(const std::string& error) {
  std::fprintf(stderr, "scale_benchmark: %s\n%s\n", error.c_str(), kUsage);
  std::exit(2);
}

int AtLeast(absl::string_view flag, int value, int min) {
  if (value < min) {
    Usage(absl::StrCat("bad value for --", flag, ": \"", value, "\""));
  }
  return value;
}

std::vector<int> IntList(absl::string_view flag,
                         const std::vector<std::string>& texts, int min,
                         int max) {
  if (texts.empty()) Usage(absl::StrCat("bad value for --", flag, ": \"\""));
  std::vector<int> values;
  for (const std::string& text : texts) {
    int value = 0;
    if (!absl::SimpleAtoi(text, &value) || value < min || value > max) {
      Usage(absl::StrCat("bad value for --", flag, ": \"", text, "\""));
    }
    values.push_back(value);
  }
  return values;
}

bool IsFlagsFile(absl::string_view path) {
  return absl::EndsWith(path, "benchmarks/scale_flags.cc");
}

}  // namespace

ScaleOptions ParseScaleFlags(int argc, char** argv) {
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = IsFlagsFile;
  usage_config.contains_helpshort_flags = IsFlagsFile;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(
      absl::StrCat("gls at scale: the callback-API chain at high concurrency, "
                   "cost growth with values, memory per in-flight request "
                   "(see BENCHMARKS.md)\n",
                   kUsage));
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) Usage(absl::StrCat("bad arg ", positional[1]));

  ScaleOptions options;
  const std::vector<std::string> modes = absl::GetFlag(FLAGS_modes);
  if (modes.empty()) Usage("unknown mode \"\"");
  options.modes = {Mode::kPlain};
  for (const std::string& name : modes) {
    const std::optional<Mode> mode = ModeFromName(name);
    if (!mode.has_value()) Usage(absl::StrCat("unknown mode \"", name, "\""));
    if (*mode != Mode::kPlain) options.modes.push_back(*mode);
  }
  options.concurrency =
      IntList("concurrency", absl::GetFlag(FLAGS_concurrency), 1, 100000);
  options.rounds = AtLeast("rounds", absl::GetFlag(FLAGS_rounds), 1);
  options.slice_ms = AtLeast("slice_ms", absl::GetFlag(FLAGS_slice_ms), 1);
  options.warmup_ms = AtLeast("warmup_ms", absl::GetFlag(FLAGS_warmup_ms), 1);
  // At most 64 values and 2 KiB: what fits gls's default budget per call
  // (client::kDefaultMaxAddedBytes) with these names.
  options.growth_values =
      IntList("growth_values", absl::GetFlag(FLAGS_growth_values), 0, 64);
  options.growth_sizes =
      IntList("growth_sizes", absl::GetFlag(FLAGS_growth_sizes), 1, 2048);
  options.growth_concurrency =
      AtLeast("growth_concurrency", absl::GetFlag(FLAGS_growth_concurrency), 1);
  options.growth_rounds =
      AtLeast("growth_rounds", absl::GetFlag(FLAGS_growth_rounds), 0);
  options.in_flight = AtLeast("in_flight", absl::GetFlag(FLAGS_in_flight), 0);
  options.memory_runs =
      AtLeast("memory_runs", absl::GetFlag(FLAGS_memory_runs), 1);
  options.json = absl::GetFlag(FLAGS_json);
  const std::string memory_mode = absl::GetFlag(FLAGS_memory_mode);
  if (!memory_mode.empty()) {
    options.memory_mode = ModeFromName(memory_mode);
    if (!options.memory_mode.has_value()) {
      Usage(absl::StrCat("unknown mode \"", memory_mode, "\""));
    }
  }
  return options;
}

}  // namespace gls_bench
