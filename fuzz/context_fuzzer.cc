// gls/fuzz/context_fuzzer.cc
//
// Fuzzes gls::Context (context.h): building from headers, deriving, and the
// headers an outbound call carries (ForEachWireHeader).
//
// Input: lines separated by '\n'. The first byte of a line is an operation,
// the rest is "<a>:<b>" split at the first ':' (no ':' means b is empty):
//   h  AddHeader(a, b)        on an incoming and an outgoing Context::Builder
//   a  AddPersistent(a, b)    on both builders
//   b  AddTransient(a, b)     on the outgoing builder only
// Both contexts are then built, and these lines are applied in order to both:
//   P  WithPersistent(a, b)   T  WithTransient(a, b)
//   p  WithoutPersistent(a)   t  WithoutTransient(a)
//   H  WithHeader(a, b)       x  WithoutHeader(a)
//   r  RestorePersistent(ctx, the other direction's built context)
// Other lines are ignored. E.g. "hrpc-persist-tenant:acme\nPlog_id:42\n".
//
// Checks, on the built and on the derived contexts:
//   - every emitted header name starts with "rpc-persist-" or "rpc-transit-"
//     and has a non-empty suffix; every emitted value is non-empty;
//   - no two emitted header names are equal;
//   - one emitted header per persistent() / transient() entry, and
//     GetPersistent / GetTransient of the key parsed from an emitted name
//     return the emitted value;
//   - keys are case-insensitive: GetPersistent(lowercase k) ==
//     GetPersistent(uppercase k) for every key used;
//   - the incoming context emits nothing transient (rpc-transit- headers become
//     upstream values, readable with GetUpstream) until WithTransient adds one;
//   - metainfo headers never land in outgoing_headers() or incoming_headers(),
//     and header names there are lowercase;
//   - the incoming context has no outgoing headers until WithHeader sets one
//     (an incoming header is forwarded only deliberately);
//   - each With*/Without* takes effect (GetPersistent(k) == v after
//     WithPersistent(k, v), absent after WithoutPersistent(k), GetHeader(n) ==
//     v after WithHeader(n, v) for a non-metainfo name, ...), and
//     RestorePersistent keeps ctx's values and adds every key of prev;
//   - contexts are immutable: deriving leaves the built contexts' wire headers
//     and outgoing headers unchanged.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "gls/fuzz/fuzz_check.h"
#include "gls/session/context.h"
#include "gls/session/metainfo.h"

namespace {

using gls::Context;
using Wire = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kMaxOps = 256;  // With* copies the context: keep runs fast

struct Op {
  char code;
  absl::string_view a;
  absl::string_view b;
};

std::vector<Op> ParseOps(absl::string_view input) {
  std::vector<Op> ops;
  for (absl::string_view line : absl::StrSplit(input, '\n')) {
    if (line.empty()) continue;
    if (ops.size() == kMaxOps) break;
    std::pair<absl::string_view, absl::string_view> ab =
        absl::StrSplit(line.substr(1), absl::MaxSplits(':', 1));
    ops.push_back(Op{line[0], ab.first, ab.second});
  }
  return ops;
}

Wire WireHeaders(const Context& ctx) {
  Wire wire;
  ctx.ForEachWireHeader([&](std::string name, const std::string& value) {
    wire.emplace_back(std::move(name), value);
  });
  return wire;
}

// GetPersistent and GetTransient must not depend on the key's case.
void CheckCaseInsensitive(const Context& ctx, absl::string_view key) {
  const std::string lower = absl::AsciiStrToLower(key);
  const std::string upper = absl::AsciiStrToUpper(key);
  GLS_FUZZ_CHECK(
      ctx.GetPersistent(lower) == ctx.GetPersistent(upper),
      "GetPersistent(lowercase key) == GetPersistent(uppercase key)");
  GLS_FUZZ_CHECK(ctx.GetTransient(lower) == ctx.GetTransient(upper),
                 "GetTransient(lowercase key) == GetTransient(uppercase key)");
}

// The invariants of what `ctx` puts on the wire; returns the wire headers.
Wire CheckWire(const Context& ctx, bool transient_allowed) {
  const Wire wire = WireHeaders(ctx);
  std::set<std::string> names;
  size_t persistent = 0;
  size_t transient = 0;
  for (const auto& [name, value] : wire) {
    const bool is_persistent = absl::StartsWith(name, gls::kPersistentPrefix);
    const bool is_transient = absl::StartsWith(name, gls::kTransientPrefix);
    GLS_FUZZ_CHECK(is_persistent || is_transient,
                   "an emitted name starts with rpc-persist- or rpc-transit-");
    const size_t prefix = is_persistent ? gls::kPersistentPrefix.size()
                                        : gls::kTransientPrefix.size();
    GLS_FUZZ_CHECK(name.size() > prefix, "an emitted name has a suffix");
    GLS_FUZZ_CHECK(!value.empty(), "an emitted value is non-empty");
    GLS_FUZZ_CHECK(names.insert(name).second,
                   "no two emitted header names are equal");
    GLS_FUZZ_CHECK(transient_allowed || !is_transient,
                   "the incoming context emits nothing transient");

    std::string key;
    const gls::MetaKind kind = gls::ParseMetainfoHeader(name, &key);
    GLS_FUZZ_CHECK(kind == (is_persistent ? gls::MetaKind::kPersistent
                                          : gls::MetaKind::kTransient),
                   "an emitted name parses back to its kind");
    const absl::optional<absl::string_view> got =
        is_persistent ? ctx.GetPersistent(key) : ctx.GetTransient(key);
    GLS_FUZZ_CHECK(got.has_value() && *got == value,
                   "Get of the key parsed from an emitted name == its value");
    CheckCaseInsensitive(ctx, key);
    ++(is_persistent ? persistent : transient);
  }
  GLS_FUZZ_CHECK(persistent == ctx.persistent().size(),
                 "one emitted header per persistent value");
  GLS_FUZZ_CHECK(transient == ctx.transient().size(),
                 "one emitted header per transient value");

  for (const auto& [key, value] : ctx.persistent()) {
    GLS_FUZZ_CHECK(ctx.GetPersistent(key) == absl::string_view(value),
                   "GetPersistent(k) returns persistent()'s value");
    const std::string name =
        gls::MetainfoHeaderName(gls::MetaKind::kPersistent, key);
    bool emitted = false;
    for (const auto& [n, v] : wire) emitted |= n == name && v == value;
    GLS_FUZZ_CHECK(emitted, "GetPersistent(k) agrees with what is emitted");
    CheckCaseInsensitive(ctx, key);
  }
  for (const auto& [key, value] : ctx.transient()) {
    GLS_FUZZ_CHECK(ctx.GetTransient(key) == absl::string_view(value),
                   "GetTransient(k) returns transient()'s value");
  }
  for (const Context::Headers* headers :
       {&ctx.outgoing_headers(), &ctx.incoming_headers()}) {
    for (const auto& [name, value] : *headers) {
      const gls::MetaKind kind = gls::MetainfoKind(name);
      GLS_FUZZ_CHECK(
          kind != gls::MetaKind::kPersistent &&
              kind != gls::MetaKind::kTransient,
          "metainfo headers never land in outgoing/incoming headers");
      GLS_FUZZ_CHECK(name == absl::AsciiStrToLower(name),
                     "header names are lowercase");
    }
  }
  return wire;
}

// True if WithHeader(name, ...) must set the header: a non-empty name that
// does not start with a metainfo prefix.
bool SettableHeader(absl::string_view name) {
  return !name.empty() &&
         !absl::StartsWithIgnoreCase(name, gls::kPersistentPrefix) &&
         !absl::StartsWithIgnoreCase(name, gls::kTransientPrefix) &&
         !absl::StartsWithIgnoreCase(name, gls::kBackwardPrefix) &&
         !gls::IsW3cHeader(absl::AsciiStrToLower(name));
}

// What the derivations applied to one context so far may have added.
struct Added {
  bool transient = false;
  bool outgoing_header = false;
};

// Applies one derivation to `ctx`, checking that it takes effect.
Context Apply(const Context& ctx, const Op& op, const Context& other,
              Added* added) {
  switch (op.code) {
    case 'P': {
      Context next = ctx.WithPersistent(op.a, op.b);
      if (!op.a.empty() && !op.b.empty()) {
        GLS_FUZZ_CHECK(next.GetPersistent(op.a) == op.b,
                       "GetPersistent(k) == v after WithPersistent(k, v)");
      }
      CheckCaseInsensitive(next, op.a);
      return next;
    }
    case 'T': {
      Context next = ctx.WithTransient(op.a, op.b);
      if (!op.a.empty() && !op.b.empty()) {
        GLS_FUZZ_CHECK(next.GetTransient(op.a) == op.b,
                       "GetTransient(k) == v after WithTransient(k, v)");
        added->transient = true;
      }
      CheckCaseInsensitive(next, op.a);
      return next;
    }
    case 'p': {
      Context next = ctx.WithoutPersistent(op.a);
      GLS_FUZZ_CHECK(!next.GetPersistent(op.a).has_value(),
                     "GetPersistent(k) is absent after WithoutPersistent(k)");
      CheckCaseInsensitive(next, op.a);
      return next;
    }
    case 't': {
      Context next = ctx.WithoutTransient(op.a);
      GLS_FUZZ_CHECK(!next.GetTransient(op.a).has_value(),
                     "GetTransient(k) is absent after WithoutTransient(k)");
      CheckCaseInsensitive(next, op.a);
      return next;
    }
    case 'H': {
      Context next = ctx.WithHeader(op.a, op.b);
      if (SettableHeader(op.a)) {
        GLS_FUZZ_CHECK(next.GetHeader(op.a) == op.b,
                       "GetHeader(n) == v after WithHeader(n, v)");
        added->outgoing_header = true;
      }
      return next;
    }
    case 'x': {
      Context next = ctx.WithoutHeader(op.a);
      GLS_FUZZ_CHECK(!next.GetHeader(op.a).has_value(),
                     "GetHeader(n) is absent after WithoutHeader(n)");
      return next;
    }
    case 'r': {
      Context next = gls::RestorePersistent(ctx, other);
      for (const auto& [key, value] : ctx.persistent()) {
        GLS_FUZZ_CHECK(next.GetPersistent(key) == absl::string_view(value),
                       "RestorePersistent keeps ctx's values");
      }
      for (const auto& [key, value] : other.persistent()) {
        GLS_FUZZ_CHECK(next.GetPersistent(key).has_value(),
                       "RestorePersistent adds every persistent key of prev");
      }
      return next;
    }
    default:
      return ctx;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<Op> ops =
      ParseOps(absl::string_view(reinterpret_cast<const char*>(data), size));

  Context::Builder incoming(Context::Direction::kIncoming);
  Context::Builder outgoing(Context::Direction::kOutgoing);
  for (const Op& op : ops) {
    switch (op.code) {
      case 'h':
        incoming.AddHeader(op.a, op.b);
        outgoing.AddHeader(op.a, op.b);
        break;
      case 'a':
        incoming.AddPersistent(op.a, op.b);
        outgoing.AddPersistent(op.a, op.b);
        break;
      case 'b':
        outgoing.AddTransient(op.a, op.b);
        break;
      default:
        break;
    }
  }
  const Context built_in = incoming.Build();
  const Context built_out = outgoing.Build();
  const Wire wire_in = CheckWire(built_in, /*transient_allowed=*/false);
  const Wire wire_out = CheckWire(built_out, /*transient_allowed=*/true);

  // Incoming rpc-transit- values are readable from upstream.
  for (const Op& op : ops) {
    if (op.code != 'h' || op.b.empty()) continue;
    std::string key;
    if (gls::ParseMetainfoHeader(op.a, &key) == gls::MetaKind::kTransient) {
      GLS_FUZZ_CHECK(built_in.GetUpstream(key).has_value(),
                     "an incoming rpc-transit- header is an upstream value");
    }
  }

  GLS_FUZZ_CHECK(built_in.outgoing_headers().empty(),
                 "an incoming context has no outgoing headers");
  const Context::Headers outgoing_headers = built_out.outgoing_headers();

  Context in = built_in;
  Context out = built_out;
  Added in_added;
  Added out_added;
  for (const Op& op : ops) {
    in = Apply(in, op, built_out, &in_added);
    out = Apply(out, op, built_in, &out_added);
  }
  CheckWire(in, /*transient_allowed=*/in_added.transient);
  CheckWire(out, /*transient_allowed=*/true);
  GLS_FUZZ_CHECK(in_added.outgoing_header || in.outgoing_headers().empty(),
                 "a context derived from an incoming one has no outgoing "
                 "headers unless WithHeader set one");

  GLS_FUZZ_CHECK(WireHeaders(built_in) == wire_in &&
                     WireHeaders(built_out) == wire_out &&
                     built_in.outgoing_headers().empty() &&
                     built_out.outgoing_headers() == outgoing_headers,
                 "deriving leaves the original contexts unchanged");
  return 0;
}
