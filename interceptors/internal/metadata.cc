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

bool IsStrippedPersistent(absl::string_view name,
                          const std::vector<std::string>& strip) {
  if (strip.empty()) return false;
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

// gRPC's rules (src/core/lib/surface/validate_metadata.cc), checked here
// directly: gRPC's own functions build an absl::Status per call, which costs
// hundreds of instructions per header on the per-call path.
namespace {

// Bytes gRPC accepts in a header name (lowercase letters, digits, "-_."),
// and in a value of a non-binary header (printable ASCII), as tables: one
// load per byte instead of a chain of comparisons.
struct HeaderByteTables {
  bool name[256] = {};
  bool value[256] = {};
  constexpr HeaderByteTables() {
    for (int c = 0; c < 256; ++c) {
      name[c] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                c == '_' || c == '.';
      value[c] = c >= 0x20 && c <= 0x7e;
    }
  }
};
constexpr HeaderByteTables kHeaderBytes;

bool AllIn(absl::string_view s, const bool (&table)[256]) {
  bool ok = true;  // no early exit: the loop stays branch-free
  for (char c : s) ok &= table[static_cast<unsigned char>(c)];
  return ok;
}

// True if every byte of `s` is printable ASCII (0x20-0x7e): eight bytes
// per step as one 64-bit word (a byte below 0x20 borrows into its top bit
// when 0x20 is taken from every byte; one above 0x7e has, or gets by adding
// 1, its top bit set; a borrow or carry leaving a byte comes from a byte
// that is out of range itself), the rest through the table.
bool AllPrintable(absl::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101u;
  constexpr uint64_t kTops = 0x8080808080808080u;
  uint64_t bad = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    bad |= ((x - 0x20 * kOnes) & ~x) | ((x + kOnes) | x);
  }
  if ((bad & kTops) != 0) return false;
  return AllIn(s.substr(i), kHeaderBytes.value);
}

}  // namespace

bool IsLegalHeader(absl::string_view name, absl::string_view value) {
  if (name.empty() || !AllIn(name, kHeaderBytes.name)) return false;
  if (IsTransportHeader(name)) return false;
  if (absl::EndsWith(name, "-bin")) return true;
  return AllPrintable(value);
}

}  // namespace interceptors_internal
}  // namespace gls
