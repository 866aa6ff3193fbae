// gls/session/internal/backward_values.h
//
// Internal to gls; not for use outside the library.
//
// `BackwardValues`: the backward values of one session (docs/backward-values.md):
// those its handler set, to send in the response's trailing metadata, and
// those its outbound calls received, by canonical key. A Set of a known key
// replaces its value. What a session keeps of received values is bounded:
// each costs what it costs on the wire ("rpc-backward-" + key + value + 32
// bytes, as gRPC's metadata limit counts), and a value that would take the
// session's received total over the budget its caller gives is refused (the
// earlier value of its key, if any, stays). A session makes one on first use
// (LazyPtr).
//
// Example:
//
//   BackwardValues backward;
//   backward.SetToSend("CACHE_HIT", "true");
//   if (!backward.AddReceived("SERVED_BY", "leaf", 4096)) ...  // over budget
//   for (const auto& [key, value] : backward.to_send()) ...
//
// Thread-safety: thread-safe (one absl::Mutex per session that uses backward
// values; never locked on the path of requests that do not).

#ifndef GLS_SESSION_INTERNAL_BACKWARD_VALUES_H_
#define GLS_SESSION_INTERNAL_BACKWARD_VALUES_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/internal/mutex_lock.h"
#include "gls/session/metainfo.h"

namespace gls {
namespace session_internal {

class BackwardValues {
 public:
  // gRPC's metadata limit counts each entry as name + value + 32 bytes.
  static constexpr size_t kEntryOverhead = 32;

  // Records a value the session's handler set, to send with its response.
  void SetToSend(std::string key, std::string value) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    to_send_[std::move(key)] = std::move(value);
  }
  // What a received value of `key` costs of the budget.
  static size_t ReceivedCost(absl::string_view key, absl::string_view value) {
    return kBackwardPrefix.size() + key.size() + value.size() + kEntryOverhead;
  }

  // Records a value an outbound call made under the session received, if the
  // received values' total cost stays within `max_bytes` with it (replacing
  // the key's earlier value); returns false, keeping what was there, if not.
  bool AddReceived(std::string key, std::string value, size_t max_bytes)
      ABSL_LOCKS_EXCLUDED(mu_) {
    const size_t cost = ReceivedCost(key, value);
    MutexLock lock(&mu_);
    auto it = received_.find(key);
    const size_t replaced =
        it == received_.end() ? 0 : ReceivedCost(key, it->second);
    if (received_cost_ - replaced + cost > max_bytes) return false;
    received_cost_ = received_cost_ - replaced + cost;
    if (it == received_.end()) {
      received_.emplace(std::move(key), std::move(value));
    } else {
      it->second = std::move(value);
    }
    return true;
  }
  // Copies of what was set to send / what was received, by key.
  std::map<std::string, std::string> to_send() const ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    return to_send_;
  }
  std::map<std::string, std::string> received() const ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    return received_;
  }
  // The received value of `key`, if any.
  std::optional<std::string> FindReceived(const std::string& key) const
      ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    auto it = received_.find(key);
    if (it == received_.end()) return std::nullopt;
    return it->second;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> to_send_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> received_ ABSL_GUARDED_BY(mu_);
  // The sum of ReceivedCost over received_.
  size_t received_cost_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_BACKWARD_VALUES_H_
