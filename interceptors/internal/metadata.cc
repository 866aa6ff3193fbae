#include "gls/interceptors/internal/metadata.h"

#include <grpc/grpc.h>
#include <grpc/slice.h>

#include <algorithm>

#include "gls/session/metainfo.h"

namespace gls {
namespace interceptors_internal {
namespace {

grpc_slice StaticSlice(absl::string_view s) {
  return grpc_slice_from_static_buffer(s.data(), s.size());
}

}  // namespace

absl::Time FromGrpcDeadline(std::chrono::system_clock::time_point deadline) {
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

bool HasMetainfo(const IncomingMetadata& metadata) {
  for (const auto& entry : metadata) {
    MetaKind kind = MetainfoKind(View(entry.first));
    if (kind == MetaKind::kPersistent || kind == MetaKind::kTransient) {
      return true;
    }
  }
  return false;
}

Context IncomingContext(const IncomingMetadata& metadata, absl::Time deadline,
                        absl::string_view method, std::string peer,
                        const std::vector<std::string>& strip) {
  Context::Builder builder(Context::Direction::kIncoming);
  std::string key;
  for (const auto& entry : metadata) {
    absl::string_view name = View(entry.first);
    if (IsTransportHeader(name)) continue;
    if (!strip.empty() &&
        ParseMetainfoHeader(name, &key) == MetaKind::kPersistent &&
        std::binary_search(strip.begin(), strip.end(), key)) {
      continue;
    }
    builder.AddHeader(name, View(entry.second));
  }
  return builder.SetDeadline(deadline)
      .SetMethod(method)
      .SetPeer(std::move(peer))
      .Build();
}

bool IsLegalHeader(absl::string_view name, absl::string_view value) {
  if (grpc_header_key_is_legal(StaticSlice(name)) == 0) return false;
  if (IsTransportHeader(name)) return false;
  if (grpc_is_binary_header(StaticSlice(name)) != 0) return true;
  return grpc_header_nonbin_value_is_legal(StaticSlice(value)) != 0;
}

}  // namespace interceptors_internal
}  // namespace gls
