// benchmarks/flag_checks.cc
//
// The benchmark programs' shared command-line checks (see flag_checks.h).

#include "gls/benchmarks/flag_checks.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gls_bench {

void FlagChecks::Parse(int argc, char** argv, absl::string_view flags_file,
                       absl::string_view about) const {
  const std::string file(flags_file);
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [file](absl::string_view path) {
    return absl::EndsWith(path, file);
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(absl::StrCat(about, "\n", usage_));
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) Fail(absl::StrCat("bad arg ", positional[1]));
}

void FlagChecks::Fail(const std::string& error) const {
  std::fprintf(stderr, "%s: %s\n%s\n", program_.c_str(), error.c_str(),
               usage_.c_str());
  std::exit(2);
}

int FlagChecks::AtLeast(absl::string_view flag, int value, int min) const {
  if (value < min) {
    Fail(absl::StrCat("bad value for --", flag, ": \"", value, "\""));
  }
  return value;
}

std::vector<int> FlagChecks::IntList(absl::string_view flag,
                                     const std::vector<std::string>& texts,
                                     int min, int max) const {
  if (texts.empty()) Fail(absl::StrCat("bad value for --", flag, ": \"\""));
  std::vector<int> values;
  for (const std::string& text : texts) {
    int value = 0;
    if (!absl::SimpleAtoi(text, &value) || value < min || value > max) {
      Fail(absl::StrCat("bad value for --", flag, ": \"", text, "\""));
    }
    values.push_back(value);
  }
  return values;
}

bool FlagChecks::InterleaveRpcs(absl::string_view value) const {
  if (value != "slice" && value != "rpc") {
    Fail(
        absl::StrCat("--interleave must be slice or rpc, not \"", value, "\""));
  }
  return value == "rpc";
}

Mode FlagChecks::ModeNamed(absl::string_view name) const {
  const std::optional<Mode> mode = ModeFromName(name);
  if (!mode.has_value()) Fail(absl::StrCat("unknown mode \"", name, "\""));
  return *mode;
}

std::vector<Mode> FlagChecks::Modes(
    const std::vector<std::string>& names) const {
  // Abseil parses "--modes=" as an empty list; it names no mode.
  if (names.empty()) Fail("unknown mode \"\"");
  std::vector<Mode> modes = {Mode::kPlain};
  for (const std::string& name : names) {
    const Mode mode = ModeNamed(name);
    if (mode != Mode::kPlain) modes.push_back(mode);
  }
  return modes;
}

}  // namespace gls_bench
