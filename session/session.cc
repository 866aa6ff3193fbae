// gls::Session: the handle's methods, and SessionAccess, what gls's own layers
// use of a session. The state it shares is internal/session_state.h, one part
// per job.

#include "gls/session/session.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gls/session/internal/recycling_allocator.h"
#include "gls/session/internal/session_access.h"
#include "gls/session/internal/session_state.h"
#include "gls/session/metainfo.h"

namespace gls {
namespace session_internal {

std::shared_ptr<const void> GetValue(const SessionState& state, KeyId key) {
  const ValueTable* values = state.values().get();
  return values == nullptr ? nullptr : values->Get(key);
}
void SetValue(SessionState& state, KeyId key, std::shared_ptr<const void> v) {
  // Made on first Set: requests that never set a value pay nothing.
  state.values().GetOrCreate().Set(key, std::move(v));
}

void SessionAccess::AddInheritor(const Session& session, int64_t tid) {
  if (session.state_ != nullptr)
    session.state_->inheritors().GetOrCreate().Add(tid);
}
void SessionAccess::RemoveInheritor(const Session& session, int64_t tid) {
  if (session.state_ == nullptr) return;
  if (Inheritors* inheritors = session.state_->inheritors().get()) {
    inheritors->Remove(tid);
  }
}

// allocate_shared puts the state and its control block (libstdc++: a vtable
// pointer and two 32-bit counts) in one allocation, which must fit a
// recycled block or every request would malloc its session.
static_assert(sizeof(SessionState) + sizeof(void*) + 2 * sizeof(int32_t) <=
                  kRecycledBlockSize,
              "a session state no longer fits a recycled block");

Session SessionAccess::NewLazy(const ContextSource* source, SteadyTime deadline,
                               bool has_persistent, bool has_w3c) {
  Session session;
  session.state_ = std::allocate_shared<SessionState>(
      RecyclingAllocator<SessionState>(), source, deadline, has_persistent,
      has_w3c);
  return session;
}

bool SessionAccess::HasPersistent(const Session& session) {
  return session.state_ != nullptr && session.state_->has_persistent();
}

bool SessionAccess::HasW3c(const Session& session) {
  return session.state_ != nullptr && session.state_->has_w3c();
}

void SessionAccess::Seal(const Session& session) {
  if (session.state_ == nullptr) return;
  // The caller's own copy is one; any other may be read after the request.
  session.state_->lazy_context().Seal(
      /*build=*/session.state_.use_count() > 1);
}

absl::Time SessionAccess::Deadline(const Session& session) {
  return session.state_ == nullptr || session.detached_
             ? absl::InfiniteFuture()
             : TimeFromSteady(session.state_->deadline());
}

bool SessionAccess::Cancellable(const Session& session) {
  return session.state_ != nullptr && !session.detached_;
}

bool SessionAccess::AddCancelTarget(const Session& session,
                                    CancelTarget target) {
  if (!Cancellable(session)) return true;
  return session.state_->cancel().Add(target);
}

void SessionAccess::RemoveCancelTarget(const Session& session, void* call) {
  if (Cancellable(session)) session.state_->cancel().Remove(call);
}

std::vector<bool> SessionAccess::TargetsHoldRefForTest(const Session& session) {
  return Cancellable(session) ? session.state_->cancel().HoldRef()
                              : std::vector<bool>();
}

size_t SessionAccess::Cancel(const Session& session, const absl::Status& why) {
  return Cancellable(session) ? session.state_->cancel().Cancel(why) : 0;
}

absl::Status SessionAccess::CancelStatus(const Session& session) {
  return Cancellable(session) ? session.state_->cancel().status()
                              : absl::OkStatus();
}

void SessionAccess::AttachPoller(const Session& session, CancelPoller* poller) {
  if (Cancellable(session)) session.state_->cancel().AttachPoller(poller);
}

void SessionAccess::DetachPoller(const Session& session) {
  if (Cancellable(session)) session.state_->cancel().DetachPoller();
}

std::weak_ptr<SessionState> SessionAccess::Weak(const Session& session) {
  return session.state_;
}

Session SessionAccess::Lock(const std::weak_ptr<SessionState>& weak) {
  Session session;
  session.state_ = weak.lock();
  return session;
}

Session SessionAccess::LockState(SessionState* state) {
  Session session;
  session.state_ = state->weak_from_this().lock();
  return session;
}

size_t SessionAccess::WatchPass(const Session& session, SteadyTime now,
                                bool poll) {
  return Cancellable(session) ? session.state_->cancel().WatchPass(now, poll)
                              : 0;
}

bool SessionAccess::HasBackward(const Session& session) {
  return session.state_ != nullptr &&
         session.state_->backward().get() != nullptr;
}

std::vector<std::pair<std::string, std::string>> SessionAccess::BackwardToSend(
    const Session& session) {
  std::vector<std::pair<std::string, std::string>> out;
  if (session.state_ == nullptr) return out;
  const BackwardValues* backward = session.state_->backward().get();
  if (backward == nullptr) return out;
  for (auto& kv : backward->to_send()) out.push_back(std::move(kv));
  return out;
}

bool SessionAccess::AddReceivedBackward(const Session& session, std::string key,
                                        std::string value, size_t max_bytes) {
  if (session.state_ == nullptr) return false;
  return session.state_->backward().GetOrCreate().AddReceived(
      std::move(key), std::move(value), max_bytes);
}

std::vector<std::pair<std::string, std::string>>
SessionAccess::BackwardReceived(const Session& session) {
  std::vector<std::pair<std::string, std::string>> out;
  if (session.state_ == nullptr) return out;
  const BackwardValues* backward = session.state_->backward().get();
  if (backward == nullptr) return out;
  for (auto& kv : backward->received()) out.push_back(std::move(kv));
  return out;
}

bool SessionAccess::WithSource(
    const Session& session, absl::FunctionRef<void(const ContextSource&)> fn) {
  return session.state_ != nullptr &&
         session.state_->lazy_context().WithSource(fn);
}

}  // namespace session_internal

Session::Session(Context context)
    : state_(std::make_shared<session_internal::SessionState>(
          std::move(context))) {}

bool Session::IsValid() const { return state_ != nullptr && !state_->ended(); }

void Session::End() const {
  if (state_ != nullptr) state_->End();
}

bool Session::IsCancelled() const {
  return state_ != nullptr && !detached_ && state_->cancel().cancelled();
}

Session Session::Detach() const {
  Session copy = *this;
  copy.detached_ = state_ != nullptr;
  return copy;
}

bool Session::SetBackwardValue(absl::string_view key,
                               absl::string_view value) const {
  if (state_ == nullptr || key.empty()) return false;
  state_->backward().GetOrCreate().SetToSend(CanonicalKey(key),
                                             std::string(value));
  return true;
}

std::optional<std::string> Session::GetBackwardValue(
    absl::string_view key) const {
  if (state_ == nullptr) return std::nullopt;
  const session_internal::BackwardValues* backward = state_->backward().get();
  if (backward == nullptr) return std::nullopt;
  return backward->FindReceived(CanonicalKey(key));
}

std::map<std::string, std::string> Session::RecvAllBackwardValues() const {
  if (state_ == nullptr) return {};
  const session_internal::BackwardValues* backward = state_->backward().get();
  return backward == nullptr ? std::map<std::string, std::string>()
                             : backward->received();
}

const Context& Session::context() const {
  static const Context* const kEmpty = new Context();
  return state_ == nullptr ? *kEmpty : state_->context();
}

}  // namespace gls
