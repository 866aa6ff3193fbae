#include "gls/session/internal/cancel_targets.h"

#include <algorithm>
#include <chrono>

namespace gls {
namespace session_internal {
namespace {

// A request's deadline cancels it twice over: gls's cancel watcher passes
// within a tick after the deadline, and the server sees the request closed
// (the client's timer fired, or gRPC's own). A close seen this close to the
// deadline or after it counts as the deadline, so that the calls end with one
// status whichever comes first. The slack covers the client's deadline firing
// a little before the server's view of it (the timeout counted from the
// headers' arrival: measured up to 2 ms on loopback, more under load).
constexpr std::chrono::milliseconds kDeadlineSlack{100};

absl::Status RequestDeadlinePassed() {
  return absl::DeadlineExceededError(
      "gls: the incoming request's deadline passed");
}

}  // namespace

CancelTargets::~CancelTargets() {
  // Owners unregister their calls before the last copy goes; a target left
  // behind may still hold a reference.
  for (const CancelTarget& t : targets_) {
    if (t.ops->registration_holds_ref()) t.ops->Unref(t.call);
  }
  SpinLockHolder hold(&lock_);
  if (watch_node_.listed()) StopWatching(&watch_node_);
}

absl::Status CancelTargets::status() const {
  SpinLockHolder hold(&lock_);
  return status_;
}

bool CancelTargets::Add(const CancelTarget& target) {
  SpinLockHolder hold(&lock_);
  if (!status_.ok()) return false;
  if (target.ops->registration_holds_ref()) target.ops->Ref(target.call);
  targets_.push_back(target);
  if (!watch_node_.listed() &&
      (poller_ != nullptr || deadline_ != kNoDeadline ||
       target.deadline != kNoDeadline)) {
    StartWatching(&watch_node_);
  }
  return true;
}

void CancelTargets::Remove(void* call) {
  CancelTarget removed;
  {
    SpinLockHolder hold(&lock_);
    auto it =
        std::find_if(targets_.begin(), targets_.end(),
                     [&](const CancelTarget& t) { return t.call == call; });
    if (it == targets_.end()) return;
    removed = *it;
    targets_.erase(it);
    if (targets_.empty() && watch_node_.listed()) StopWatching(&watch_node_);
  }
  if (removed.ops->registration_holds_ref()) removed.ops->Unref(removed.call);
}

std::vector<bool> CancelTargets::HoldRef() const {
  SpinLockHolder hold(&lock_);
  std::vector<bool> out;
  for (const CancelTarget& t : targets_) {
    out.push_back(t.ops->registration_holds_ref());
  }
  return out;
}

size_t CancelTargets::Cancel(absl::Status why) {
  // (now + slack, not deadline - slack: a deadline in the infinite past
  // must not wrap.)
  if (absl::IsCancelled(why) && deadline_ != kNoDeadline &&
      SteadyNow() + kDeadlineSlack >= deadline_) {
    why = RequestDeadlinePassed();  // see kDeadlineSlack
  }
  absl::InlinedVector<CancelTarget, 4> hold;
  {
    SpinLockHolder hold_lock(&lock_);
    if (!status_.ok()) return 0;
    status_ = why;
    cancelled_.store(true, std::memory_order_release);
    for (const CancelTarget& t : targets_) {
      t.ops->Ref(t.call);
      hold.push_back(t);
    }
  }
  // Outside the lock: cancelling may run the calls' completions (and user
  // code that makes more calls under this session) on this thread.
  for (const CancelTarget& t : hold) {
    t.ops->Cancel(t.call, why);
    t.ops->Unref(t.call);
  }
  return hold.size();
}

void CancelTargets::AttachPoller(CancelPoller* poller) {
  SpinLockHolder hold(&lock_);
  poller_ = poller;
}

void CancelTargets::DetachPoller() {
  const std::thread::id self = std::this_thread::get_id();
  for (;;) {
    {
      SpinLockHolder hold(&lock_);
      poller_ = nullptr;
      if (polling_thread_ == std::thread::id() || polling_thread_ == self) {
        return;
      }
    }
    std::this_thread::yield();  // a poll is running on the watcher
  }
}

size_t CancelTargets::WatchPass(SteadyTime now, bool poll) {
  CancelPoller* poller = nullptr;
  {
    SpinLockHolder hold(&lock_);
    if (targets_.empty() || !status_.ok()) {
      if (watch_node_.listed()) StopWatching(&watch_node_);
      return 0;
    }
    if (poll) poller = poller_;
    if (poller != nullptr) polling_thread_ = std::this_thread::get_id();
  }
  size_t cancelled = 0;
  if (poller != nullptr) {
    const bool was_cancelled = poller->PollCancelled();
    {
      SpinLockHolder hold(&lock_);
      polling_thread_ = std::thread::id();
    }
    if (was_cancelled) {
      cancelled += Cancel(
          absl::CancelledError("gls: the incoming request was cancelled"));
    }
  }
  if (deadline_ <= now) {
    cancelled += Cancel(RequestDeadlinePassed());
  }
  absl::InlinedVector<CancelTarget, 4> due;
  {
    SpinLockHolder hold(&lock_);
    // A cancelled session cancelled every target already.
    for (CancelTarget& t : targets_) {
      if (!status_.ok()) break;
      if (t.deadline <= now) {
        t.ops->Ref(t.call);
        due.push_back(t);
        t.deadline = kNoDeadline;  // fires once
      }
    }
  }
  const absl::Status handler_deadline = absl::DeadlineExceededError(
      "gls: the deadline of the context the BackupHandler returned passed");
  for (const CancelTarget& t : due) {
    t.ops->Cancel(t.call, handler_deadline);
    t.ops->Unref(t.call);
  }
  cancelled += due.size();

  // Unlisted once nothing is left to watch for; a later call lists it again.
  SpinLockHolder hold(&lock_);
  bool needed = !targets_.empty() && status_.ok() &&
                (poller_ != nullptr || deadline_ != kNoDeadline);
  for (const CancelTarget& t : targets_) {
    if (t.deadline != kNoDeadline) needed = true;
  }
  if (!needed && watch_node_.listed()) StopWatching(&watch_node_);
  return cancelled;
}

}  // namespace session_internal
}  // namespace gls
