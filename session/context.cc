#include "gls/session/context.h"

#include "gls/session/metainfo.h"

namespace gls {

struct Context::Rep {
  Values persistent;
  Values transient;
  Values upstream;
  Headers headers;
  absl::Time deadline = absl::InfiniteFuture();
  std::string method;
  std::string peer;
};

namespace {

absl::optional<absl::string_view> Find(const Context::Values& values,
                                       absl::string_view key) {
  auto it = values.find(key);
  if (it == values.end()) return absl::nullopt;
  return absl::string_view(it->second);
}

// Inserts unless the key is present or key/value is empty (first value wins).
void AddValue(Context::Values& values, absl::string_view key,
              absl::string_view value) {
  if (key.empty() || value.empty()) return;
  values.emplace(std::string(key), std::string(value));
}

}  // namespace

const std::shared_ptr<const Context::Rep>& Context::EmptyRep() {
  static const auto* rep =
      new std::shared_ptr<const Rep>(std::make_shared<const Rep>());
  return *rep;
}

Context::Context() : rep_(EmptyRep()) {}

absl::optional<absl::string_view> Context::GetPersistent(
    absl::string_view key) const {
  return Find(rep_->persistent, key);
}
absl::optional<absl::string_view> Context::GetTransient(
    absl::string_view key) const {
  return Find(rep_->transient, key);
}
absl::optional<absl::string_view> Context::GetUpstream(
    absl::string_view key) const {
  return Find(rep_->upstream, key);
}
absl::optional<absl::string_view> Context::GetValue(
    absl::string_view key) const {
  auto v = GetTransient(key);
  return v ? v : GetUpstream(key);
}
absl::optional<absl::string_view> Context::GetHeader(
    absl::string_view name) const {
  for (const auto& [k, v] : rep_->headers) {
    if (k == name) return absl::string_view(v);
  }
  return absl::nullopt;
}

const Context::Values& Context::persistent() const { return rep_->persistent; }
const Context::Values& Context::transient() const { return rep_->transient; }
const Context::Values& Context::upstream() const { return rep_->upstream; }
const Context::Headers& Context::headers() const { return rep_->headers; }
absl::Time Context::deadline() const { return rep_->deadline; }
const std::string& Context::method() const { return rep_->method; }
const std::string& Context::peer() const { return rep_->peer; }
bool Context::has_metainfo() const {
  return !rep_->persistent.empty() || !rep_->transient.empty() ||
         !rep_->upstream.empty();
}

template <typename Mutate>
Context Context::Derive(Mutate mutate) const {
  auto rep = std::make_shared<Rep>(*rep_);
  mutate(*rep);
  return Context(std::move(rep));
}

Context Context::WithPersistent(absl::string_view key,
                                absl::string_view value) const {
  if (key.empty() || value.empty()) return *this;
  return Derive(
      [&](Rep& r) { r.persistent[std::string(key)] = std::string(value); });
}
Context Context::WithTransient(absl::string_view key,
                               absl::string_view value) const {
  if (key.empty() || value.empty()) return *this;
  return Derive(
      [&](Rep& r) { r.transient[std::string(key)] = std::string(value); });
}
Context Context::WithoutPersistent(absl::string_view key) const {
  if (!GetPersistent(key)) return *this;
  return Derive([&](Rep& r) { r.persistent.erase(r.persistent.find(key)); });
}
Context Context::WithoutTransient(absl::string_view key) const {
  if (!GetTransient(key)) return *this;
  return Derive([&](Rep& r) { r.transient.erase(r.transient.find(key)); });
}
Context Context::WithDeadline(absl::Time deadline) const {
  return Derive([&](Rep& r) { r.deadline = deadline; });
}

void Context::ForEachWireHeader(
    absl::FunctionRef<void(const std::string&, const std::string&)> emit)
    const {
  for (const auto& [key, value] : rep_->persistent) {
    emit(MetainfoHeaderName(MetaKind::kPersistent, key), value);
  }
  for (const auto& [key, value] : rep_->transient) {
    emit(MetainfoHeaderName(MetaKind::kTransient, key), value);
  }
}

Context::Builder::Builder(Direction direction)
    : direction_(direction), rep_(std::make_unique<Rep>()) {}
Context::Builder::~Builder() = default;

Context::Builder& Context::Builder::AddHeader(absl::string_view name,
                                              absl::string_view value) {
  std::string key;
  switch (ParseMetainfoHeader(name, &key)) {
    case MetaKind::kPersistent:
      AddValue(rep_->persistent, key, value);
      break;
    case MetaKind::kTransient:
      AddValue(
          direction_ == Direction::kIncoming ? rep_->upstream : rep_->transient,
          key, value);
      break;
    case MetaKind::kBackward:
    case MetaKind::kNone:
      rep_->headers.emplace_back(std::string(name), std::string(value));
      break;
  }
  return *this;
}
Context::Builder& Context::Builder::AddPersistent(absl::string_view key,
                                                  absl::string_view value) {
  AddValue(rep_->persistent, key, value);
  return *this;
}
Context::Builder& Context::Builder::AddTransient(absl::string_view key,
                                                 absl::string_view value) {
  AddValue(rep_->transient, key, value);
  return *this;
}
Context::Builder& Context::Builder::SetDeadline(absl::Time deadline) {
  rep_->deadline = deadline;
  return *this;
}
Context::Builder& Context::Builder::SetMethod(absl::string_view method) {
  rep_->method = std::string(method);
  return *this;
}
Context::Builder& Context::Builder::SetPeer(absl::string_view peer) {
  rep_->peer = std::string(peer);
  return *this;
}
Context Context::Builder::Build() {
  Context ctx(std::shared_ptr<const Rep>(std::move(rep_)));
  rep_ = std::make_unique<Rep>();
  return ctx;
}

Context RestorePersistent(const Context& ctx, const Context& prev) {
  bool missing = false;
  for (const auto& entry : prev.persistent()) {
    if (!ctx.GetPersistent(entry.first)) {
      missing = true;
      break;
    }
  }
  if (!missing) return ctx;
  return ctx.Derive([&](Context::Rep& r) {
    // insert() keeps the existing (ctx's) value on conflicts.
    r.persistent.insert(prev.persistent().begin(), prev.persistent().end());
  });
}

}  // namespace gls
