// gls/tests/session_test_util.h
//
// Shared helpers of gls's tests that need only Abseil and gls::session (no
// gRPC), so the session-layer tests (which link gls::session alone) and the
// end-to-end tests use the same ones: a session per tenant, the calling
// thread's tenant, and a capture of gls's log lines. Header-only.
//
// Example:
//
//   gls::testing::LogCapture log;
//   gls::SessionScope scope(gls::testing::NewSession("acme"));
//   EXPECT_EQ(gls::testing::CurTenant(), "acme");
//   EXPECT_TRUE(log.lines().empty());
//
// Thread-safety: the functions are thread-safe; LogCapture is thread-safe.

#ifndef GLS_TESTS_SESSION_TEST_UTIL_H_
#define GLS_TESTS_SESSION_TEST_UTIL_H_

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gls/session/binding.h"
#include "gls/session/context.h"
#include "gls/session/log.h"
#include "gls/session/session.h"

namespace gls {
namespace testing {

// A new, valid session whose context has the persistent value TENANT.
inline Session NewSession(absl::string_view tenant) {
  return Session(Context().WithPersistent("TENANT", tenant));
}

// The tenant of the session bound to the calling thread: "none" when the empty
// session is bound, else its TENANT value (also once the session ended).
inline std::string CurTenant() {
  const Session& s = CurSession();
  if (s.empty()) return "none";
  return std::string(s.context().GetPersistent("TENANT").value_or(""));
}

// Like CurTenant(), but "ended" when the bound session is no longer valid.
inline std::string CurValidTenant() {
  const Session& s = CurSession();
  if (!s.empty() && !s.IsValid()) return "ended";
  return CurTenant();
}

// Captures every line gls logs (gls::SetLogSink) for its lifetime and restores
// the previous sink on destruction. Lines may come from any thread. (A
// std::mutex, which ThreadSanitizer sees through; see tsan_notification.h.)
class LogCapture {
 public:
  LogCapture()
      : previous_(SetLogSink([this](absl::string_view line) {
          std::lock_guard<std::mutex> lock(mu_);
          lines_.emplace_back(line);
        })) {}
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  ~LogCapture() { SetLogSink(std::move(previous_)); }

  // The lines captured so far, oldest first.
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;  // guarded by mu_
  LogSink previous_;
};

}  // namespace testing
}  // namespace gls

#endif  // GLS_TESTS_SESSION_TEST_UTIL_H_
