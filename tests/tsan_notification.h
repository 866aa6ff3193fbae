// gls/tests/tsan_notification.h
//
// A one-shot event for tests that also run under ThreadSanitizer. It does the
// job of absl::Notification, which TSan cannot see through here because
// Debian's Abseil is not built with TSan; std::mutex and
// std::condition_variable go through pthread, which TSan intercepts.
//
// Example:
//
//   gls::testing::Notification ready;
//   std::thread t([&] { ready.WaitForNotification(); });
//   ready.Notify();
//
// Thread-safety: thread-safe.

#ifndef GLS_TESTS_TSAN_NOTIFICATION_H_
#define GLS_TESTS_TSAN_NOTIFICATION_H_

#include <condition_variable>
#include <mutex>

namespace gls {
namespace testing {

class Notification {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
    cv_.notify_all();
  }
  void WaitForNotification() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return notified_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
};

}  // namespace testing
}  // namespace gls

#endif  // GLS_TESTS_TSAN_NOTIFICATION_H_
