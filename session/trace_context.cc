#include "gls/session/trace_context.h"

#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace gls {
namespace {

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// True if `s` is `n` lowercase hex digits.
bool IsHex(absl::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

bool AllZero(absl::string_view s) {
  return s.find_first_not_of('0') == absl::string_view::npos;
}

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

uint8_t HexByte(absl::string_view s) {
  return static_cast<uint8_t>(HexValue(s[0]) * 16 + HexValue(s[1]));
}

// Spaces and tabs around `s` removed (HTTP's OWS).
absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Length of the fixed part: "vv-" + 32 + "-" + 16 + "-" + "ff".
constexpr size_t kTraceParentSize = 55;

// Parses the four fields of `s` (trimmed); false if invalid.
bool Parse(absl::string_view s, TraceContext* out) {
  if (s.size() < kTraceParentSize) return false;
  const absl::string_view version = s.substr(0, 2);
  if (!IsHex(version, 2) || version == "ff") return false;
  if (s[2] != '-' || s[35] != '-' || s[52] != '-') return false;
  const absl::string_view trace_id = s.substr(3, 32);
  const absl::string_view parent_id = s.substr(36, 16);
  const absl::string_view flags = s.substr(53, 2);
  if (!IsHex(trace_id, 32) || AllZero(trace_id)) return false;
  if (!IsHex(parent_id, 16) || AllZero(parent_id)) return false;
  if (!IsHex(flags, 2)) return false;
  if (version == "00") {
    // Version 0 has exactly four fields.
    if (s.size() != kTraceParentSize) return false;
  } else if (s.size() > kTraceParentSize) {
    // A later version: more fields may follow, after a '-'. Nothing in
    // them may be outside the header's printable range.
    if (s[kTraceParentSize] != '-') return false;
    for (char c : s.substr(kTraceParentSize)) {
      if (c < 0x21 || c > 0x7e) return false;
    }
  }
  if (out != nullptr) {
    out->traceparent = std::string(s);
    out->version = HexByte(version);
    out->trace_id = std::string(trace_id);
    out->parent_id = std::string(parent_id);
    out->flags = HexByte(flags);
  }
  return true;
}

bool IsKeyChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' ||
         c == '-' || c == '*' || c == '/';
}

// simple-key = lcalpha 0*255(lcalpha / DIGIT / "_" / "-"/ "*" / "/")
// multi-tenant-key = tenant-id "@" system-id
//   tenant-id = (lcalpha / DIGIT) 0*240(...)
//   system-id = lcalpha 0*13(...)
bool IsTraceStateKey(absl::string_view key) {
  const size_t at = key.find('@');
  auto chars_ok = [](absl::string_view s) {
    for (char c : s.substr(1)) {
      if (!IsKeyChar(c)) return false;
    }
    return true;
  };
  if (at == absl::string_view::npos) {
    return !key.empty() && key.size() <= 256 && absl::ascii_islower(key[0]) &&
           chars_ok(key);
  }
  const absl::string_view tenant = key.substr(0, at);
  const absl::string_view system = key.substr(at + 1);
  return !tenant.empty() && tenant.size() <= 241 &&
         (absl::ascii_islower(tenant[0]) || absl::ascii_isdigit(tenant[0])) &&
         chars_ok(tenant) && !system.empty() && system.size() <= 14 &&
         absl::ascii_islower(system[0]) && chars_ok(system);
}

// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr;
// nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
bool IsTraceStateValue(absl::string_view value) {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  for (char c : value) {
    if (c < 0x20 || c > 0x7e || c == ',' || c == '=') return false;
  }
  return true;
}

}  // namespace

absl::string_view ValidTraceParent(absl::string_view traceparent) {
  const absl::string_view trimmed = TrimOws(traceparent);
  return Parse(trimmed, nullptr) ? trimmed : absl::string_view();
}

// A valid traceparent is at least 55 bytes, never empty.
bool IsValidTraceParent(absl::string_view traceparent) {
  return !ValidTraceParent(traceparent).empty();
}

TraceContext ParseTraceContext(absl::string_view traceparent,
                               absl::string_view tracestate) {
  TraceContext out;
  if (!Parse(TrimOws(traceparent), &out)) return TraceContext();
  out.tracestate = SanitizeTraceState(tracestate);
  return out;
}

namespace {

// At most kMaxTraceStateMembers: in place, no allocation.
using TraceStateKeys =
    absl::InlinedVector<absl::string_view, kMaxTraceStateMembers>;

// Whether SanitizeTraceState keeps `member` (trimmed, not empty) after the
// members whose keys are in `keys`; if so, adds its key to `keys`.
bool KeepTraceStateMember(absl::string_view member, TraceStateKeys& keys) {
  const size_t eq = member.find('=');
  if (eq == absl::string_view::npos || keys.size() == kMaxTraceStateMembers) {
    return false;
  }
  const absl::string_view key = member.substr(0, eq);
  bool duplicate = false;
  for (absl::string_view k : keys) duplicate |= k == key;
  if (duplicate || !IsTraceStateKey(key) ||
      !IsTraceStateValue(member.substr(eq + 1))) {
    return false;
  }
  keys.push_back(key);
  return true;
}

}  // namespace

std::string SanitizeTraceState(absl::string_view tracestate, size_t* dropped) {
  std::string out;
  out.reserve(tracestate.size());
  TraceStateKeys keys;
  size_t left_out = 0;
  for (absl::string_view member : absl::StrSplit(tracestate, ',')) {
    member = TrimOws(member);
    if (member.empty()) continue;  // empty list-members are allowed
    if (!KeepTraceStateMember(member, keys)) {
      ++left_out;
      continue;
    }
    if (!out.empty()) out.push_back(',');
    out.append(member.data(), member.size());
  }
  if (dropped != nullptr) *dropped += left_out;
  return out;
}

bool IsSanitizedTraceState(absl::string_view tracestate) {
  if (tracestate.empty()) return true;
  TraceStateKeys keys;
  for (absl::string_view member : absl::StrSplit(tracestate, ',')) {
    // Sanitizing would drop an empty member, trim one, or leave one out.
    if (member.empty() || TrimOws(member).size() != member.size() ||
        !KeepTraceStateMember(member, keys)) {
      return false;
    }
  }
  return true;
}

}  // namespace gls
