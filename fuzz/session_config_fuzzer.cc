// gls/fuzz/session_config_fuzzer.cc
//
// Fuzzes the CLOUDWEGO_SESSION_CONFIG_KEY parser (session_options.h): the input
// bytes are the variable's text, applied with gls::ParseSessionConfig and
// gls::ApplySessionConfig over a few valid bases. Checks, for every base:
//   - ParseSessionConfig is ok iff ApplySessionConfig reports no error; when ok
//     both give the same options, otherwise the status is InvalidArgument;
//   - the result is valid: shard_number in [1, 65536], gc_interval finite and
//     above 1s;
//   - ApplySessionConfig gives the same options with and without an error list,
//     and applying the text again over its own result changes nothing;
//   - at most one error per field; each error message names the variable, is
//     one line (no CR/LF: it is logged as one line) and shorter than 1024
//     characters (bad text is quoted escaped, capped).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gls/fuzz/fuzz_check.h"
#include "gls/session/session_options.h"

namespace {

constexpr size_t kMaxErrorMessage = 1024;

bool SameOptions(const gls::SessionOptions& a, const gls::SessionOptions& b) {
  return a.async == b.async && a.shard_number == b.shard_number &&
         a.gc_interval == b.gc_interval;
}

bool ValidOptions(const gls::SessionOptions& o) {
  return o.shard_number >= 1 && o.shard_number <= 65536 &&
         o.gc_interval > absl::Seconds(1) &&
         o.gc_interval < absl::InfiniteDuration();
}

void CheckOverBase(absl::string_view text, const gls::SessionOptions& base) {
  std::vector<std::string> errors;
  const gls::SessionOptions applied =
      gls::ApplySessionConfig(text, base, &errors);
  const absl::StatusOr<gls::SessionOptions> parsed =
      gls::ParseSessionConfig(text, base);

  GLS_FUZZ_CHECK(parsed.ok() == errors.empty(),
                 "ParseSessionConfig ok iff ApplySessionConfig has no errors");
  if (parsed.ok()) {
    GLS_FUZZ_CHECK(SameOptions(*parsed, applied),
                   "ParseSessionConfig and ApplySessionConfig agree");
  } else {
    GLS_FUZZ_CHECK(absl::IsInvalidArgument(parsed.status()),
                   "a bad field is InvalidArgument");
  }
  GLS_FUZZ_CHECK(ValidOptions(applied),
                 "shard_number in [1, 65536], gc_interval finite and > 1s");

  GLS_FUZZ_CHECK(
      SameOptions(gls::ApplySessionConfig(text, base, nullptr), applied),
      "ApplySessionConfig gives the same options without an error list");
  std::vector<std::string> again_errors;
  GLS_FUZZ_CHECK(
      SameOptions(gls::ApplySessionConfig(text, applied, &again_errors),
                  applied),
      "applying the text over its own result changes nothing");
  GLS_FUZZ_CHECK(again_errors.size() == errors.size(),
                 "applying the text again reports the same bad fields");

  const size_t fields =
      static_cast<size_t>(std::count(text.begin(), text.end(), ',')) + 1;
  GLS_FUZZ_CHECK(errors.size() <= fields, "at most one error per field");
  for (const std::string& e : errors) {
    GLS_FUZZ_CHECK(absl::StartsWith(e, gls::kSessionConfigEnv),
                   "an error message names the variable");
    GLS_FUZZ_CHECK(e.find_first_of("\r\n") == std::string::npos,
                   "an error message is one line");
    GLS_FUZZ_CHECK(e.size() < kMaxErrorMessage,
                   "an error message is shorter than 1024 characters");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  gls::SessionOptions defaults;
  gls::SessionOptions low;
  low.async = true;
  low.shard_number = 1;
  low.gc_interval = absl::Seconds(1) + absl::Nanoseconds(1);
  gls::SessionOptions high;
  high.shard_number = 65536;
  high.gc_interval = absl::Hours(100000);

  for (const gls::SessionOptions& base : {defaults, low, high}) {
    CheckOverBase(text, base);
  }
  return 0;
}
