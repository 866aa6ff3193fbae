// gls/interceptors/internal/metadata.h
//
// Internal to gls; not for use outside the library.
//
// Conversions between gRPC metadata and gls::Context shared by the server and
// client interceptors.
//
// Thread-safety: all functions are thread-safe (pure).

#ifndef GLS_INTERCEPTORS_INTERNAL_METADATA_H_
#define GLS_INTERCEPTORS_INTERNAL_METADATA_H_

#include <grpcpp/support/string_ref.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gls/session/context.h"

namespace gls {
namespace interceptors_internal {

using IncomingMetadata = std::multimap<grpc::string_ref, grpc::string_ref>;
using OutgoingMetadata = std::multimap<std::string, std::string>;

inline absl::string_view View(grpc::string_ref s) {
  return absl::string_view(s.data(), s.size());
}

// A method name as gRPC's RPC infos hold it (null for none).
inline absl::string_view MethodName(const char* method) {
  return method == nullptr ? absl::string_view() : absl::string_view(method);
}

// gRPC's "no deadline" (time_point::max()) becomes absl::InfiniteFuture().
absl::Time FromGrpcDeadline(std::chrono::system_clock::time_point deadline);

// True if `name` is a persistent metainfo header whose canonical key is in
// `strip` (canonical keys, sorted). Allocates only when `strip` is not empty;
// inline, so the common empty list costs no call (it runs per header).
bool IsStrippedPersistentSlow(absl::string_view name,
                              const std::vector<std::string>& strip);
inline bool IsStrippedPersistent(absl::string_view name,
                                 const std::vector<std::string>& strip) {
  return !strip.empty() && IsStrippedPersistentSlow(name, strip);
}

// The backup context of an incoming request (transient -> upstream), without
// gRPC's own headers and HTTP/2 pseudo headers, and without the persistent
// values whose canonical key is in `strip` (sorted).
Context IncomingContext(const IncomingMetadata& metadata, absl::Time deadline,
                        absl::string_view method, std::string peer,
                        const std::vector<std::string>& strip = {});

// True if gRPC would accept `name: value` as custom metadata.
bool IsLegalHeader(absl::string_view name, absl::string_view value);

// HTTP/2's size of one header entry, as gRPC's metadata limit counts it:
// name + value + 32 bytes.
inline size_t HeaderEntrySize(absl::string_view name, absl::string_view value) {
  return name.size() + value.size() + 32;
}

}  // namespace interceptors_internal
}  // namespace gls

#endif  // GLS_INTERCEPTORS_INTERNAL_METADATA_H_
