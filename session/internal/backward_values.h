// gls/session/internal/backward_values.h
//
// Internal to gls; not for use outside the library.
//
// `BackwardValues`: the backward values of one session (docs/backward-values.md):
// those its handler set, to send in the response's trailing metadata, and
// those its outbound calls received, by canonical key. A Set of a known key
// replaces its value. A session makes one on first use (LazyPtr).
//
// Example:
//
//   BackwardValues backward;
//   backward.SetToSend("CACHE_HIT", "true");
//   for (const auto& [key, value] : backward.to_send()) ...
//
// Thread-safety: thread-safe (one absl::Mutex per session that uses backward
// values; never locked on the path of requests that do not).

#ifndef GLS_SESSION_INTERNAL_BACKWARD_VALUES_H_
#define GLS_SESSION_INTERNAL_BACKWARD_VALUES_H_

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/internal/mutex_lock.h"

namespace gls {
namespace session_internal {

class BackwardValues {
 public:
  // Records a value the session's handler set, to send with its response.
  void SetToSend(std::string key, std::string value) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    to_send_[std::move(key)] = std::move(value);
  }
  // Records a value an outbound call made under the session received.
  void AddReceived(std::string key, std::string value)
      ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    received_[std::move(key)] = std::move(value);
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
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_BACKWARD_VALUES_H_
