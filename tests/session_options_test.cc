#include "gls/session/session_options.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gls/session/log.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

// Tests the defaults of semantics.md.
TEST(SessionOptionsTest, Defaults) {
  SessionOptions o;
  EXPECT_FALSE(o.async);
  EXPECT_EQ(o.shard_number, 100);
  EXPECT_EQ(o.gc_interval, absl::Minutes(10));
}

// Tests the seed's example and that every field is optional.
TEST(SessionOptionsTest, ParsesFieldsOverCode) {
  auto o = ParseSessionConfig("true,10,1h", SessionOptions());
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->async);
  EXPECT_EQ(o->shard_number, 10);
  EXPECT_EQ(o->gc_interval, absl::Hours(1));

  SessionOptions code;
  code.async = true;
  code.shard_number = 7;
  o = ParseSessionConfig(",,90s", code);
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->async);
  EXPECT_EQ(o->shard_number, 7);
  EXPECT_EQ(o->gc_interval, absl::Seconds(90));

  o = ParseSessionConfig("", code);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->shard_number, 7);

  o = ParseSessionConfig("false", code);  // Go ignores "false"; we do not.
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(o->async);

  o = ParseSessionConfig(" true , 3 , 1h30m ", SessionOptions());  // trimmed
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->async);
  EXPECT_EQ(o->shard_number, 3);
  EXPECT_EQ(o->gc_interval, absl::Minutes(90));
}

// Tests that each bad field is reported and the rest still applies.
TEST(SessionOptionsTest, BadFieldsAreReportedNotFatal) {
  const char* bad[] = {"maybe",   ",0",    ",-3",        ",abc",
                       ",100000", ",,1s",  ",,500ms",    ",,-1h",
                       ",,soon",  ",,inf", "true,1,1h,x"};
  for (const char* text : bad) {
    auto o = ParseSessionConfig(text, SessionOptions());
    EXPECT_FALSE(o.ok()) << text;
    EXPECT_TRUE(absl::StrContains(o.status().message(), kSessionConfigEnv))
        << o.status();
  }
  std::vector<std::string> errors;
  SessionOptions o =
      ApplySessionConfig("true,zero,2h", SessionOptions(), &errors);
  EXPECT_TRUE(o.async);
  EXPECT_EQ(o.shard_number, 100);
  EXPECT_EQ(o.gc_interval, absl::Hours(2));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "CLOUDWEGO_SESSION_CONFIG_KEY field 2 (shard_number): bad value "
            "\"zero\" (expected an integer in [1, 65536]); using 100");
}

// Tests that the environment overrides code and bad fields are logged once.
TEST(SessionOptionsTest, EnvironmentOverridesCodeAndLogs) {
  std::vector<std::string> lines;
  LogSink old =
      SetLogSink([&](absl::string_view line) { lines.emplace_back(line); });
  SessionOptions code;
  code.shard_number = 5;
  ASSERT_EQ(setenv(kSessionConfigEnv, "false,nope,2m", 1), 0);
  SessionOptions o = SessionOptionsFromEnvironment(code);
  unsetenv(kSessionConfigEnv);
  SetLogSink(std::move(old));
  EXPECT_FALSE(o.async);
  EXPECT_EQ(o.shard_number, 5);
  EXPECT_EQ(o.gc_interval, absl::Minutes(2));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StrContains(lines[0], "\"nope\"")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[0], "using 5")) << lines[0];

  EXPECT_EQ(SessionOptionsFromEnvironment(code).shard_number, 5);  // unset
}

}  // namespace
}  // namespace gls
