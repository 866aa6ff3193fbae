#include "gls/session/internal/inheritors.h"

#include <algorithm>
#include <cstddef>
#include <string>

#include "absl/strings/str_cat.h"
#include "gls/session/internal/mutex_lock.h"
#include "gls/session/log.h"
#include "gls/session/stats.h"

namespace gls {
namespace session_internal {

void Inheritors::Add(int64_t tid) {
  MutexLock lock(&mu_);
  alive_.push_back(tid);
}

void Inheritors::Remove(int64_t tid) {
  MutexLock lock(&mu_);
  auto it = std::find(alive_.begin(), alive_.end(), tid);
  if (it != alive_.end()) alive_.erase(it);
}

void Inheritors::WarnAlive(const Context& context) {
  std::vector<int64_t> alive;
  {
    MutexLock lock(&mu_);
    alive = alive_;
  }
  if (alive.empty()) return;
  stats_internal::Add(stats_internal::Counter::kInheritanceWarnings);
  constexpr size_t kMaxNamed = 8;
  std::string tids;
  for (size_t i = 0; i < alive.size() && i < kMaxNamed; ++i) {
    absl::StrAppend(&tids, i == 0 ? "" : ", ", alive[i]);
  }
  if (alive.size() > kMaxNamed) {
    absl::StrAppend(&tids, " and ", alive.size() - kMaxNamed, " more");
  }
  LogError(absl::StrCat(
      "async=true: request ",
      QuoteForLog(context.method().empty() ? "(no method)" : context.method()),
      " ended while ", alive.size(),
      " thread(s) that inherited its session were still running (thread ", tids,
      "). While it was in flight, everything those threads ran saw its "
      "values, tasks of other requests included. Start long-lived threads "
      "under gls::NoInheritScope, or carry sessions explicitly (gls::Go, "
      "gls::Wrap, gls::ThreadPool)."));
}

}  // namespace session_internal
}  // namespace gls
