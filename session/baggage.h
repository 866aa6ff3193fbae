// gls/session/baggage.h
//
// W3C Baggage (https://www.w3.org/TR/baggage/): the `baggage` header, a
// comma-separated list of `key=value` list-members, each optionally followed
// by `;property` or `;key=value` properties. OpenTelemetry's equivalent of
// persistent metainfo: gls carries a request's baggage on to the calls its
// handler makes (docs/w3c.md).
//
//   key          an HTTP token (letters, digits, !#$%&'*+-.^_`|~), case-
//                sensitive, kept as received
//   value        percent-decoded on read (must decode to UTF-8), percent-
//                encoded on write; surrounding spaces ignored
//   properties   the text after the value's first ';', as received (each
//                property a token, or token=value), except that a tab
//                becomes a space: gRPC metadata cannot carry a tab
//
// A list-member that does not parse is dropped and the rest kept. Of two
// members with the same key the later one wins (as OpenTelemetry does), in
// the place of the first.
//
// Example:
//
//   gls::Baggage b;
//   size_t dropped = gls::ParseBaggage(
//       "user=al%20ice;pii, bad key=1, tier=gold", &b);
//   // dropped == 1; b: {"user", "al ice", "pii"}, {"tier", "gold", ""}
//   gls::EncodeBaggage(b);  // "user=al%20ice;pii,tier=gold"
//
// Thread-safety: BaggageEntry and Baggage are plain values; the functions
// are thread-safe (pure).

#ifndef GLS_SESSION_BAGGAGE_H_
#define GLS_SESSION_BAGGAGE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace gls {

// The W3C Baggage header.
inline constexpr absl::string_view kBaggageHeader = "baggage";
// The spec's minimum a platform propagates: at least 64 list-members and at
// least 8,192 bytes (gls's per-call byte budget decides, docs/w3c.md).
inline constexpr size_t kMinBaggageMembers = 64;

// One W3C baggage member. A plain value type: thread-compatible.
struct BaggageEntry {
  std::string key;         // a token, as received
  std::string value;       // percent-decoded
  std::string properties;  // after the value's ';', as received; may be empty

  // Equal if key, value and properties are.
  bool operator==(const BaggageEntry& o) const {
    return key == o.key && value == o.value && properties == o.properties;
  }
};

// A request's baggage: unique keys, in the order first received.
using Baggage = std::vector<BaggageEntry>;

// Adds the valid list-members of `header` (one baggage header) to
// `*baggage`, a later member of a key replacing the earlier one's value and
// properties. Returns how many list-members were dropped as invalid (empty
// list-members, as between ",,", are not counted).
size_t ParseBaggage(absl::string_view header, Baggage* baggage);

// The member of `key`, or null.
const BaggageEntry* FindBaggage(const Baggage& baggage, absl::string_view key);

// True if `key` is a token (the spec's key).
bool IsBaggageKey(absl::string_view key);

// True if `properties` (the text after a value's ';') is valid: properties
// separated by ';', each a token or token=value. Empty is valid (none).
bool IsBaggageProperties(absl::string_view properties);

// `properties` as gls keeps and sends them: each tab (legal whitespace in
// W3C Baggage, not in a gRPC metadata value) replaced by a space.
std::string CanonicalBaggageProperties(absl::string_view properties);

// `value` percent-encoded: every byte outside the spec's baggage-octet
// (space, '"', ',', ';', '\\', controls, non-ASCII) and '%' itself becomes
// "%XX".
std::string PercentEncodeBaggageValue(absl::string_view value);

// Decodes a received value into `*out`. False if it holds a byte outside
// baggage-octet, a '%' not followed by two hex digits, or decodes to text
// that is not UTF-8.
bool PercentDecodeBaggageValue(absl::string_view encoded, std::string* out);

// One list-member on the wire: key=encoded-value[;properties].
std::string EncodeBaggageMember(const BaggageEntry& entry);
// The same, appended to `*out` (no string of its own).
void AppendBaggageMember(const BaggageEntry& entry, std::string* out);

// The header for `baggage`: its members joined by ','. Empty for none.
std::string EncodeBaggage(const Baggage& baggage);

// True if `member` (one list-member, without spaces or tabs around it) is
// valid and written exactly as EncodeBaggageMember writes what ParseBaggage
// makes of it: no spaces or tabs around its key, value or properties, no tab
// in them, and the value's "%XX" escapes uppercase and only for bytes
// PercentEncodeBaggageValue escapes. Then `*key` is its key (a view into
// `member`), and the member can be forwarded as it is, unparsed. False also
// for some such members (values with escaped non-ASCII bytes, which would
// need a UTF-8 check): callers parse those.
bool IsCanonicalBaggageMember(absl::string_view member, absl::string_view* key);

}  // namespace gls

#endif  // GLS_SESSION_BAGGAGE_H_
