// gls/session/internal/context_source.h
//
// Internal to gls; not for use outside the library.
//
// Where a lazily captured session gets its context from: the server
// interceptor keeps the request's metadata as gRPC holds it and builds the
// `Context` only when something reads it (Session::context()). A source is
// valid until the session is sealed (SessionAccess::Seal), which the server
// interceptor does before gRPC frees the call's metadata.
//
// Example:
//
//   class RequestSource final : public ContextSource {
//     Context Build() const override { ... }
//     void ForEachHeader(...) const override { ... }
//     bool W3cAsReceived() const override { return true; }
//   };
//
// Thread-safety: implementations are called under the session's lock, one
// call at a time.

#ifndef GLS_SESSION_INTERNAL_CONTEXT_SOURCE_H_
#define GLS_SESSION_INTERNAL_CONTEXT_SOURCE_H_

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "gls/session/context.h"

namespace gls {
namespace session_internal {

class ContextSource {
 public:
  // The request's backup context, built from the source.
  virtual Context Build() const = 0;
  // Calls `fn(name, value)` for every header of the request as received
  // (transport headers excluded, keys the server strips left out), without
  // building anything.
  virtual void ForEachHeader(
      absl::FunctionRef<void(absl::string_view name, absl::string_view value)>
          fn) const = 0;
  // True if the W3C context that Build() gives is the one the headers of
  // ForEachHeader hold, parsed as Context::Builder parses them (no rule of
  // the server changed it); then a reader may parse it from them itself.
  virtual bool W3cAsReceived() const = 0;

 protected:
  ~ContextSource() = default;
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_CONTEXT_SOURCE_H_
