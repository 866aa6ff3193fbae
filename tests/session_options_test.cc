// Unit tests of gls/session/session_options.h: the options' rules and
// CLOUDWEGO_SESSION_CONFIG_KEY parsing, strict, lenient and from the
// environment.
#include "gls/session/session_options.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gls/session/log.h"
#include "gls/tests/session_test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::testing::LogCapture;

// Tests that the defaults are those of semantics.md.
TEST(SessionOptionsTest, Defaults) {
  SessionOptions o;
  EXPECT_FALSE(o.async);
  EXPECT_EQ(o.shard_number, 100);
  EXPECT_EQ(o.gc_interval, absl::Minutes(10));
}

// Tests that the seed's example parses and that every field is optional.
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

// True if every character of `text` is printable ASCII.
bool IsPrintableAscii(absl::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Tests that a huge bad value makes a short line naming its length, in the
// strict form and in the log line of the environment form.
TEST(SessionOptionsTest, HugeBadValueIsCutAndItsLengthGiven) {
  const std::string huge(1 << 20, 'z');
  auto o = ParseSessionConfig(absl::StrCat(",", huge), SessionOptions());
  ASSERT_FALSE(o.ok());
  const std::string message(o.status().message());
  EXPECT_LT(message.size(), 400u) << message.substr(0, 1000);
  EXPECT_TRUE(
      absl::StrContains(message, "field 2 (shard_number): bad value \"zzzz"))
      << message.substr(0, 1000);
  EXPECT_TRUE(absl::StrContains(
      message,
      "zzz...\" (1048576 bytes; expected an integer in [1, 65536]); using 100"))
      << message.substr(0, 1000);

  LogCapture log;
  ASSERT_EQ(setenv(kSessionConfigEnv, absl::StrCat("true,,", huge).c_str(), 1),
            0);
  SessionOptions from_env = SessionOptionsFromEnvironment(SessionOptions());
  unsetenv(kSessionConfigEnv);
  const std::vector<std::string> lines = log.lines();
  EXPECT_TRUE(from_env.async);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_LT(lines[0].size(), 400u) << lines[0].substr(0, 1000);
  EXPECT_TRUE(absl::StrContains(lines[0], "field 3 (gc_interval)"))
      << lines[0].substr(0, 1000);
  EXPECT_TRUE(
      absl::StrContains(lines[0], "(1048576 bytes; expected a duration"))
      << lines[0].substr(0, 1000);
}

// Tests that control and non-UTF-8 bytes are escaped, never logged raw.
TEST(SessionOptionsTest, BadValueBytesAreEscaped) {
  std::vector<std::string> errors;
  ApplySessionConfig(std::string("a\x01\n\xff\"\\b\0c,7", 9), SessionOptions(),
                     &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "CLOUDWEGO_SESSION_CONFIG_KEY field 1 (async): bad value "
            "\"a\\001\\n\\377\\\"\\\\b\\000c\" (expected true or false); "
            "using false");
  EXPECT_TRUE(IsPrintableAscii(errors[0])) << errors[0];
}

// Tests that a value with many commas is reported in one line: what follows
// the third comma is one extra field.
TEST(SessionOptionsTest, ManyExtraFieldsMakeOneLine) {
  std::string text = "true,1,1h";
  for (int i = 0; i < 100000; ++i) text += ",x";
  std::vector<std::string> errors;
  SessionOptions o = ApplySessionConfig(text, SessionOptions(), &errors);
  EXPECT_TRUE(o.async);
  EXPECT_EQ(o.shard_number, 1);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_LT(errors[0].size(), 400u);
  EXPECT_TRUE(
      absl::StrContains(errors[0], "field 4 (extra): bad value \"x,x,x,"))
      << errors[0];
  EXPECT_TRUE(absl::StrContains(errors[0], "(199999 bytes; ")) << errors[0];

  errors.clear();
  ApplySessionConfig("true,1,1h, , ,", SessionOptions(), &errors);
  EXPECT_TRUE(errors.empty());  // empty extra fields are ignored, as before
}

// Tests that the environment overrides code and bad fields are logged once.
TEST(SessionOptionsTest, EnvironmentOverridesCodeAndLogs) {
  LogCapture log;
  SessionOptions code;
  code.shard_number = 5;
  ASSERT_EQ(setenv(kSessionConfigEnv, "false,nope,2m", 1), 0);
  SessionOptions o = SessionOptionsFromEnvironment(code);
  unsetenv(kSessionConfigEnv);
  const std::vector<std::string> lines = log.lines();
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
