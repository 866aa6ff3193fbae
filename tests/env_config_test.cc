// Tests how CLOUDWEGO_SESSION_CONFIG_KEY reaches the default session manager:
// read once, when an enabled server creates the manager, over the server's
// options; never by enable=false or by plain BindSession use. Each case runs
// in a child process (the default manager is created once per process).
#include <cstdlib>

#include "gls/interceptors/server_interceptor.h"
#include "gls/session/session_manager.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

// Exits 0 if `ok`, else 1 (for EXPECT_EXIT).
void ExitWith(bool ok) { std::_Exit(ok ? 0 : 1); }

// Tests that an enabled server reads the variable over its own options, that
// enable=false reads nothing, and that the variable is read only once.
TEST(EnvConfigTest, EnabledServerReadsItOnce) {
  EXPECT_EXIT(
      {
        setenv(kSessionConfigEnv, "false,7,2h", 1);
        auto disabled = server::WithContextBackup(false, true);  // no manager
        setenv(kSessionConfigEnv, " false , 7 , 2h ", 1);
        auto enabled = server::WithContextBackup(true, /*async=*/true);
        const SessionOptions& o = SessionManager::Default().options();
        bool ok =
            !o.async && o.shard_number == 7 && o.gc_interval == absl::Hours(2);
        setenv(kSessionConfigEnv, "true,9,1h", 1);
        auto again = server::WithContextBackup(true, true);  // read once
        const SessionOptions& p = SessionManager::Default().options();
        ok = ok && !p.async && p.shard_number == 7;
        ExitWith(ok);
      },
      ::testing::ExitedWithCode(0), "");
}

// Tests that the code's value stays where the variable leaves a field empty.
TEST(EnvConfigTest, EmptyFieldKeepsCodeValue) {
  EXPECT_EXIT(
      {
        setenv(kSessionConfigEnv, ",3", 1);
        auto enabled = server::WithContextBackup(true, /*async=*/true);
        const SessionOptions& o = SessionManager::Default().options();
        ExitWith(o.async && o.shard_number == 3 &&
                 o.gc_interval == absl::Minutes(10));
      },
      ::testing::ExitedWithCode(0), "");
}

// Tests that using sessions without an enabled server never reads it.
TEST(EnvConfigTest, PlainUseDoesNotReadIt) {
  EXPECT_EXIT(
      {
        setenv(kSessionConfigEnv, "true,7,2h", 1);
        BindSession(Session(Context().WithPersistent("A", "a")));
        const SessionOptions& o = SessionManager::Default().options();
        ExitWith(!o.async && o.shard_number == 100);
      },
      ::testing::ExitedWithCode(0), "");
}

// Tests that a bad variable never stops the process: the server starts with
// the good fields applied and one line per bad field.
TEST(EnvConfigTest, BadValueIsLoggedNotFatal) {
  EXPECT_EXIT(
      {
        setenv(kSessionConfigEnv, "maybe,0,1ms", 1);
        auto enabled = server::WithContextBackup(true, false);
        const SessionOptions& o = SessionManager::Default().options();
        ExitWith(!o.async && o.shard_number == 100 &&
                 o.gc_interval == absl::Minutes(10));
      },
      ::testing::ExitedWithCode(0),
      "field 1 \\(async\\): bad value \"maybe\"(.|\n)*field 2 "
      "\\(shard_number\\): bad value \"0\"(.|\n)*field 3 \\(gc_interval\\): "
      "bad value \"1ms\"");
}

}  // namespace
}  // namespace gls
