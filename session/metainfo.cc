#include "gls/session/metainfo.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace gls {
namespace {

struct PrefixKind {
  absl::string_view prefix;
  MetaKind kind;
};

constexpr PrefixKind kPrefixes[] = {
    {kPersistentPrefix, MetaKind::kPersistent},
    {kTransientPrefix, MetaKind::kTransient},
    {kBackwardPrefix, MetaKind::kBackward},
};
// KindAndSuffix picks the candidate by the fifth byte.
static_assert(kPersistentPrefix.substr(0, 5) == "rpc-p" &&
                  kTransientPrefix.substr(0, 5) == "rpc-t" &&
                  kBackwardPrefix.substr(0, 5) == "rpc-b",
              "prefixes differ at their fifth byte, in kPrefixes order");

// True if `header` starts with `prefix` byte for byte; `prefix` 8 to 16
// bytes long, `header` longer than it. Two 8-byte loads from each (the
// second overlapping the first) instead of a call to memcmp: this runs for
// every header of every request.
bool StartsWithExact(absl::string_view header, absl::string_view prefix) {
  uint64_t h[2], p[2];
  const size_t tail = prefix.size() - 8;
  std::memcpy(&h[0], header.data(), 8);
  std::memcpy(&h[1], header.data() + tail, 8);
  std::memcpy(&p[0], prefix.data(), 8);
  std::memcpy(&p[1], prefix.data() + tail, 8);
  return ((h[0] ^ p[0]) | (h[1] ^ p[1])) == 0;
}
static_assert(kPersistentPrefix.size() >= 8 && kTransientPrefix.size() >= 8 &&
                  kBackwardPrefix.size() >= 8 &&
                  kPersistentPrefix.size() <= 16 &&
                  kTransientPrefix.size() <= 16 && kBackwardPrefix.size() <= 16,
              "StartsWithExact covers a prefix with two 8-byte words");

MetaKind KindAndSuffix(absl::string_view header, absl::string_view* suffix) {
  // All prefixes start with "rpc-" and differ at their fifth byte; most
  // headers are rejected at the first.
  if (header.size() < 5 || (header[0] | 0x20) != 'r') return MetaKind::kNone;
  const PrefixKind* candidate = nullptr;
  switch (header[4] | 0x20) {
    case 'p':
      candidate = &kPrefixes[0];
      break;
    case 't':
      candidate = &kPrefixes[1];
      break;
    case 'b':
      candidate = &kPrefixes[2];
      break;
    default:
      return MetaKind::kNone;
  }
  // gRPC hands over header names in lowercase: compare as is first.
  if (header.size() > candidate->prefix.size() &&
      (StartsWithExact(header, candidate->prefix) ||
       absl::StartsWithIgnoreCase(header, candidate->prefix))) {
    *suffix = header.substr(candidate->prefix.size());
    return candidate->kind;
  }
  return MetaKind::kNone;
}

}  // namespace

bool HasMetainfoPrefix(absl::string_view header) {
  for (const PrefixKind& p : kPrefixes) {
    if (absl::StartsWithIgnoreCase(header, p.prefix)) return true;
  }
  return false;
}

MetaKind MetainfoKind(absl::string_view header) {
  absl::string_view suffix;
  return KindAndSuffix(header, &suffix);
}

MetaKind ParseMetainfoHeader(absl::string_view header, std::string* key) {
  absl::string_view suffix;
  MetaKind kind = KindAndSuffix(header, &suffix);
  if (kind == MetaKind::kNone) return kind;
  *key = CanonicalKey(suffix);
  return kind;
}

bool IsW3cHeader(absl::string_view name) {
  // One length test first: most names are none of the three.
  switch (name.size()) {
    case 7:
      return name == "baggage";
    case 10:
      return name == "tracestate";
    case 11:
      return name == "traceparent";
    default:
      return false;
  }
}

bool IsTransportHeader(absl::string_view name) {
  return name.empty() || name[0] == ':' || absl::StartsWith(name, "grpc-") ||
         name == "te" || name == "content-type" || name == "user-agent";
}

std::string CanonicalKey(absl::string_view key) {
  std::string out(key);
  for (char& c : out) c = c == '-' ? '_' : absl::ascii_toupper(c);
  return out;
}

bool IsCanonicalKey(absl::string_view key) {
  for (char c : key) {
    if (c == '-' || absl::ascii_islower(c)) return false;
  }
  return true;
}

std::string MetainfoHeaderName(MetaKind kind, absl::string_view key) {
  absl::string_view prefix = kind == MetaKind::kPersistent  ? kPersistentPrefix
                             : kind == MetaKind::kTransient ? kTransientPrefix
                                                            : kBackwardPrefix;
  std::string name(prefix.size() + key.size(), '\0');
  char* out = std::copy(prefix.begin(), prefix.end(), &name[0]);
  for (char c : key) *out++ = c == '_' ? '-' : absl::ascii_tolower(c);
  return name;
}

}  // namespace gls
