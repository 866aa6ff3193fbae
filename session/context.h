// gls/session/context.h
//
// `gls::Context` is the immutable snapshot of one request (or of one outbound
// call) that context backup carries:
//
//   persistent values   travel every hop ("rpc-persist-<key>" headers)
//   transient values    travel one hop ("rpc-transit-<key>")
//   upstream values     transient values that arrived with an incoming
//                       request: readable here, never sent on
//   outgoing headers    other headers an outbound call carries: the caller's
//                       own, and those a BackupHandler sets with WithHeader
//   incoming headers    other headers an incoming request arrived with
//                       (authorization, cookies, ...): readable, never sent
//   W3C trace context   traceparent + tracestate, parsed (trace_context.h)
//   W3C baggage         the baggage header's members, decoded (baggage.h)
//   deadline, method, peer
//
// The W3C headers (traceparent, tracestate, baggage) are never plain
// headers: the Builder parses them into the trace context and the baggage,
// in both directions, dropping what is invalid (an invalid traceparent takes
// its tracestate with it). Only metainfo, the W3C context and outgoing
// headers are ever sent (the W3C context by the client factory's rules,
// docs/w3c.md); only metainfo and outgoing headers
// are ever sent (`ForEachWireHeader`, `outgoing_headers`). A context built from
// an incoming request has no outgoing headers, so a context derived from it,
// however it was derived, sends metainfo only; forwarding an incoming header
// takes a deliberate `WithHeader`.
//
// Keys are canonical (metainfo.h): every entry point maps a key to uppercase
// with '-' turned into '_', so "tenant", "Tenant" and "TENANT" are one key.
// Header names are lowercased.
//
// Copies share one immutable representation (a reference count), so a Context
// is cheap to copy and safe to read from any thread. "Changing" it
// (`WithPersistent`, ...) returns a new Context and never touches the
// original. This header depends on Abseil only.
//
// Example:
//
//   using Direction = gls::Context::Direction;
//   gls::Context ctx = gls::Context::Builder(Direction::kIncoming)
//                          .AddHeader("rpc-persist-tenant", "acme")
//                          .AddHeader("rpc-transit-hop", "edge")
//                          .AddHeader("authorization", "Bearer x")
//                          .Build();
//   ctx.GetPersistent("tenant");        // "acme" (key TENANT)
//   ctx.GetUpstream("HOP");             // "edge": readable, never sent on
//   ctx.GetHeader("authorization");     // "Bearer x": readable, never sent on
//   gls::Context next = ctx.WithPersistent("LOG_ID", "42");  // ctx unchanged
//   // next sends rpc-persist-log-id and rpc-persist-tenant, nothing else.
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
#include "gls/session/baggage.h"
#include "gls/session/trace_context.h"

namespace gls {

// A request's backup context: metainfo values, headers, deadline, method,
// peer, W3C trace context and baggage. Immutable: derivations return new
// contexts sharing what did not change. Thread-safe.
class Context {
 public:
  // Metainfo values by canonical key (e.g. "TENANT_ID"): sorted by key, keys
  // unique. (A flat vector: one allocation per kind, short strings inline.)
  using Values = std::vector<std::pair<std::string, std::string>>;
  // Non-metainfo headers in arrival order; names lowercase.
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // Which side of a call the headers come from. Incoming (a request a server
  // received) turns transient values into upstream ones and keeps other
  // headers as incoming headers, readable
  // and never sent. Outgoing (what a client call carries on its own) keeps
  // transient values transient and other headers as outgoing headers.
  enum class Direction { kIncoming, kOutgoing };

  class Builder;

  // The empty context: no values, infinite deadline. Allocates nothing and
  // touches no shared state.
  Context() = default;

  // Metainfo lookups by key (any case, '-' or '_'); absl::nullopt if absent.
  absl::optional<absl::string_view> GetPersistent(absl::string_view key) const;
  // The transient value of `key` (set on this hop's outbound call).
  absl::optional<absl::string_view> GetTransient(absl::string_view key) const;
  // The transient value of `key` the incoming request carried from its caller.
  absl::optional<absl::string_view> GetUpstream(absl::string_view key) const;
  // The transient value, else the upstream one.
  absl::optional<absl::string_view> GetValue(absl::string_view key) const;
  // The first value of a non-metainfo header (any case): an outgoing header
  // if there is one, else an incoming one.
  absl::optional<absl::string_view> GetHeader(absl::string_view name) const;

  // Every persistent value, by canonical key.
  const Values& persistent() const;
  // Every transient value, by canonical key.
  const Values& transient() const;
  // Every transient value that arrived with the request, by canonical key.
  const Values& upstream() const;
  // Headers an outbound call made with this context carries besides metainfo.
  const Headers& outgoing_headers() const;
  // Headers of the incoming request: readable, never sent.
  const Headers& incoming_headers() const;
  // The deadline (absl::InfiniteFuture() if none).
  absl::Time deadline() const;
  // The W3C trace context: valid() false if there is none (or it was
  // invalid).
  const TraceContext& trace() const;
  // The W3C baggage: every member, decoded, with its properties.
  const Baggage& baggage() const;
  // The decoded value of baggage member `key` (exact: keys are
  // case-sensitive); absl::nullopt if absent.
  absl::optional<absl::string_view> GetBaggage(absl::string_view key) const;
  // The full method name of the request ("/package.Service/Method"), if known.
  const std::string& method() const;
  // The request's peer as gRPC names it ("ipv4:127.0.0.1:5000"), if known.
  const std::string& peer() const;

  // Derivations: each returns a new Context. An empty key or value is ignored
  // (the result equals *this). Keys are canonicalized.
  Context WithPersistent(absl::string_view key, absl::string_view value) const;
  // Sets transient value `key` (one hop), replacing an earlier one.
  Context WithTransient(absl::string_view key, absl::string_view value) const;
  // Removes persistent value `key`.
  Context WithoutPersistent(absl::string_view key) const;
  // Removes transient value `key`.
  Context WithoutTransient(absl::string_view key) const;
  // Sets the deadline.
  Context WithDeadline(absl::Time deadline) const;
  // Sets an outgoing header (name lowercased), replacing every earlier
  // outgoing value of that name; a metainfo name ("rpc-persist-...",
  // "rpc-transit-...", "rpc-backward-...") or an empty name is ignored. This is
  // the only way an incoming header is forwarded: a deliberate
  // `ctx.WithHeader("x-request-id", *prev.GetHeader("x-request-id"))`.
  Context WithHeader(absl::string_view name, absl::string_view value) const;
  // Removes the header (outgoing and incoming) of that name.
  Context WithoutHeader(absl::string_view name) const;
  // Sets the trace context; an invalid `traceparent` leaves the context
  // unchanged (check with IsValidTraceParent). `tracestate` is cleaned as
  // SanitizeTraceState does.
  Context WithTrace(absl::string_view traceparent,
                    absl::string_view tracestate = "") const;
  // Removes the trace context (traceparent and tracestate).
  Context WithoutTrace() const;
  // Sets baggage member `key` to `value` (plain text: percent-encoded when
  // sent) with `properties` (the text after ';' on the wire, e.g.
  // "pii;ttl=60"; a tab becomes a space, see CanonicalBaggageProperties),
  // replacing an earlier member of that key. A key that is
  // not a token, a value that is not UTF-8 or invalid properties leave the
  // context unchanged. The baggage counterpart of WithPersistent.
  Context WithBaggage(absl::string_view key, absl::string_view value,
                      absl::string_view properties = "") const;
  // Removes baggage member `key` (exact).
  Context WithoutBaggage(absl::string_view key) const;

  // Calls `emit(header_name, value)` for every metainfo value an outbound call
  // carries: persistent ones, then transient ones, each under its canonical
  // header name (one header per key). Upstream values and headers are never
  // emitted here. `header_name` is a fresh string the callee may keep.
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
  // A builder of contexts for headers of `direction`.
  explicit Builder(Direction direction);
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;
  ~Builder();

  // Classifies one header by the metainfo mapping; traceparent, tracestate
  // and baggage go to the W3C context (parsed in Build(): several baggage or
  // tracestate headers are joined, several traceparent ones are invalid). Only the first value of a
  // metainfo key is kept (keys are canonical: "rpc-persist-a_b" and
  // "rpc-persist-a-b" are one key); empty keys or values are ignored.
  // "rpc-backward-" headers, empty-key metainfo headers and all other headers
  // become incoming headers (kIncoming) or outgoing headers (kOutgoing).
  Builder& AddHeader(absl::string_view name, absl::string_view value);
  // Add a value by key (canonicalized); the first value of a key wins.
  Builder& AddPersistent(absl::string_view key, absl::string_view value);
  // Adds a transient value (an upstream one for kIncoming).
  Builder& AddTransient(absl::string_view key, absl::string_view value);
  // Sets the deadline (default: infinite).
  Builder& SetDeadline(absl::Time deadline);
  // Sets the full method name.
  Builder& SetMethod(absl::string_view method);
  // Sets the peer.
  Builder& SetPeer(std::string peer);
  // Returns the context built so far; the builder starts over empty.
  Context Build();

 private:
  Rep& rep();

  Direction direction_;
  std::shared_ptr<Rep> rep_;  // created on first use
  // The W3C headers seen, parsed in Build().
  std::string traceparent_;
  int traceparents_ = 0;
  std::string tracestate_;
};

// The built-in fallback of context backup (`backup = true`): returns `ctx`
// plus every persistent value of `prev` whose key `ctx` lacks. `ctx` wins on
// conflicts; transient and upstream values of `prev` never come back.
Context RestorePersistent(const Context& ctx, const Context& prev);

// Calls `fn(key, value)`, in key order, for every persistent value of `prev`
// whose key `ctx` lacks: exactly what RestorePersistent adds to `ctx`.
void ForEachMissingPersistent(
    const Context& ctx, const Context& prev,
    absl::FunctionRef<void(const std::string& key, const std::string& value)>
        fn);

}  // namespace gls

#endif  // GLS_SESSION_CONTEXT_H_
