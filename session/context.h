// gls/session/context.h
//
// `gls::Context` is the immutable snapshot of one request that context backup
// carries: its metainfo values (persistent, transient,
// transient-from-upstream), the other incoming headers (readable, never
// forwarded by the fallback), the deadline, and the originating method and
// peer. Copies share one immutable representation (a reference count), so a
// Context is cheap to copy and safe to read from any thread. "Changing" it
// (`WithPersistent`, ...) returns a new Context and never touches the original.
//
// `Context::Builder` turns gRPC-style headers into a Context with the Kitex
// mapping of metainfo.h; `ForEachWireHeader` gives the headers an outbound call
// carries. This header depends on Abseil only.
//
// Example:
//
//   gls::Context ctx =
//   gls::Context::Builder(gls::Context::Direction::kIncoming)
//                          .AddHeader("rpc-persist-tenant", "acme")
//                          .AddHeader("rpc-transit-hop", "edge")
//                          .Build();
//   ctx.GetPersistent("TENANT");   // "acme"
//   ctx.GetUpstream("HOP");        // "edge": readable here, never forwarded
//   gls::Context next = ctx.WithPersistent("LOG_ID", "42");  // ctx unchanged
//
// Thread-safety: Context is immutable and thread-safe; Builder is
// thread-compatible.

#ifndef GLS_SESSION_CONTEXT_H_
#define GLS_SESSION_CONTEXT_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"

namespace gls {

class Context {
 public:
  // Metainfo values by in-process key (e.g. "TENANT_ID"): sorted by key, keys
  // unique. (A flat vector: one allocation per kind, short strings inline.)
  using Values = std::vector<std::pair<std::string, std::string>>;
  // Non-metainfo headers in arrival order; names lowercase as gRPC gives them.
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // Which side of a call the headers come from. Incoming (server side) turns
  // transient values into transient-from-upstream ones (Kitex's
  // TransferForward); outgoing (what a client call carries) keeps them
  // transient.
  enum class Direction { kIncoming, kOutgoing };

  class Builder;

  // The empty context: no values, infinite deadline. Allocates nothing and
  // touches no shared state.
  Context() = default;

  // Metainfo lookups by exact key; absl::nullopt if absent.
  absl::optional<absl::string_view> GetPersistent(absl::string_view key) const;
  absl::optional<absl::string_view> GetTransient(absl::string_view key) const;
  absl::optional<absl::string_view> GetUpstream(absl::string_view key) const;
  // Kitex's GetValue: the transient value, else the one from upstream.
  absl::optional<absl::string_view> GetValue(absl::string_view key) const;
  // The first value of a non-metainfo header (lowercase name).
  absl::optional<absl::string_view> GetHeader(absl::string_view name) const;

  const Values& persistent() const;
  const Values& transient() const;
  const Values& upstream() const;
  const Headers& headers() const;
  absl::Time deadline() const;
  const std::string& method() const;
  const std::string& peer() const;

  // Derivations: each returns a new Context. An empty key or value is ignored
  // (the result equals *this), as in Kitex.
  Context WithPersistent(absl::string_view key, absl::string_view value) const;
  Context WithTransient(absl::string_view key, absl::string_view value) const;
  Context WithoutPersistent(absl::string_view key) const;
  Context WithoutTransient(absl::string_view key) const;
  Context WithDeadline(absl::Time deadline) const;
  // Sets a non-metainfo header (lowercase name), replacing every earlier value
  // of that name; a metainfo name ("rpc-persist-..." etc.) or an empty name is
  // ignored. Use it in a BackupHandler to forward a header deliberately.
  Context WithHeader(absl::string_view name, absl::string_view value) const;
  Context WithoutHeader(absl::string_view name) const;

  // Calls `emit(header_name, value)` for every value an outbound call carries:
  // persistent ones, then transient ones. Upstream values and other headers are
  // never emitted. `header_name` is a fresh string the callee may keep.
  void ForEachWireHeader(
      absl::FunctionRef<void(std::string name, const std::string& value)> emit)
      const;

  // True if both hold the same representation (cheap identity test).
  bool SharesRepWith(const Context& other) const { return rep_ == other.rep_; }

 private:
  struct Rep;
  const Rep& rep() const;
  explicit Context(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}
  template <typename Mutate>
  Context Derive(Mutate mutate) const;
  friend Context RestorePersistent(const Context& ctx, const Context& prev);

  std::shared_ptr<const Rep> rep_;  // null: the empty context
};

// Builds a Context from headers. Thread-compatible.
class Context::Builder {
 public:
  explicit Builder(Direction direction);
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;
  ~Builder();

  // Classifies one header by the metainfo mapping. Only the first value of a
  // repeated metainfo header is kept; empty keys or values are ignored;
  // "rpc-backward-" headers and all others go to headers().
  Builder& AddHeader(absl::string_view name, absl::string_view value);
  Builder& AddPersistent(absl::string_view key, absl::string_view value);
  Builder& AddTransient(absl::string_view key, absl::string_view value);
  Builder& SetDeadline(absl::Time deadline);
  Builder& SetMethod(absl::string_view method);
  Builder& SetPeer(std::string peer);
  // Returns the context built so far; the builder starts over empty.
  Context Build();

 private:
  Rep& rep();

  Direction direction_;
  std::shared_ptr<Rep> rep_;  // created on first use
};

// The built-in fallback of Kitex's context backup: returns `ctx` plus every
// persistent value of `prev` whose key `ctx` lacks. `ctx` wins on conflicts;
// transient and upstream values of `prev` never come back.
Context RestorePersistent(const Context& ctx, const Context& prev);

// Calls `fn(key, value)`, in key order, for every persistent value of `prev`
// whose key `ctx` lacks: exactly what RestorePersistent adds to `ctx`.
void ForEachMissingPersistent(
    const Context& ctx, const Context& prev,
    absl::FunctionRef<void(const std::string& key, const std::string& value)>
        fn);

}  // namespace gls

#endif  // GLS_SESSION_CONTEXT_H_
