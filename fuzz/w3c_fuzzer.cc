// gls/fuzz/w3c_fuzzer.cc
//
// Fuzzes the W3C Trace Context and Baggage parsers (trace_context.h,
// baggage.h) and how Context carries what they parse (context.h).
//
// Input: up to six parts separated by '\n' (missing parts are empty; the
// last part takes the rest of the input, '\n' included):
//   traceparent \n tracestate \n baggage \n key \n properties \n value
// E.g. "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n"
//      "rojo=00f067aa0ba902b7\nk=v%20w;p\nuser\npii\nal ice".
//
// Checks, against small models written here from the specs (not the
// library's helpers):
//   - ParseTraceContext(traceparent, tracestate): valid() == IsValidTraceParent
//     (traceparent), traceparent == ValidTraceParent(traceparent); if valid,
//     traceparent is the input without surrounding spaces and tabs and
//     follows the grammar (version 2 lowercase hex, not "ff"; trace-id 32
//     and parent-id 16 lowercase hex, not all zero; flags 2 lowercase hex;
//     version 00 exactly 55 bytes, a later one 55 or more with a '-' after
//     the flags) with only header-value bytes (0x20..0x7e), the
//     fields are the ones in it, and a traceparent the grammar accepts (with
//     only visible ASCII after a later version's flags) is valid; tracestate
//     == SanitizeTraceState(tracestate), already sanitized. If not valid,
//     every field is empty (zero).
//   - SanitizeTraceState: the result is exactly the valid list-members of
//     the input (key and value grammar of the spec; a member whose key was
//     kept before is a duplicate) in order, at most 32, trimmed, joined by
//     ','; it is idempotent with nothing dropped; *dropped is added to, and
//     the count lies between the non-empty and all members left out;
//     IsSanitizedTraceState(t) exactly when SanitizeTraceState(t) == t.
//   - ParseBaggage(baggage), onto a Baggage holding a member already: exactly
//     the members the spec's grammar accepts (key OWS "=" OWS value
//     *(OWS ";" OWS property), key a token, value baggage-octets whose "%XX"
//     escapes decode to UTF-8, properties trimmed), a later member of a key
//     replacing the earlier one in its place; returns the number of
//     non-empty members that do not parse. The result has unique keys, each
//     a token (IsBaggageKey agrees with the RFC 7230 token grammar), UTF-8
//     values and valid properties; EncodeBaggage of it is printable ASCII
//     (what a gRPC header value may hold) without surrounding spaces, and
//     parses back to the same baggage with nothing dropped.
//     IsCanonicalBaggageMember(member), for each member as split (not
//     trimmed), holds exactly when the member parses, its decoded value is
//     ASCII and EncodeBaggageMember writes it back byte for byte, and then
//     gives its key as a view into it.
//   - PercentEncodeBaggageValue(value) is only baggage-octets and decodes
//     (here) back to value; PercentDecodeBaggageValue of it succeeds, giving
//     value, exactly when value is UTF-8. PercentDecodeBaggageValue(value)
//     succeeds exactly when value is baggage-octets with well-formed "%XX"
//     escapes decoding to UTF-8, and then gives that decoding.
//   - IsBaggageProperties accepts properties in the strict grammar (token or
//     token=value, ';'-separated) and accepts nothing beyond the grammar with
//     optional whitespace.
//   - Context::Builder (incoming and outgoing) with traceparent, tracestate
//     and baggage headers: trace() is ParseTraceContext's, baggage() is
//     ParseBaggage's and GetBaggage finds each member. WithBaggage(key,
//     value, properties) leaves the context unchanged if key is not a token,
//     properties are invalid or value is not UTF-8, and otherwise sets the
//     member (in place, or appended) and GetBaggage(key) == value, the other
//     members unchanged, and the encoded baggage parses back to the same keys
//     and values; WithoutBaggage(key) removes only that member; WithTrace
//     (traceparent, tracestate) sets ParseTraceContext's result or, if that
//     is invalid, leaves the trace unchanged.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "gls/fuzz/fuzz_check.h"
#include "gls/session/baggage.h"
#include "gls/session/context.h"
#include "gls/session/trace_context.h"

namespace {

using gls::Baggage;
using gls::BaggageEntry;
using gls::Context;
using gls::TraceContext;

constexpr size_t kParts = 6;

// The spec's length of a version-00 traceparent.
constexpr size_t kTraceParentSize = 55;

// HTTP's OWS: spaces and tabs.
bool IsOws(char c) { return c == ' ' || c == '\t'; }

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

// Properties as gls keeps them: a tab (OWS in W3C, not legal in a gRPC
// metadata value) becomes a space.
std::string TabsToSpaces(absl::string_view s) {
  std::string out;
  for (char c : s) out.push_back(c == '\t' ? ' ' : c);
  return out;
}

// Well-formed UTF-8, by the byte ranges of Unicode's Table 3-7.
bool IsUtf8(absl::string_view s) {
  size_t i = 0;
  auto in = [&](size_t k, uint8_t lo, uint8_t hi) {
    if (i + k >= s.size()) return false;
    const uint8_t b = static_cast<uint8_t>(s[i + k]);
    return b >= lo && b <= hi;
  };
  while (i < s.size()) {
    const uint8_t b = static_cast<uint8_t>(s[i]);
    size_t n;
    if (b <= 0x7f) {
      n = 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
      if (!in(1, 0x80, 0xbf)) return false;
      n = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      const uint8_t lo = b == 0xe0 ? 0xa0 : 0x80;
      const uint8_t hi = b == 0xed ? 0x9f : 0xbf;
      if (!in(1, lo, hi) || !in(2, 0x80, 0xbf)) return false;
      n = 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      const uint8_t lo = b == 0xf0 ? 0x90 : 0x80;
      const uint8_t hi = b == 0xf4 ? 0x8f : 0xbf;
      if (!in(1, lo, hi) || !in(2, 0x80, 0xbf) || !in(3, 0x80, 0xbf)) {
        return false;
      }
      n = 4;
    } else {
      return false;
    }
    i += n;
  }
  return true;
}

bool IsLowerHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool IsHexDigit(char c) { return IsLowerHexDigit(c) || (c >= 'A' && c <= 'F'); }

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

bool IsLowerHex(absl::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!IsLowerHexDigit(c)) return false;
  }
  return true;
}

bool IsAllZero(absl::string_view s) {
  for (char c : s) {
    if (c != '0') return false;
  }
  return true;
}

// traceparent's grammar (trimmed input), a later version's extra fields
// limited to bytes `lowest`..0x7e (a header value's bytes are 0x20..0x7e).
bool TraceParentModel(absl::string_view s, char lowest) {
  if (s.size() < kTraceParentSize) return false;
  if (!IsLowerHex(s.substr(0, 2), 2) || s.substr(0, 2) == "ff") return false;
  if (s[2] != '-' || s[35] != '-' || s[52] != '-') return false;
  const absl::string_view trace_id = s.substr(3, 32);
  const absl::string_view parent_id = s.substr(36, 16);
  if (!IsLowerHex(trace_id, 32) || IsAllZero(trace_id)) return false;
  if (!IsLowerHex(parent_id, 16) || IsAllZero(parent_id)) return false;
  if (!IsLowerHex(s.substr(53, 2), 2)) return false;
  if (s.substr(0, 2) == "00") return s.size() == kTraceParentSize;
  if (s.size() == kTraceParentSize) return true;
  if (s[kTraceParentSize] != '-') return false;
  for (char c : s.substr(kTraceParentSize)) {
    if (c < lowest || c > 0x7e) return false;
  }
  return true;
}

uint8_t HexByteAt(absl::string_view s, size_t pos) {
  return static_cast<uint8_t>(HexDigitValue(s[pos]) * 16 +
                              HexDigitValue(s[pos + 1]));
}

// tracestate key: lcalpha 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/"),
// or tenant-id "@" system-id, tenant-id = (lcalpha / DIGIT) 0*240(...),
// system-id = lcalpha 0*13(...).
bool IsTraceStateKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '*' || c == '/';
}

bool TraceStateKeyPart(absl::string_view s, bool digit_first, size_t max_size) {
  if (s.empty() || s.size() > max_size) return false;
  const bool first_ok = (s[0] >= 'a' && s[0] <= 'z') ||
                        (digit_first && s[0] >= '0' && s[0] <= '9');
  if (!first_ok) return false;
  for (char c : s) {
    if (!IsTraceStateKeyChar(c)) return false;
  }
  return true;
}

bool TraceStateKeyModel(absl::string_view key) {
  const size_t at = key.find('@');
  if (at == absl::string_view::npos) {
    return TraceStateKeyPart(key, /*digit_first=*/false, 256);
  }
  return TraceStateKeyPart(key.substr(0, at), /*digit_first=*/true, 241) &&
         TraceStateKeyPart(key.substr(at + 1), /*digit_first=*/false, 14);
}

// tracestate value: 0*255(chr) nblk-chr, chr = %x20 / nblk-chr,
// nblk-chr = %x21-2B / %x2D-3C / %x3E-7E.
bool TraceStateValueModel(absl::string_view value) {
  if (value.empty() || value.size() > 256) return false;
  for (char c : value) {
    if (c < 0x20 || c > 0x7e || c == ',' || c == '=') return false;
  }
  return value.back() != ' ';
}

absl::string_view TraceStateKey(absl::string_view member) {
  return member.substr(0, member.find('='));
}

// What SanitizeTraceState must return for `tracestate`, with the count of
// non-empty and of all list-members it leaves out.
struct TraceStateModel {
  std::string sanitized;
  size_t members = 0;
  size_t non_empty_left_out = 0;
  size_t all_left_out = 0;
};

TraceStateModel SanitizeTraceStateModel(absl::string_view tracestate) {
  TraceStateModel m;
  std::vector<absl::string_view> keys;
  for (absl::string_view member : absl::StrSplit(tracestate, ',')) {
    member = TrimOws(member);
    const size_t eq = member.find('=');
    bool keep = eq != absl::string_view::npos &&
                TraceStateKeyModel(member.substr(0, eq)) &&
                TraceStateValueModel(member.substr(eq + 1)) &&
                keys.size() < gls::kMaxTraceStateMembers;
    for (absl::string_view k : keys) {
      keep &= k != TraceStateKey(member);
    }
    if (!keep) {
      ++m.all_left_out;
      if (!member.empty()) ++m.non_empty_left_out;
      continue;
    }
    keys.push_back(TraceStateKey(member));
    if (!m.sanitized.empty()) m.sanitized.push_back(',');
    m.sanitized.append(member.data(), member.size());
  }
  m.members = keys.size();
  return m;
}

// A sanitized tracestate: at most 32 members, none empty or with spaces
// around it, unique keys, each valid.
void CheckCleanTraceState(absl::string_view tracestate) {
  if (tracestate.empty()) return;
  std::set<absl::string_view> keys;
  for (absl::string_view member : absl::StrSplit(tracestate, ',')) {
    GLS_FUZZ_CHECK(!member.empty() && TrimOws(member) == member,
                   "a sanitized tracestate member is non-empty and trimmed");
    const size_t eq = member.find('=');
    GLS_FUZZ_CHECK(eq != absl::string_view::npos &&
                       TraceStateKeyModel(member.substr(0, eq)) &&
                       TraceStateValueModel(member.substr(eq + 1)),
                   "a sanitized tracestate member is key=value");
    GLS_FUZZ_CHECK(keys.insert(member.substr(0, eq)).second,
                   "a sanitized tracestate has no duplicate keys");
  }
  GLS_FUZZ_CHECK(keys.size() <= gls::kMaxTraceStateMembers,
                 "a sanitized tracestate has at most 32 members");
}

void CheckSanitizeTraceState(absl::string_view tracestate) {
  constexpr size_t kBefore = 7;  // SanitizeTraceState adds to *dropped
  size_t dropped = kBefore;
  const std::string sanitized = gls::SanitizeTraceState(tracestate, &dropped);
  GLS_FUZZ_CHECK(dropped >= kBefore, "SanitizeTraceState adds to *dropped");
  dropped -= kBefore;
  CheckCleanTraceState(sanitized);
  GLS_FUZZ_CHECK(gls::SanitizeTraceState(tracestate) == sanitized,
                 "SanitizeTraceState without dropped gives the same result");

  const TraceStateModel model = SanitizeTraceStateModel(tracestate);
  GLS_FUZZ_CHECK(sanitized == model.sanitized,
                 "SanitizeTraceState keeps exactly the first 32 valid, "
                 "non-duplicate members, in order");
  GLS_FUZZ_CHECK(
      dropped >= model.non_empty_left_out && dropped <= model.all_left_out,
      "SanitizeTraceState counts every non-empty member it leaves out");

  GLS_FUZZ_CHECK(
      gls::IsSanitizedTraceState(tracestate) == (sanitized == tracestate),
      "IsSanitizedTraceState is true exactly when SanitizeTraceState "
      "returns the input unchanged");
  GLS_FUZZ_CHECK(
      gls::IsSanitizedTraceState(sanitized),
      "IsSanitizedTraceState accepts what SanitizeTraceState returns");

  size_t again_dropped = 0;
  GLS_FUZZ_CHECK(
      gls::SanitizeTraceState(sanitized, &again_dropped) == sanitized &&
          again_dropped == 0,
      "SanitizeTraceState is idempotent and drops nothing the second time");
}

bool SameTrace(const TraceContext& a, const TraceContext& b) {
  return a.traceparent == b.traceparent && a.version == b.version &&
         a.trace_id == b.trace_id && a.parent_id == b.parent_id &&
         a.flags == b.flags && a.tracestate == b.tracestate;
}

TraceContext CheckParseTraceContext(absl::string_view traceparent,
                                    absl::string_view tracestate) {
  const TraceContext t = gls::ParseTraceContext(traceparent, tracestate);
  const absl::string_view trimmed = TrimOws(traceparent);
  GLS_FUZZ_CHECK(t.valid() == gls::IsValidTraceParent(traceparent),
                 "ParseTraceContext(tp).valid() == IsValidTraceParent(tp)");
  GLS_FUZZ_CHECK(gls::ValidTraceParent(traceparent) == t.traceparent,
                 "ValidTraceParent(tp) == ParseTraceContext(tp).traceparent");
  if (TraceParentModel(trimmed, /*lowest=*/0x21)) {
    GLS_FUZZ_CHECK(t.valid(), "a traceparent in the grammar is valid");
  }
  if (!t.valid()) {
    GLS_FUZZ_CHECK(t.traceparent.empty() && t.version == 0 &&
                       t.trace_id.empty() && t.parent_id.empty() &&
                       t.flags == 0 && t.tracestate.empty(),
                   "an invalid TraceContext has every field empty");
    return t;
  }
  GLS_FUZZ_CHECK(t.traceparent == trimmed,
                 "traceparent is the input without surrounding spaces/tabs");
  GLS_FUZZ_CHECK(TraceParentModel(t.traceparent, /*lowest=*/0x20),
                 "a valid traceparent follows the grammar and is a legal "
                 "header value");
  GLS_FUZZ_CHECK(IsLowerHex(t.trace_id, 32) && !IsAllZero(t.trace_id),
                 "trace_id is 32 lowercase hex digits, not all zero");
  GLS_FUZZ_CHECK(IsLowerHex(t.parent_id, 16) && !IsAllZero(t.parent_id),
                 "parent_id is 16 lowercase hex digits, not all zero");
  GLS_FUZZ_CHECK(t.version != 0xff, "version is not ff");
  GLS_FUZZ_CHECK(t.version != 0 || t.traceparent.size() == kTraceParentSize,
                 "a version-00 traceparent has 55 bytes");
  GLS_FUZZ_CHECK(t.version == HexByteAt(t.traceparent, 0) &&
                     t.trace_id == t.traceparent.substr(3, 32) &&
                     t.parent_id == t.traceparent.substr(36, 16) &&
                     t.flags == HexByteAt(t.traceparent, 53),
                 "the fields are the traceparent's");
  CheckCleanTraceState(t.tracestate);
  GLS_FUZZ_CHECK(t.tracestate == gls::SanitizeTraceState(tracestate),
                 "tracestate is SanitizeTraceState(tracestate)");
  size_t dropped = 0;
  GLS_FUZZ_CHECK(
      gls::SanitizeTraceState(t.tracestate, &dropped) == t.tracestate &&
          dropped == 0,
      "a parsed tracestate is already sanitized");
  return t;
}

// RFC 7230 token (the baggage key).
bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') ||
        absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
bool IsBaggageOctet(char c) {
  const uint8_t u = static_cast<uint8_t>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x2b) || (u >= 0x2d && u <= 0x3a) ||
         (u >= 0x3c && u <= 0x5b) || (u >= 0x5d && u <= 0x7e);
}

bool AllBaggageOctets(absl::string_view s) {
  for (char c : s) {
    if (!IsBaggageOctet(c)) return false;
  }
  return true;
}

// Percent-decodes `s`; nullopt if a '%' is not followed by two hex digits.
absl::optional<std::string> PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (s.size() - i < 3 || !IsHexDigit(s[i + 1]) || !IsHexDigit(s[i + 2])) {
      return absl::nullopt;
    }
    out.push_back(static_cast<char>(HexByteAt(s, i + 1)));
    i += 2;
  }
  return out;
}

// Properties: `property *(";" property)`, property = token / token "=" value
// (value 1*baggage-octet), without whitespace.
bool StrictPropertiesModel(absl::string_view properties) {
  for (absl::string_view p : absl::StrSplit(properties, ';')) {
    const size_t eq = p.find('=');
    if (eq == absl::string_view::npos) {
      if (!IsToken(p)) return false;
    } else if (!IsToken(p.substr(0, eq)) || eq + 1 == p.size() ||
               !AllBaggageOctets(p.substr(eq + 1))) {
      return false;
    }
  }
  return true;
}

// The same with optional whitespace around each token and value, and
// empty values.
bool LenientPropertiesModel(absl::string_view properties) {
  for (absl::string_view p : absl::StrSplit(properties, ';')) {
    p = TrimOws(p);
    const size_t eq = p.find('=');
    if (eq == absl::string_view::npos) {
      if (!IsToken(p)) return false;
    } else if (!IsToken(TrimOws(p.substr(0, eq))) ||
               !AllBaggageOctets(TrimOws(p.substr(eq + 1)))) {
      return false;
    }
  }
  return true;
}

void CheckProperties(absl::string_view properties) {
  const bool valid = gls::IsBaggageProperties(properties);
  if (properties.empty() || StrictPropertiesModel(properties)) {
    GLS_FUZZ_CHECK(valid, "properties in the strict grammar are valid");
  }
  if (!properties.empty() && valid) {
    GLS_FUZZ_CHECK(LenientPropertiesModel(properties),
                   "valid properties follow the grammar with whitespace");
  }
}

void CheckPercentCoding(absl::string_view value) {
  const std::string encoded = gls::PercentEncodeBaggageValue(value);
  GLS_FUZZ_CHECK(AllBaggageOctets(encoded),
                 "PercentEncodeBaggageValue gives only baggage-octets");
  const absl::optional<std::string> here = PercentDecode(encoded);
  GLS_FUZZ_CHECK(here.has_value() && *here == value,
                 "PercentEncodeBaggageValue(v) percent-decodes to v");
  std::string decoded;
  const bool ok = gls::PercentDecodeBaggageValue(encoded, &decoded);
  GLS_FUZZ_CHECK(ok == IsUtf8(value),
                 "PercentDecodeBaggageValue(encode(v)) succeeds iff v is "
                 "UTF-8");
  GLS_FUZZ_CHECK(!ok || decoded == value,
                 "PercentDecodeBaggageValue(encode(v)) gives v");

  // `value` as received.
  decoded.clear();
  const bool raw_ok = gls::PercentDecodeBaggageValue(value, &decoded);
  absl::optional<std::string> expected;
  if (AllBaggageOctets(value)) expected = PercentDecode(value);
  const bool expected_ok = expected.has_value() && IsUtf8(*expected);
  GLS_FUZZ_CHECK(raw_ok == expected_ok,
                 "PercentDecodeBaggageValue(v) succeeds iff v is "
                 "baggage-octets with %XX escapes decoding to UTF-8");
  GLS_FUZZ_CHECK(!raw_ok || decoded == *expected,
                 "PercentDecodeBaggageValue(v) gives v percent-decoded");
}

// The invariants of a parsed (or derived) baggage: unique token keys, UTF-8
// values, valid properties.
void CheckBaggage(const Baggage& baggage) {
  std::set<absl::string_view> keys;
  for (const BaggageEntry& e : baggage) {
    GLS_FUZZ_CHECK(keys.insert(e.key).second, "baggage keys are unique");
    GLS_FUZZ_CHECK(gls::IsBaggageKey(e.key) && IsToken(e.key),
                   "a baggage key is a token");
    GLS_FUZZ_CHECK(IsUtf8(e.value), "a baggage value is UTF-8");
    GLS_FUZZ_CHECK(gls::IsBaggageProperties(e.properties),
                   "baggage properties are valid");
    GLS_FUZZ_CHECK(gls::FindBaggage(baggage, e.key) == &e,
                   "FindBaggage finds a member by its key");
  }
}

std::vector<std::pair<std::string, std::string>> KeysAndValues(
    const Baggage& baggage) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const BaggageEntry& e : baggage) out.emplace_back(e.key, e.value);
  return out;
}

// One baggage list-member (trimmed, non-empty) by the spec's grammar:
// key OWS "=" OWS value *(OWS ";" OWS property), the value's "%XX" escapes
// decoding to UTF-8; nullopt if it does not parse.
absl::optional<BaggageEntry> BaggageMemberModel(absl::string_view member) {
  absl::string_view pair = member;
  absl::string_view properties;
  const size_t semi = member.find(';');
  if (semi != absl::string_view::npos) {
    pair = member.substr(0, semi);
    properties = TrimOws(member.substr(semi + 1));
    if (properties.empty() || !LenientPropertiesModel(properties)) {
      return absl::nullopt;
    }
  }
  const size_t eq = pair.find('=');
  if (eq == absl::string_view::npos) return absl::nullopt;
  const absl::string_view key = TrimOws(pair.substr(0, eq));
  const absl::string_view value = TrimOws(pair.substr(eq + 1));
  if (!IsToken(key) || !AllBaggageOctets(value)) return absl::nullopt;
  absl::optional<std::string> decoded = PercentDecode(value);
  if (!decoded.has_value() || !IsUtf8(*decoded)) return absl::nullopt;
  return BaggageEntry{std::string(key), *std::move(decoded),
                      TabsToSpaces(properties)};
}

// IsCanonicalBaggageMember(member) exactly when the member parses (the
// model), its value is ASCII, and EncodeBaggageMember writes it back byte
// for byte; its key is then the parsed key.
void CheckCanonicalMember(absl::string_view member) {
  absl::string_view key;
  const bool canonical = gls::IsCanonicalBaggageMember(member, &key);
  const absl::optional<BaggageEntry> entry =
      TrimOws(member) == member && !member.empty() ? BaggageMemberModel(member)
                                                   : absl::nullopt;
  bool ascii = entry.has_value();
  if (ascii) {
    for (char c : entry->value) ascii &= static_cast<unsigned char>(c) < 0x80;
  }
  const bool expected = ascii && gls::EncodeBaggageMember(*entry) == member;
  GLS_FUZZ_CHECK(canonical == expected,
                 "IsCanonicalBaggageMember(m) iff m parses, its value is "
                 "ASCII, and EncodeBaggageMember writes it back as m");
  if (canonical) {
    GLS_FUZZ_CHECK(key == entry->key && key.data() == member.data(),
                   "IsCanonicalBaggageMember's key is the member's, a view");
  }
}

Baggage CheckParseBaggage(absl::string_view header) {
  constexpr size_t kBefore = 3;  // a member already there: "k0=v0"
  Baggage baggage = {BaggageEntry{"k0", "v0", ""}};
  const size_t dropped = gls::ParseBaggage(header, &baggage);
  CheckBaggage(baggage);

  // The model: the members that parse, a later one of a key replacing the
  // earlier one's value and properties in its place; those that do not
  // parse counted (empty ones not).
  Baggage expected = {BaggageEntry{"k0", "v0", ""}};
  size_t expected_dropped = 0;
  for (absl::string_view member : absl::StrSplit(header, ',')) {
    CheckCanonicalMember(member);
    member = TrimOws(member);
    if (member.empty()) continue;
    absl::optional<BaggageEntry> entry = BaggageMemberModel(member);
    if (!entry.has_value()) {
      ++expected_dropped;
      continue;
    }
    bool replaced = false;
    for (BaggageEntry& e : expected) {
      if (e.key == entry->key) {
        e = *entry;
        replaced = true;
      }
    }
    if (!replaced) expected.push_back(*std::move(entry));
  }
  GLS_FUZZ_CHECK(baggage == expected,
                 "ParseBaggage keeps the members that parse, the later of a "
                 "key winning in the place of the first, added to *baggage");
  GLS_FUZZ_CHECK(dropped == expected_dropped,
                 "ParseBaggage returns the number of invalid members");
  baggage.clear();
  GLS_FUZZ_CHECK(gls::ParseBaggage(header, &baggage) == dropped,
                 "ParseBaggage into an empty Baggage drops the same members");

  const std::string encoded = gls::EncodeBaggage(baggage);
  for (char c : encoded) {
    GLS_FUZZ_CHECK(c >= 0x20 && c <= 0x7e,
                   "EncodeBaggage(parsed baggage) is printable ASCII");
  }
  GLS_FUZZ_CHECK(
      encoded.empty() || (encoded.front() != ' ' && encoded.back() != ' '),
      "EncodeBaggage(parsed baggage) has no surrounding spaces");
  std::string joined;
  for (const BaggageEntry& e : baggage) {
    if (!joined.empty()) joined.push_back(',');
    joined += gls::EncodeBaggageMember(e);
  }
  GLS_FUZZ_CHECK(encoded == joined,
                 "EncodeBaggage joins EncodeBaggageMember by ','");
  Baggage again;
  GLS_FUZZ_CHECK(gls::ParseBaggage(encoded, &again) == 0 && again == baggage,
                 "ParseBaggage(EncodeBaggage(b)) == b, nothing dropped");
  return baggage;
}

// Context::Builder with the three W3C headers, and derivations of its result.
void CheckContext(Context::Direction direction, absl::string_view traceparent,
                  absl::string_view tracestate, absl::string_view header,
                  const TraceContext& trace, const Baggage& baggage,
                  absl::string_view key, absl::string_view properties,
                  absl::string_view value) {
  Context::Builder builder(direction);
  const Context ctx = builder.AddHeader("traceparent", traceparent)
                          .AddHeader("tracestate", tracestate)
                          .AddHeader("baggage", header)
                          .Build();
  GLS_FUZZ_CHECK(SameTrace(ctx.trace(), trace),
                 "Context::trace() == ParseTraceContext(tp, ts)");
  GLS_FUZZ_CHECK(ctx.baggage() == baggage,
                 "Context::baggage() == ParseBaggage(baggage)");
  for (const BaggageEntry& e : baggage) {
    GLS_FUZZ_CHECK(ctx.GetBaggage(e.key) == absl::string_view(e.value),
                   "GetBaggage(k) is the member's value");
  }

  const Context with = ctx.WithBaggage(key, value, properties);
  GLS_FUZZ_CHECK(SameTrace(with.trace(), trace),
                 "WithBaggage leaves the trace unchanged");
  if (!IsToken(key) || !gls::IsBaggageProperties(properties) ||
      !IsUtf8(value)) {
    GLS_FUZZ_CHECK(with.baggage() == ctx.baggage(),
                   "WithBaggage(bad key, value or properties) leaves the "
                   "context unchanged");
  } else {
    GLS_FUZZ_CHECK(with.GetBaggage(key) == value,
                   "GetBaggage(k) == v after WithBaggage(k, v, p)");
    const BaggageEntry* e = gls::FindBaggage(with.baggage(), key);
    GLS_FUZZ_CHECK(e != nullptr && e->properties == TabsToSpaces(properties),
                   "WithBaggage(k, v, p) sets the properties p, tabs as "
                   "spaces");
    Baggage expected = ctx.baggage();
    bool replaced = false;
    for (BaggageEntry& old : expected) {
      if (old.key == key) {
        old = *e;
        replaced = true;
      }
    }
    if (!replaced) expected.push_back(*e);
    GLS_FUZZ_CHECK(with.baggage() == expected,
                   "WithBaggage replaces the member of its key in place or "
                   "appends it, and changes nothing else");
    CheckBaggage(with.baggage());
    Baggage sent;
    GLS_FUZZ_CHECK(
        gls::ParseBaggage(gls::EncodeBaggage(with.baggage()), &sent) == 0 &&
            KeysAndValues(sent) == KeysAndValues(with.baggage()),
        "the baggage after WithBaggage parses back to its keys and values");

    const Context without = with.WithoutBaggage(key);
    Baggage rest = with.baggage();
    for (auto it = rest.begin(); it != rest.end(); ++it) {
      if (it->key == key) {
        rest.erase(it);
        break;
      }
    }
    GLS_FUZZ_CHECK(
        !without.GetBaggage(key).has_value() && without.baggage() == rest,
        "WithoutBaggage(k) removes the member of k only");
  }

  const Context traced = ctx.WithTrace(traceparent, tracestate);
  const TraceContext parsed = gls::ParseTraceContext(traceparent, tracestate);
  GLS_FUZZ_CHECK(SameTrace(traced.trace(), parsed.valid() ? parsed : trace),
                 "WithTrace(tp, ts) sets ParseTraceContext(tp, ts), or "
                 "leaves the trace if it is invalid");
  GLS_FUZZ_CHECK(traced.baggage() == ctx.baggage(),
                 "WithTrace leaves the baggage unchanged");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> parts =
      absl::StrSplit(input, absl::MaxSplits('\n', kParts - 1));
  parts.resize(kParts);
  const absl::string_view traceparent = parts[0];
  const absl::string_view tracestate = parts[1];
  const absl::string_view header = parts[2];
  const absl::string_view key = parts[3];
  const absl::string_view properties = parts[4];
  const absl::string_view value = parts[5];

  CheckSanitizeTraceState(tracestate);
  const TraceContext trace = CheckParseTraceContext(traceparent, tracestate);
  // The other parts as a traceparent too: a tracestate or value that is one.
  CheckParseTraceContext(tracestate, header);
  CheckParseTraceContext(value, tracestate);

  const Baggage baggage = CheckParseBaggage(header);
  CheckParseBaggage(value);
  GLS_FUZZ_CHECK(gls::IsBaggageKey(key) == IsToken(key),
                 "IsBaggageKey(k) iff k is a token");
  CheckProperties(properties);
  CheckProperties(value);
  CheckPercentCoding(value);
  CheckPercentCoding(header);

  CheckContext(Context::Direction::kIncoming, traceparent, tracestate, header,
               trace, baggage, key, properties, value);
  CheckContext(Context::Direction::kOutgoing, traceparent, tracestate, header,
               trace, baggage, key, properties, value);
  return 0;
}
