// gls/session/metainfo.h
//
// Metainfo: the request values that travel with calls as headers, and how
// their keys map to header names (the mapping other gRPC stacks of the same
// convention use, so services interoperate; see docs/semantics.md):
//
//   kind         header prefix     key -> header          header -> key
//   persistent   "rpc-persist-"    lowercase, '_' -> '-'  uppercase, '-' -> '_'
//   transient    "rpc-transit-"    (same)                 (same)
//   backward     "rpc-backward-"   (same)                 (same)
//
// So key `TENANT_ID` travels as `rpc-persist-tenant-id`, and a header
// `rpc-persist-a` arrives as key `A`. Prefixes match case-insensitively.
//
// Keys are canonical: the in-process form of a key is uppercase with '-'
// turned into '_' (`CanonicalKey`), so "tenant-id", "Tenant_Id" and
// "TENANT_ID" name one key, which travels as one header.
//
// Example:
//
//   std::string key;
//   if (gls::ParseMetainfoHeader("rpc-persist-tenant-id", &key) ==
//       gls::MetaKind::kPersistent) {
//     // key == "TENANT_ID"
//   }
//   gls::MetainfoHeaderName(gls::MetaKind::kPersistent, "TENANT_ID");
//   // == "rpc-persist-tenant-id"
//
// Thread-safety: all functions here are thread-safe (pure).

#ifndef GLS_SESSION_METAINFO_H_
#define GLS_SESSION_METAINFO_H_

#include <string>

#include "absl/strings/string_view.h"

namespace gls {

// The kind of a metainfo header, by its prefix.
enum class MetaKind {
  kNone,        // not a metainfo header
  kPersistent,  // "rpc-persist-": travels every hop
  kTransient,   // "rpc-transit-": travels one hop
  kBackward,    // "rpc-backward-": server to client, in responses
};

// Header prefix of persistent values (Kitex's metainfo convention).
inline constexpr absl::string_view kPersistentPrefix = "rpc-persist-";
// Header prefix of transient values.
inline constexpr absl::string_view kTransientPrefix = "rpc-transit-";
// Header prefix of backward values (in responses' trailing metadata).
inline constexpr absl::string_view kBackwardPrefix = "rpc-backward-";

// Returns the kind of `header`, without allocating. A header that is exactly a
// prefix (empty key) is kNone.
MetaKind MetainfoKind(absl::string_view header);

// True if `header` starts with a metainfo prefix (any case), even with an
// empty key: a name that must never be set as a plain header.
bool HasMetainfoPrefix(absl::string_view header);

// Returns the kind of `header` and, unless kNone, stores the in-process key
// (suffix uppercased, '-' -> '_') in `*key`.
MetaKind ParseMetainfoHeader(absl::string_view header, std::string* key);

// Returns the header name for `key` of `kind` (kind must not be kNone).
std::string MetainfoHeaderName(MetaKind kind, absl::string_view key);

// True for headers the transport manages itself, which are never part of a
// context and never forwarded: HTTP/2 pseudo headers (":path"), gRPC's own
// ("grpc-" prefixed), and "te", "content-type", "user-agent". `name` is
// lowercase, as gRPC gives it.
bool IsTransportHeader(absl::string_view name);

// True for the W3C context headers, "traceparent", "tracestate" and
// "baggage" (`name` lowercase): their own kind of context, never plain
// headers (trace_context.h, baggage.h).
bool IsW3cHeader(absl::string_view name);

// Returns the canonical form of a metainfo key: ASCII letters uppercased and
// '-' turned into '_' ("tenant-id" -> "TENANT_ID").
std::string CanonicalKey(absl::string_view key);

// True if `key` is already in canonical form (CanonicalKey(key) == key).
bool IsCanonicalKey(absl::string_view key);

}  // namespace gls

#endif  // GLS_SESSION_METAINFO_H_
