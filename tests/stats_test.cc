// Unit tests of gls/session/stats.h: the process-wide counters (summed over
// live and exited threads), their line format, the trace log and its
// GLS_TRACE switch, and the counting of environment errors.
#include "gls/session/stats.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gls/session/log.h"
#include "gls/session/session_options.h"
#include "gls/tests/session_test_util.h"
#include "gls/tests/tsan_notification.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::stats_internal::Add;
using ::gls::stats_internal::Counter;
using ::gls::testing::LogCapture;

constexpr int kCounters = static_cast<int>(Counter::kCount);

// The snapshot's fields in Counter order.
std::vector<uint64_t> Values(const StatsSnapshot& s) {
  return {s.requests_bound,         s.backups_applied,
          s.values_restored,        s.dropped_by_budget,
          s.dropped_by_list,        s.dropped_invalid,
          s.handler_errors,         s.environment_errors,
          s.inheritance_warnings,   s.cancellations_propagated,
          s.backward_values_carried};
}

// after - before, field by field.
std::vector<uint64_t> Delta(const StatsSnapshot& before,
                            const StatsSnapshot& after) {
  std::vector<uint64_t> b = Values(before), a = Values(after);
  std::vector<uint64_t> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

// Sets an environment variable for its lifetime and then restores it (or
// unsets it), so no test leaks a value into the next one.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    if (old_.has_value()) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* const name_;
  std::optional<std::string> old_;
};

// Tests that the snapshot has one field per counter, in Counter order.
TEST(StatsTest, OneFieldPerCounter) {
  EXPECT_EQ(Values(StatsSnapshot()).size(), static_cast<size_t>(kCounters));
  const StatsSnapshot before = GetStats();
  for (int i = 0; i < kCounters; ++i) Add(static_cast<Counter>(i), i + 1);
  const std::vector<uint64_t> delta = Delta(before, GetStats());
  for (int i = 0; i < kCounters; ++i) {
    EXPECT_EQ(delta[i], static_cast<uint64_t>(i + 1)) << "counter " << i;
  }
}

// Tests that counts from many threads sum exactly: threads that exited before
// the snapshot, threads still running, and the calling thread.
TEST(StatsTest, CountsFromManyThreadsSumExactly) {
  constexpr int kExited = 8;
  constexpr int kLive = 4;
  constexpr int kAdds = 10000;
  const StatsSnapshot before = GetStats();

  std::vector<std::thread> exited;
  for (int t = 0; t < kExited; ++t) {
    exited.emplace_back([] {
      for (int i = 0; i < kAdds; ++i) Add(Counter::kValuesRestored);
      Add(Counter::kDroppedByBudget, 3);
    });
  }
  for (std::thread& t : exited) t.join();

  std::vector<testing::Notification> counted(kLive);
  testing::Notification release;
  std::vector<std::thread> live;
  for (int t = 0; t < kLive; ++t) {
    live.emplace_back([&counted, &release, t] {
      for (int i = 0; i < kAdds; ++i) Add(Counter::kValuesRestored);
      Add(Counter::kRequestsBound, 2);
      counted[t].Notify();
      release.WaitForNotification();
    });
  }
  for (testing::Notification& n : counted) n.WaitForNotification();
  Add(Counter::kValuesRestored, 5);

  const std::vector<uint64_t> delta = Delta(before, GetStats());
  release.Notify();
  for (std::thread& t : live) t.join();

  std::vector<uint64_t> expected(kCounters, 0);
  expected[static_cast<int>(Counter::kValuesRestored)] =
      uint64_t{kExited + kLive} * kAdds + 5;
  expected[static_cast<int>(Counter::kDroppedByBudget)] = 3 * kExited;
  expected[static_cast<int>(Counter::kRequestsBound)] = 2 * kLive;
  EXPECT_EQ(delta, expected);

  // Once the live threads exit, their counts are in the retired totals:
  // nothing lost, nothing counted twice.
  EXPECT_EQ(Delta(before, GetStats()), expected);
}

// Tests that a snapshot is never below an earlier one while threads count
// and exit concurrently.
TEST(StatsTest, GetStatsIsMonotone) {
  constexpr int kThreads = 4;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&done] {
      for (int round = 0; round < 20; ++round) {
        std::thread inner([] {
          for (int i = 0; i < 500; ++i) {
            Add(Counter::kBackupsApplied);
            Add(Counter::kBackwardValuesCarried, 2);
          }
        });
        inner.join();
      }
      done.fetch_add(1);
    });
  }
  std::vector<uint64_t> last = Values(GetStats());
  // Snapshots until every counting thread is done (and at least 100).
  for (int i = 0; i < 100 || done.load() < kThreads; ++i) {
    const std::vector<uint64_t> now = Values(GetStats());
    for (int c = 0; c < kCounters; ++c) {
      ASSERT_GE(now[c], last[c]) << "counter " << c << " at snapshot " << i;
    }
    last = now;
  }
  for (std::thread& t : threads) t.join();
}

// Tests that the line names every field, in order, with its value.
TEST(StatsTest, FormatStatsNamesEveryField) {
  StatsSnapshot s;
  s.requests_bound = 3;
  s.backups_applied = 2;
  s.values_restored = 4;
  s.dropped_by_budget = 5;
  s.dropped_by_list = 6;
  s.dropped_invalid = 7;
  s.handler_errors = 8;
  s.environment_errors = 9;
  s.inheritance_warnings = 10;
  s.cancellations_propagated = 11;
  s.backward_values_carried = 12;
  EXPECT_EQ(FormatStats(s),
            "requests_bound=3 backups_applied=2 values_restored=4 "
            "dropped_by_budget=5 dropped_by_list=6 dropped_invalid=7 "
            "handler_errors=8 environment_errors=9 inheritance_warnings=10 "
            "cancellations_propagated=11 backward_values_carried=12");
  EXPECT_EQ(FormatStats(StatsSnapshot()),
            "requests_bound=0 backups_applied=0 values_restored=0 "
            "dropped_by_budget=0 dropped_by_list=0 dropped_invalid=0 "
            "handler_errors=0 environment_errors=0 inheritance_warnings=0 "
            "cancellations_propagated=0 backward_values_carried=0");
}

// Tests that tracing is off by default (the tests run without GLS_TRACE) and
// that a trace line then writes nothing.
TEST(StatsTest, TraceOffByDefaultWritesNothing) {
  if (std::getenv(kTraceEnvVar) != nullptr) {
    GTEST_SKIP() << kTraceEnvVar << " is set in the test's environment";
  }
  LogCapture log;
  EXPECT_FALSE(stats_internal::TraceEnabled());
  stats_internal::Trace("bound request");
  EXPECT_TRUE(log.lines().empty());
}

// Tests that with tracing on, Trace writes one line through the log sink,
// prefixed "trace: ", and that turning it off again silences it.
TEST(StatsTest, TraceWritesOneLineThroughTheSink) {
  const bool was_on = stats_internal::TraceEnabled();
  LogCapture log;
  stats_internal::SetTraceEnabledForTest(true);
  EXPECT_TRUE(stats_internal::TraceEnabled());
  stats_internal::Trace("bound /pkg.Svc/Method");
  stats_internal::SetTraceEnabledForTest(false);
  EXPECT_FALSE(stats_internal::TraceEnabled());
  stats_internal::Trace("not written");
  stats_internal::SetTraceEnabledForTest(was_on);
  EXPECT_EQ(log.lines(),
            std::vector<std::string>{"trace: bound /pkg.Svc/Method"});
}

// Tests the values GLS_TRACE accepts, in any case and with spaces around.
TEST(StatsTest, ParseTraceFlagAcceptsOnAndOffValues) {
  for (const char* value :
       {"1", "true", "TRUE", "True", "yes", "YES", "on", "On", " 1 "}) {
    bool on = false;
    absl::Status status = stats_internal::ParseTraceFlag(value, &on);
    EXPECT_TRUE(status.ok()) << value << ": " << status;
    EXPECT_TRUE(on) << value;
  }
  for (const char* value :
       {"", " ", "0", "false", "FALSE", "no", "No", "off", "OFF", "\t0\n"}) {
    bool on = true;
    absl::Status status = stats_internal::ParseTraceFlag(value, &on);
    EXPECT_TRUE(status.ok()) << value << ": " << status;
    EXPECT_FALSE(on) << value;
  }
}

// Tests that a bad value is an error naming the variable and the quoted value
// (cut when huge), and leaves tracing off.
TEST(StatsTest, ParseTraceFlagRejectsOtherValues) {
  for (const char* value : {"2", "maybe", "onn", "t", "y", "enable", "-1"}) {
    bool on = true;
    absl::Status status = stats_internal::ParseTraceFlag(value, &on);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << value;
    EXPECT_FALSE(on) << value;
    EXPECT_TRUE(absl::StrContains(status.message(), "GLS_TRACE")) << status;
    EXPECT_TRUE(
        absl::StrContains(status.message(), absl::StrCat("\"", value, "\"")))
        << status;
  }
  bool on = true;
  const std::string huge(1 << 20, 'x');
  absl::Status status = stats_internal::ParseTraceFlag(huge, &on);
  EXPECT_FALSE(status.ok());
  EXPECT_FALSE(on);
  EXPECT_LT(status.message().size(), 400u);
  EXPECT_TRUE(absl::StrContains(status.message(), "(1048576 bytes)"))
      << status.message().substr(0, 400);
}

// Tests that reading a bad GLS_TRACE logs one line naming it and counts one
// environment error, and that a good one logs and counts nothing.
TEST(StatsTest, BadTraceVariableIsLoggedAndCounted) {
  // Settle TraceEnabled()'s one read of the variable first, so it cannot
  // happen while this test's value is set.
  const bool was_on = stats_internal::TraceEnabled();
  {
    LogCapture log;
    const StatsSnapshot before = GetStats();
    bool on;
    {
      ScopedEnv env(kTraceEnvVar, "verbose");
      on = stats_internal::TraceFlagFromEnvironment();
    }
    EXPECT_FALSE(on);
    EXPECT_EQ(GetStats().environment_errors - before.environment_errors, 1u);
    const std::vector<std::string> lines = log.lines();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_TRUE(absl::StrContains(lines[0], "GLS_TRACE")) << lines[0];
    EXPECT_TRUE(absl::StrContains(lines[0], "\"verbose\"")) << lines[0];
  }
  {
    LogCapture log;
    const StatsSnapshot before = GetStats();
    bool on;
    {
      ScopedEnv env(kTraceEnvVar, "yes");
      on = stats_internal::TraceFlagFromEnvironment();
    }
    EXPECT_TRUE(on);
    EXPECT_EQ(GetStats().environment_errors, before.environment_errors);
    EXPECT_TRUE(log.lines().empty());
  }
  // Reading the variable again does not change the process's switch.
  EXPECT_EQ(stats_internal::TraceEnabled(), was_on);
}

// Tests that every bad field of CLOUDWEGO_SESSION_CONFIG_KEY that is logged
// is also counted, once.
TEST(StatsTest, BadSessionConfigFieldsAreCounted) {
  LogCapture log;
  const StatsSnapshot before = GetStats();
  {
    ScopedEnv env(kSessionConfigEnv, "maybe,0,1ms");
    SessionOptionsFromEnvironment(SessionOptions());
  }
  const StatsSnapshot after = GetStats();
  EXPECT_EQ(log.lines().size(), 3u);
  EXPECT_EQ(after.environment_errors - before.environment_errors, 3u);

  {
    ScopedEnv env(kSessionConfigEnv, "true,7,2h");
    SessionOptionsFromEnvironment(SessionOptions());
  }
  EXPECT_EQ(GetStats().environment_errors, after.environment_errors);
  EXPECT_EQ(log.lines().size(), 3u);
}

}  // namespace
}  // namespace gls
