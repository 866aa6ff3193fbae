// gls/session/session.h
//
// `gls::Session` is what is bound to the code running a request: the request's
// backup `Context` plus request-local values under typed keys: state that any
// code below the handler reads and adds through `gls::CurSession()`
// (binding.h) without passing anything, as if it were thread-local to the
// request rather than to the thread.
//
// A Session is a handle: copies share the same context and the same values.
// `Set` and `End` are `const` because they act on that shared state, not on
// the handle: a `const Session&` (what `CurSession()` returns) can still add
// values and end the session for every copy. It
// is valid (`IsValid()`) from creation until `End()`; the server interceptor
// ends a request's session when the call is over. An ended session stays
// readable: work that carried it (a pool task, a `gls::Go` thread) still sees
// its context and values. The default-constructed Session is empty: it has the
// empty Context, holds no values, and is never valid.
//
// A request's session is also how its cancellation travels (docs/cancellation.md): when the server sees the request cancelled (the client
// cancelled, its deadline passed, the connection dropped), the session is
// cancelled, and so is every outbound call in flight under any copy of it.
// `Detach()` returns a handle to the same context and values that outbound
// calls do not tie to the request: for work that must outlive a cancelled
// request.
//
// Backward values travel the other way, from a server to its caller, in the
// response (docs/backward-values.md): a handler sets them with
// `SetBackwardValue`; the caller's session collects the ones its outbound
// calls received (`GetBackwardValue`, `RecvAllBackwardValues`).
//
// Example:
//
//   ABSL_CONST_INIT const gls::SessionKey<std::string> kUser("user");
//
//   void Handler() {
//     const gls::Session& s = gls::CurSession();
//     s.Set(kUser, std::string("alice"));
//     ...
//     if (std::shared_ptr<const std::string> user = s.Get(kUser)) Use(*user);
//   }
//
// Thread-safety: Session is thread-safe: any thread may read, `Set` and `End`
// concurrently through copies of one handle. SessionKey is immutable.

#ifndef GLS_SESSION_SESSION_H_
#define GLS_SESSION_SESSION_H_

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "gls/session/context.h"

namespace gls {

namespace session_internal {
class SessionState;
// A value slot id: the address of the key object.
using KeyId = const void*;
std::shared_ptr<const void> GetValue(const SessionState& state, KeyId key);
void SetValue(SessionState& state, KeyId key, std::shared_ptr<const void> v);
struct SessionAccess;
}  // namespace session_internal

// A typed key for request-local values. Keys are compared by identity: define
// each key once, as a global or static constant.
template <typename T>
class SessionKey {
 public:
  // A key named `name` (for logs and debugging; keys are told apart by
  // identity, not by name).
  constexpr explicit SessionKey(absl::string_view name) : name_(name) {}
  SessionKey(const SessionKey&) = delete;
  SessionKey& operator=(const SessionKey&) = delete;
  // The name given to the key.
  absl::string_view name() const { return name_; }

 private:
  absl::string_view name_;
};

// A request's session: a shared handle to its context, request-local
// values, backward values and cancellation. Copies share them. Thread-safe.
class Session {
 public:
  // The empty session.
  Session() = default;
  // A new, valid session for `context` with no values.
  explicit Session(Context context);

  // True from construction until End(); always false for the empty session.
  bool IsValid() const;
  // True for the default-constructed session.
  bool empty() const { return state_ == nullptr; }
  // Marks the session ended (IsValid() becomes false for every copy). The
  // first End() of a session that threads inherited (async=true) and that
  // some of them outlive logs one warning naming those threads.
  void End() const;

  // The backup context; the empty Context for the empty session.
  const Context& context() const;

  // True once gls cancelled the request behind this session (its client
  // cancelled, its deadline passed or its connection dropped) and with it
  // the outbound calls made under it. gls sees a callback or completion-queue
  // request's cancellation when gRPC reports it, a sync request's only while
  // an outbound call is in flight (it is polled then, from 10 ms after the
  // request's first one): a sync handler that makes no calls asks
  // grpc::ServerContext::IsCancelled() itself. Always false for a detached
  // handle and for the empty session.
  bool IsCancelled() const;
  // A handle to the same context and values (Set, Get and backward values
  // are shared) that does not carry the request's cancellation or deadline:
  // outbound calls made under it are neither cancelled with the request nor
  // bounded by its deadline. For work that must outlive the request. The
  // empty session detaches to itself.
  Session Detach() const;
  // True for a handle returned by Detach() (or copied from one).
  bool detached() const { return detached_; }

  // Backward values: sent to this request's caller in the response
  // (trailing metadata "rpc-backward-<key>"). Keys are canonical (see
  // metainfo.h); a later value replaces an earlier one. Returns false (and
  // stores nothing) on the empty session or for an empty key. Values set
  // after the response's status was sent are not sent.
  bool SetBackwardValue(absl::string_view key, absl::string_view value) const;
  // The backward value that outbound calls made under this session received
  // for `key` (any form), the latest one if several did.
  std::optional<std::string> GetBackwardValue(absl::string_view key) const;
  // Every backward value received, by canonical key.
  std::map<std::string, std::string> RecvAllBackwardValues() const;

  // Returns the value stored under `key`, or nullptr.
  template <typename T>
  std::shared_ptr<const T> Get(const SessionKey<T>& key) const {
    if (state_ == nullptr) return nullptr;
    return std::static_pointer_cast<const T>(
        session_internal::GetValue(*state_, &key));
  }

  // Stores `value` under `key`, replacing any earlier value, visible to every
  // copy of this session. The replaced value is freed here, unless a Get
  // still holds it: a session keeps one value per key, however often a long
  // request sets it. Returns false (and stores nothing) on the empty session.
  template <typename T>
  bool Set(const SessionKey<T>& key, T value) const {
    if (state_ == nullptr) return false;
    session_internal::SetValue(*state_, &key,
                               std::make_shared<const T>(std::move(value)));
    return true;
  }

  // True if both are copies of the same session (or both empty), detached
  // handles included.
  bool SameAs(const Session& other) const { return state_ == other.state_; }

 private:
  friend struct session_internal::SessionAccess;
  std::shared_ptr<session_internal::SessionState> state_;
  bool detached_ = false;
};

}  // namespace gls

#endif  // GLS_SESSION_SESSION_H_
