#include "gls/session/session_options.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gls/session/log.h"
#include "gls/session/stats.h"

namespace gls {
namespace {

constexpr const char* kFieldNames[] = {"async", "shard_number", "gc_interval"};

// One line naming the field, the bad text and the value used. The text is
// quoted as EscapeForLog makes it: a long one is cut (and its length given),
// so a huge variable cannot make a huge log line.
std::string BadField(int index, absl::string_view text, absl::string_view why,
                     absl::string_view used) {
  bool truncated = false;
  std::string quoted = EscapeForLog(text, &truncated);
  return absl::StrCat(kSessionConfigEnv, " field ", index + 1, " (",
                      index < 3 ? kFieldNames[index] : "extra",
                      "): bad value \"", quoted, "\" (",
                      truncated ? absl::StrCat(text.size(), " bytes; ") : "",
                      why, "); using ", used);
}

// The rule for each field, shared by ValidateSessionOptions and the
// environment parser: "" if `value` is valid, else what it must be.
std::string ShardNumberRule(int value) {
  if (value >= 1 && value <= kMaxShardNumber) return "";
  return absl::StrCat("expected an integer in [1, ", kMaxShardNumber, "]");
}
std::string GcIntervalRule(absl::Duration value) {
  if (value > kMinGcInterval && value != absl::InfiniteDuration()) return "";
  return absl::StrCat("must be finite and above ",
                      absl::FormatDuration(kMinGcInterval));
}

}  // namespace

absl::Status ValidateSessionOptions(const SessionOptions& options) {
  std::vector<std::string> bad;
  std::string rule = ShardNumberRule(options.shard_number);
  if (!rule.empty()) {
    bad.push_back(
        absl::StrCat("shard_number ", options.shard_number, ": ", rule));
  }
  rule = GcIntervalRule(options.gc_interval);
  if (!rule.empty()) {
    bad.push_back(absl::StrCat(
        "gc_interval ", absl::FormatDuration(options.gc_interval), ": ", rule));
  }
  if (bad.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("SessionOptions: ", absl::StrJoin(bad, "; ")));
}

SessionOptions ApplySessionConfig(absl::string_view text,
                                  const SessionOptions& base,
                                  std::vector<std::string>* errors) {
  SessionOptions out = base;
  std::vector<std::string> local;
  if (errors == nullptr) errors = &local;
  if (absl::StripAsciiWhitespace(text).empty()) return out;
  // Whatever follows the third comma is one "extra" field, so a value with
  // many commas is still reported in one line.
  std::vector<absl::string_view> fields =
      absl::StrSplit(text, absl::MaxSplits(',', 3));
  for (int i = 0; i < static_cast<int>(fields.size()); ++i) {
    absl::string_view field = absl::StripAsciiWhitespace(fields[i]);
    if (field.empty()) continue;
    if (i == 3 &&
        field.find_first_not_of(", \t\n\v\f\r") == absl::string_view::npos) {
      continue;  // only empty extra fields
    }
    switch (i) {
      case 0: {
        bool value;
        if (absl::SimpleAtob(field, &value)) {
          out.async = value;
        } else {
          errors->push_back(BadField(i, field, "expected true or false",
                                     out.async ? "true" : "false"));
        }
        break;
      }
      case 1: {
        int value = 0;
        std::string rule = absl::SimpleAtoi(field, &value)
                               ? ShardNumberRule(value)
                               : ShardNumberRule(0);
        if (rule.empty()) {
          out.shard_number = value;
        } else {
          errors->push_back(
              BadField(i, field, rule, absl::StrCat(out.shard_number)));
        }
        break;
      }
      case 2: {
        absl::Duration value;
        if (!absl::ParseDuration(field, &value)) {
          errors->push_back(BadField(
              i, field, "expected a duration such as 1h, 30m, 1h30m, 90s",
              absl::FormatDuration(out.gc_interval)));
        } else if (std::string rule = GcIntervalRule(value); !rule.empty()) {
          errors->push_back(
              BadField(i, field, rule, absl::FormatDuration(out.gc_interval)));
        } else {
          out.gc_interval = value;
        }
        break;
      }
      default:  // 3: the rest of the text
        errors->push_back(BadField(i, field, "the variable has three fields",
                                   "nothing (ignored)"));
    }
  }
  return out;
}

absl::StatusOr<SessionOptions> ParseSessionConfig(absl::string_view text,
                                                  const SessionOptions& base) {
  std::vector<std::string> errors;
  SessionOptions out = ApplySessionConfig(text, base, &errors);
  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
  }
  return out;
}

SessionOptions SessionOptionsFromEnvironment(const SessionOptions& code) {
  const char* text = std::getenv(kSessionConfigEnv);
  if (text == nullptr) return code;
  std::vector<std::string> errors;
  SessionOptions out = ApplySessionConfig(text, code, &errors);
  for (const std::string& e : errors) {
    LogError(e);
    stats_internal::Add(stats_internal::Counter::kEnvironmentErrors);
  }
  return out;
}

}  // namespace gls
