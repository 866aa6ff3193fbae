#include "gls/session/context.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "gls/session/metainfo.h"

namespace gls {

struct Context::Rep {
  Values persistent;
  Values transient;
  Values upstream;
  Headers outgoing;  // sent by outbound calls
  Headers incoming;  // readable only
  absl::Time deadline = absl::InfiniteFuture();
  TraceContext trace;
  Baggage baggage;
  std::string method;
  std::string peer;
};

namespace {

using Values = Context::Values;

// `key` in canonical form (metainfo.h); `buffer` holds it when `key` is not
// already canonical (the usual case allocates nothing).
absl::string_view KeyView(absl::string_view key, std::string& buffer) {
  if (IsCanonicalKey(key)) return key;
  buffer = CanonicalKey(key);
  return buffer;
}

// `name` lowercased, in `buffer` when it had uppercase letters.
absl::string_view NameView(absl::string_view name, std::string& buffer) {
  for (char c : name) {
    if (absl::ascii_isupper(c)) {
      buffer = absl::AsciiStrToLower(name);
      return buffer;
    }
  }
  return name;
}

// The first entry whose key is not less than `key` (Values or const Values).
template <typename V>
auto LowerBound(V& values, absl::string_view key) {
  return std::lower_bound(
      values.begin(), values.end(), key,
      [](const auto& entry, absl::string_view k) { return entry.first < k; });
}

absl::optional<absl::string_view> Find(const Values& values,
                                       absl::string_view key) {
  std::string buffer;
  key = KeyView(key, buffer);
  auto it = LowerBound(values, key);
  if (it == values.end() || it->first != key) return absl::nullopt;
  return absl::string_view(it->second);
}

// Inserts unless the key is present or key/value is empty (first value wins).
// `key` is canonical.
void AddValue(Values& values, absl::string_view key, absl::string_view value) {
  if (key.empty() || value.empty()) return;
  if (values.capacity() == 0) values.reserve(4);  // one allocation, usually
  auto it = LowerBound(values, key);
  if (it != values.end() && it->first == key) return;
  values.emplace(it, std::string(key), std::string(value));
}

// Inserts or replaces. `key` is canonical.
void SetValue(Values& values, absl::string_view key, absl::string_view value) {
  auto it = LowerBound(values, key);
  if (it != values.end() && it->first == key) {
    it->second.assign(value.data(), value.size());
  } else {
    values.emplace(it, std::string(key), std::string(value));
  }
}

// Removes every header named `name` (lowercase); true if one was there.
bool EraseHeader(Context::Headers& headers, absl::string_view name) {
  auto end = std::remove_if(headers.begin(), headers.end(),
                            [&](const auto& h) { return h.first == name; });
  bool erased = end != headers.end();
  headers.erase(end, headers.end());
  return erased;
}

absl::optional<absl::string_view> FindHeader(const Context::Headers& headers,
                                             absl::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k == name) return absl::string_view(v);
  }
  return absl::nullopt;
}

// `key` is canonical.
void EraseValue(Values& values, absl::string_view key) {
  auto it = LowerBound(values, key);
  if (it != values.end() && it->first == key) values.erase(it);
}

}  // namespace

const Context::Rep& Context::rep() const {
  static const Rep* const kEmpty = new Rep();
  return rep_ == nullptr ? *kEmpty : *rep_;
}

absl::optional<absl::string_view> Context::GetPersistent(
    absl::string_view key) const {
  return Find(rep().persistent, key);
}
absl::optional<absl::string_view> Context::GetTransient(
    absl::string_view key) const {
  return Find(rep().transient, key);
}
absl::optional<absl::string_view> Context::GetUpstream(
    absl::string_view key) const {
  return Find(rep().upstream, key);
}
absl::optional<absl::string_view> Context::GetValue(
    absl::string_view key) const {
  auto v = GetTransient(key);
  return v ? v : GetUpstream(key);
}
absl::optional<absl::string_view> Context::GetHeader(
    absl::string_view name) const {
  std::string buffer;
  name = NameView(name, buffer);
  auto v = FindHeader(rep().outgoing, name);
  return v ? v : FindHeader(rep().incoming, name);
}

const Context::Values& Context::persistent() const { return rep().persistent; }
const Context::Values& Context::transient() const { return rep().transient; }
const Context::Values& Context::upstream() const { return rep().upstream; }
const Context::Headers& Context::outgoing_headers() const {
  return rep().outgoing;
}
const Context::Headers& Context::incoming_headers() const {
  return rep().incoming;
}
absl::Time Context::deadline() const { return rep().deadline; }
const TraceContext& Context::trace() const { return rep().trace; }
const Baggage& Context::baggage() const { return rep().baggage; }
absl::optional<absl::string_view> Context::GetBaggage(
    absl::string_view key) const {
  const BaggageEntry* e = FindBaggage(rep().baggage, key);
  if (e == nullptr) return absl::nullopt;
  return absl::string_view(e->value);
}
const std::string& Context::method() const { return rep().method; }
const std::string& Context::peer() const { return rep().peer; }

template <typename Mutate>
Context Context::Derive(Mutate mutate) const {
  auto rep = std::make_shared<Rep>(this->rep());
  mutate(*rep);
  return Context(std::move(rep));
}

Context Context::WithPersistent(absl::string_view key,
                                absl::string_view value) const {
  if (key.empty() || value.empty()) return *this;
  std::string buffer;
  key = KeyView(key, buffer);
  return Derive([&](Rep& r) { SetValue(r.persistent, key, value); });
}
Context Context::WithTransient(absl::string_view key,
                               absl::string_view value) const {
  if (key.empty() || value.empty()) return *this;
  std::string buffer;
  key = KeyView(key, buffer);
  return Derive([&](Rep& r) { SetValue(r.transient, key, value); });
}
Context Context::WithoutPersistent(absl::string_view key) const {
  if (!GetPersistent(key)) return *this;
  std::string buffer;
  key = KeyView(key, buffer);
  return Derive([&](Rep& r) { EraseValue(r.persistent, key); });
}
Context Context::WithoutTransient(absl::string_view key) const {
  if (!GetTransient(key)) return *this;
  std::string buffer;
  key = KeyView(key, buffer);
  return Derive([&](Rep& r) { EraseValue(r.transient, key); });
}
Context Context::WithHeader(absl::string_view name,
                            absl::string_view value) const {
  // Metainfo names are refused, also with an empty key, and so are the W3C
  // ones (WithTrace, WithBaggage).
  if (name.empty() || HasMetainfoPrefix(name)) {
    return *this;
  }
  std::string buffer;
  name = NameView(name, buffer);
  if (IsW3cHeader(name)) return *this;
  return Derive([&](Rep& r) {
    EraseHeader(r.outgoing, name);
    r.outgoing.emplace_back(std::string(name), std::string(value));
  });
}
Context Context::WithoutHeader(absl::string_view name) const {
  if (!GetHeader(name)) return *this;
  std::string buffer;
  name = NameView(name, buffer);
  return Derive([&](Rep& r) {
    EraseHeader(r.outgoing, name);
    EraseHeader(r.incoming, name);
  });
}
Context Context::WithTrace(absl::string_view traceparent,
                           absl::string_view tracestate) const {
  TraceContext trace = ParseTraceContext(traceparent, tracestate);
  if (!trace.valid()) return *this;
  return Derive([&](Rep& r) { r.trace = std::move(trace); });
}
Context Context::WithoutTrace() const {
  if (!trace().valid()) return *this;
  return Derive([&](Rep& r) { r.trace = TraceContext(); });
}
Context Context::WithBaggage(absl::string_view key, absl::string_view value,
                             absl::string_view properties) const {
  std::string checked;
  if (!IsBaggageKey(key) || !IsBaggageProperties(properties) ||
      !PercentDecodeBaggageValue(PercentEncodeBaggageValue(value), &checked)) {
    return *this;
  }
  return Derive([&](Rep& r) {
    for (BaggageEntry& e : r.baggage) {
      if (e.key == key) {
        e.value = std::string(value);
        e.properties = CanonicalBaggageProperties(properties);
        return;
      }
    }
    r.baggage.push_back(BaggageEntry{std::string(key), std::string(value),
                                     CanonicalBaggageProperties(properties)});
  });
}
Context Context::WithoutBaggage(absl::string_view key) const {
  if (FindBaggage(baggage(), key) == nullptr) return *this;
  return Derive([&](Rep& r) {
    r.baggage.erase(
        std::remove_if(r.baggage.begin(), r.baggage.end(),
                       [&](const BaggageEntry& e) { return e.key == key; }),
        r.baggage.end());
  });
}
Context Context::WithDeadline(absl::Time deadline) const {
  return Derive([&](Rep& r) { r.deadline = deadline; });
}

void Context::ForEachWireHeader(
    absl::FunctionRef<void(std::string, const std::string&)> emit) const {
  for (const auto& [key, value] : rep().persistent) {
    emit(MetainfoHeaderName(MetaKind::kPersistent, key), value);
  }
  for (const auto& [key, value] : rep().transient) {
    emit(MetainfoHeaderName(MetaKind::kTransient, key), value);
  }
}

Context::Builder::Builder(Direction direction) : direction_(direction) {}
Context::Builder::~Builder() = default;

Context::Rep& Context::Builder::rep() {
  if (rep_ == nullptr) rep_ = std::make_shared<Rep>();
  return *rep_;
}

Context::Builder& Context::Builder::AddHeader(absl::string_view name,
                                              absl::string_view value) {
  std::string key;
  switch (ParseMetainfoHeader(name, &key)) {
    case MetaKind::kPersistent:
      AddValue(rep().persistent, key, value);
      break;
    case MetaKind::kTransient:
      AddValue(
          direction_ == Direction::kIncoming ? rep().upstream : rep().transient,
          key, value);
      break;
    case MetaKind::kBackward:
    case MetaKind::kNone: {
      std::string buffer;
      name = NameView(name, buffer);
      if (name == kTraceParentHeader) {
        traceparent_ = std::string(value);
        ++traceparents_;
        break;
      }
      if (name == kTraceStateHeader) {
        if (!tracestate_.empty()) tracestate_.push_back(',');
        tracestate_.append(value.data(), value.size());
        break;
      }
      if (name == kBaggageHeader) {
        ParseBaggage(value, &rep().baggage);
        break;
      }
      (direction_ == Direction::kIncoming ? rep().incoming : rep().outgoing)
          .emplace_back(std::string(name), std::string(value));
      break;
    }
  }
  return *this;
}
Context::Builder& Context::Builder::AddPersistent(absl::string_view key,
                                                  absl::string_view value) {
  std::string buffer;
  AddValue(rep().persistent, KeyView(key, buffer), value);
  return *this;
}
Context::Builder& Context::Builder::AddTransient(absl::string_view key,
                                                 absl::string_view value) {
  std::string buffer;
  AddValue(rep().transient, KeyView(key, buffer), value);
  return *this;
}
Context::Builder& Context::Builder::SetDeadline(absl::Time deadline) {
  rep().deadline = deadline;
  return *this;
}
Context::Builder& Context::Builder::SetMethod(absl::string_view method) {
  rep().method = std::string(method);
  return *this;
}
Context::Builder& Context::Builder::SetPeer(std::string peer) {
  rep().peer = std::move(peer);
  return *this;
}
Context Context::Builder::Build() {
  rep();  // an empty builder builds an empty (but distinct) context
  // Several traceparent headers are invalid (no trace).
  if (traceparents_ == 1) {
    rep_->trace = ParseTraceContext(traceparent_, tracestate_);
  }
  traceparent_.clear();
  traceparents_ = 0;
  tracestate_.clear();
  return Context(std::shared_ptr<const Rep>(std::move(rep_)));
}

void ForEachMissingPersistent(
    const Context& ctx, const Context& prev,
    absl::FunctionRef<void(const std::string&, const std::string&)> fn) {
  // Both lists are sorted by canonical key: one merge pass.
  const Values& have = ctx.persistent();
  auto it = have.begin();
  for (const auto& [key, value] : prev.persistent()) {
    while (it != have.end() && it->first < key) ++it;
    if (it == have.end() || it->first != key) fn(key, value);
  }
}

Context RestorePersistent(const Context& ctx, const Context& prev) {
  Values missing;
  ForEachMissingPersistent(
      ctx, prev, [&](const std::string& key, const std::string& value) {
        missing.emplace_back(key, value);
      });
  if (missing.empty()) return ctx;
  return ctx.Derive([&](Context::Rep& r) {
    for (auto& entry : missing)
      AddValue(r.persistent, entry.first, entry.second);
  });
}

}  // namespace gls
