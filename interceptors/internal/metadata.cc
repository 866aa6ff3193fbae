#include "gls/interceptors/internal/metadata.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/strings/match.h"
#include "gls/session/metainfo.h"

namespace gls {
namespace interceptors_internal {

absl::Time FromGrpcDeadline(std::chrono::system_clock::time_point deadline) {
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

bool IsStrippedPersistentSlow(absl::string_view name,
                              const std::vector<std::string>& strip) {
  std::string key;
  return ParseMetainfoHeader(name, &key) == MetaKind::kPersistent &&
         std::binary_search(strip.begin(), strip.end(), key);
}

Context IncomingContext(const IncomingMetadata& metadata, absl::Time deadline,
                        absl::string_view method, std::string peer,
                        const std::vector<std::string>& strip) {
  Context::Builder builder(Context::Direction::kIncoming);
  for (const auto& entry : metadata) {
    absl::string_view name = View(entry.first);
    if (IsTransportHeader(name) || IsStrippedPersistent(name, strip)) continue;
    builder.AddHeader(name, View(entry.second));
  }
  return builder.SetDeadline(deadline)
      .SetMethod(method)
      .SetPeer(std::move(peer))
      .Build();
}

static_assert(kPersistentPrefix.size() == kTransientPrefix.size(),
              "IsLegalHeader skips either prefix by one length");

// gRPC's rules (src/core/lib/surface/validate_metadata.cc), checked here
// directly: gRPC's own functions build an absl::Status per call, which costs
// hundreds of instructions per header on the per-call path.
namespace {

// Bytes gRPC accepts in a header name (lowercase letters, digits, "-_."),
// as a table: one load per byte instead of a chain of comparisons.
struct NameByteTable {
  bool legal[256] = {};
  constexpr NameByteTable() {
    for (int c = 0; c < 256; ++c) {
      legal[c] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '_' || c == '.';
    }
  }
};
constexpr NameByteTable kNameBytes;

bool AllIn(absl::string_view s, const bool (&table)[256]) {
  bool ok = true;  // no early exit: the loop stays branch-free
  for (char c : s) ok &= table[static_cast<unsigned char>(c)];
  return ok;
}

// True if every byte of `s` is printable ASCII (0x20-0x7e): eight bytes
// per step as one 64-bit word (a byte below 0x20 borrows into its top bit
// when 0x20 is taken from every byte; one above 0x7e has, or gets by adding
// 1, its top bit set; a borrow or carry leaving a byte comes from a byte
// that is out of range itself). The last word overlaps the one before it
// (bytes checked twice); a value shorter than a word is padded with 'a'.
bool AllPrintable(absl::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101u;
  constexpr uint64_t kTops = 0x8080808080808080u;
  const auto bad_bytes = [](uint64_t x) {
    return ((x - 0x20 * kOnes) & ~x) | ((x + kOnes) | x);
  };
  if (s.size() < 8) {
    uint64_t x = 'a' * kOnes;
    if (!s.empty()) std::memcpy(&x, s.data(), s.size());
    return (bad_bytes(x) & kTops) == 0;
  }
  uint64_t bad = 0;
  size_t i = 0;
  for (; i + 8 < s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    bad |= bad_bytes(x);
  }
  uint64_t last;
  std::memcpy(&last, s.data() + s.size() - 8, 8);
  bad |= bad_bytes(last);
  return (bad & kTops) == 0;
}

}  // namespace

bool IsLegalHeader(absl::string_view name, absl::string_view value) {
  // Most names gls adds are metainfo in wire form: past the prefix (legal,
  // and no transport header starts with it) only the key is checked.
  if (absl::StartsWith(name, kPersistentPrefix) ||
      absl::StartsWith(name, kTransientPrefix)) {
    // Both prefixes are 12 bytes.
    if (!AllIn(name.substr(kPersistentPrefix.size()), kNameBytes.legal)) {
      return false;
    }
  } else {
    if (name.empty() || !AllIn(name, kNameBytes.legal)) return false;
    if (IsTransportHeader(name)) return false;
  }
  if (absl::EndsWith(name, "-bin")) return true;
  return AllPrintable(value);
}

}  // namespace interceptors_internal
}  // namespace gls
