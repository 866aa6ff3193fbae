#include "gls/session/baggage.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/str_split.h"

namespace gls {
namespace {

// RFC 7230 tchar, and the spec's baggage-octet
// (%x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E), as tables.
struct ByteTables {
  bool token[256] = {};
  bool octet[256] = {};
  constexpr ByteTables() {
    for (int c = 0; c < 256; ++c) {
      token[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '!' || c == '#' || c == '$' ||
                 c == '%' || c == '&' || c == '\'' || c == '*' || c == '+' ||
                 c == '-' || c == '.' || c == '^' || c == '_' || c == '`' ||
                 c == '|' || c == '~';
      octet[c] = c == 0x21 || (c >= 0x23 && c <= 0x2b) ||
                 (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
                 (c >= 0x5d && c <= 0x7e);
    }
  }
};
constexpr ByteTables kBytes;

bool AllIn(absl::string_view s, const bool (&table)[256]) {
  for (char c : s) {
    if (!table[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// True if `s` is well-formed UTF-8 (no overlong forms, surrogates or code
// points past U+10FFFF).
bool IsUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const uint8_t d = static_cast<uint8_t>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// Parses one list-member (not empty, trimmed) into `*entry`.
bool ParseMember(absl::string_view member, BaggageEntry* entry) {
  absl::string_view pair = member;
  absl::string_view properties;
  if (const size_t semi = member.find(';'); semi != absl::string_view::npos) {
    pair = member.substr(0, semi);
    properties = TrimOws(member.substr(semi + 1));
    if (properties.empty() || !IsBaggageProperties(properties)) return false;
  }
  const size_t eq = pair.find('=');
  if (eq == absl::string_view::npos) return false;
  const absl::string_view key = TrimOws(pair.substr(0, eq));
  const absl::string_view value = TrimOws(pair.substr(eq + 1));
  if (!IsBaggageKey(key)) return false;
  std::string decoded;
  if (!PercentDecodeBaggageValue(value, &decoded)) return false;
  entry->key = std::string(key);
  entry->value = std::move(decoded);
  entry->properties = CanonicalBaggageProperties(properties);
  return true;
}

}  // namespace

bool IsBaggageKey(absl::string_view key) {
  return !key.empty() && AllIn(key, kBytes.token);
}

bool IsBaggageProperties(absl::string_view properties) {
  if (properties.empty()) return true;
  for (absl::string_view p : absl::StrSplit(properties, ';')) {
    p = TrimOws(p);
    const size_t eq = p.find('=');
    if (eq == absl::string_view::npos) {
      if (!IsBaggageKey(p)) return false;
      continue;
    }
    if (!IsBaggageKey(TrimOws(p.substr(0, eq))) ||
        !AllIn(TrimOws(p.substr(eq + 1)), kBytes.octet)) {
      return false;
    }
  }
  return true;
}

std::string CanonicalBaggageProperties(absl::string_view properties) {
  std::string out(properties);
  for (char& c : out) {
    if (c == '\t') c = ' ';
  }
  return out;
}

namespace {

// Appends `value` percent-encoded to `*out`: runs of bytes that stay as
// they are in one append each.
void AppendPercentEncoded(absl::string_view value, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  size_t run = 0;  // where the current run of kept bytes starts
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char u = static_cast<unsigned char>(value[i]);
    if (kBytes.octet[u] && u != '%') continue;
    out->append(value.data() + run, i - run);
    const char escaped[3] = {'%', kHex[u >> 4], kHex[u & 0x0f]};
    out->append(escaped, 3);
    run = i + 1;
  }
  out->append(value.data() + run, value.size() - run);
}

}  // namespace

std::string PercentEncodeBaggageValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  AppendPercentEncoded(value, &out);
  return out;
}

bool PercentDecodeBaggageValue(absl::string_view encoded, std::string* out) {
  if (encoded.find('%') == absl::string_view::npos) {
    // Nothing to decode; baggage-octets are ASCII, so valid UTF-8.
    if (!AllIn(encoded, kBytes.octet)) return false;
    out->assign(encoded.data(), encoded.size());
    return true;
  }
  std::string decoded;
  decoded.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (!kBytes.octet[static_cast<unsigned char>(c)]) return false;
    if (c != '%') {
      decoded.push_back(c);
      continue;
    }
    if (i + 2 >= encoded.size()) return false;
    const int hi = HexValue(encoded[i + 1]);
    const int lo = HexValue(encoded[i + 2]);
    if (hi < 0 || lo < 0) return false;
    decoded.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  if (!IsUtf8(decoded)) return false;
  *out = std::move(decoded);
  return true;
}

size_t ParseBaggage(absl::string_view header, Baggage* baggage) {
  size_t dropped = 0;
  // Room for the members at once (a hint only, so capped: a hostile header
  // of commas does not make a large allocation).
  const size_t commas =
      static_cast<size_t>(std::count(header.begin(), header.end(), ','));
  baggage->reserve(baggage->size() + std::min(commas + 1, kMinBaggageMembers));
  for (absl::string_view member : absl::StrSplit(header, ',')) {
    member = TrimOws(member);
    if (member.empty()) continue;
    BaggageEntry entry;
    if (!ParseMember(member, &entry)) {
      ++dropped;
      continue;
    }
    bool replaced = false;
    for (BaggageEntry& e : *baggage) {
      if (e.key == entry.key) {  // the later member wins
        e = std::move(entry);
        replaced = true;
        break;
      }
    }
    if (!replaced) baggage->push_back(std::move(entry));
  }
  return dropped;
}

const BaggageEntry* FindBaggage(const Baggage& baggage, absl::string_view key) {
  for (const BaggageEntry& e : baggage) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

void AppendBaggageMember(const BaggageEntry& entry, std::string* out) {
  out->reserve(out->size() + entry.key.size() + 1 + entry.value.size() +
               (entry.properties.empty() ? 0 : 1 + entry.properties.size()));
  out->append(entry.key);
  out->push_back('=');
  AppendPercentEncoded(entry.value, out);
  if (!entry.properties.empty()) {
    out->push_back(';');
    out->append(entry.properties);
  }
}

std::string EncodeBaggageMember(const BaggageEntry& entry) {
  std::string out;
  AppendBaggageMember(entry, &out);
  return out;
}

bool IsCanonicalBaggageMember(absl::string_view member,
                              absl::string_view* key) {
  const size_t eq = member.find('=');
  if (eq == absl::string_view::npos || eq == 0) return false;
  // The key: tchar only (no space before '=').
  const absl::string_view k = member.substr(0, eq);
  if (!AllIn(k, kBytes.token)) return false;
  // The value: baggage-octets, '%' only as an escape of a byte the encoder
  // escapes, in its uppercase hex; it ends at ';' or at the end (';' is no
  // baggage-octet). No space or tab can be in it or around it: neither is
  // a baggage-octet.
  size_t i = eq + 1;
  for (; i < member.size() && member[i] != ';'; ++i) {
    const unsigned char c = static_cast<unsigned char>(member[i]);
    if (!kBytes.octet[c]) return false;
    if (c != '%') continue;
    if (i + 2 >= member.size()) return false;
    const char hi = member[i + 1];
    const char lo = member[i + 2];
    const auto upper_hex = [](char h) {
      return (h >= '0' && h <= '9') || (h >= 'A' && h <= 'F');
    };
    if (!upper_hex(hi) || !upper_hex(lo)) return false;
    const int byte = HexValue(hi) * 16 + HexValue(lo);
    // ASCII only (a non-ASCII byte would need the UTF-8 check), and one
    // the encoder escapes: outside baggage-octet, or '%' itself.
    if (byte >= 0x80 || (kBytes.octet[byte] && byte != '%')) return false;
    i += 2;
  }
  if (i < member.size()) {
    // Properties: not empty, valid, none of the whitespace that parsing
    // trims (after the ';') or canonicalizes (a tab).
    const absl::string_view properties = member.substr(i + 1);
    if (properties.empty() || properties.front() == ' ' ||
        properties.back() == ' ' ||
        properties.find('\t') != absl::string_view::npos ||
        !IsBaggageProperties(properties)) {
      return false;
    }
  }
  *key = k;
  return true;
}

std::string EncodeBaggage(const Baggage& baggage) {
  std::string out;
  for (const BaggageEntry& e : baggage) {
    if (!out.empty()) out.push_back(',');
    AppendBaggageMember(e, &out);
  }
  return out;
}

}  // namespace gls
