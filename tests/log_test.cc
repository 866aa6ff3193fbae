// Unit tests of gls/session/log.h: the log sink and the quoting of outside
// text for log lines.
#include "gls/session/log.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gls/tests/session_test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

// Tests that SetLogSink routes LogError's lines and returns the sink it
// replaced.
TEST(LogTest, SetLogSinkReturnsThePreviousSink) {
  std::vector<std::string> first, second;
  LogSink original =
      SetLogSink([&](absl::string_view line) { first.emplace_back(line); });
  LogError("one");
  LogSink replaced =
      SetLogSink([&](absl::string_view line) { second.emplace_back(line); });
  LogError("two");
  ASSERT_TRUE(replaced);
  replaced("three");  // the sink SetLogSink returned is the first one
  SetLogSink(std::move(original));
  EXPECT_EQ(first, (std::vector<std::string>{"one", "three"}));
  EXPECT_EQ(second, (std::vector<std::string>{"two"}));
}

// Tests that LogCapture (session_test_util.h) sees every line while it lives
// and restores the sink it replaced.
TEST(LogTest, LogCaptureRestoresThePreviousSink) {
  std::vector<std::string> outer;
  LogSink original =
      SetLogSink([&](absl::string_view line) { outer.emplace_back(line); });
  {
    testing::LogCapture log;
    LogError("captured");
    EXPECT_EQ(log.lines(), (std::vector<std::string>{"captured"}));
  }
  LogError("after");
  SetLogSink(std::move(original));
  EXPECT_EQ(outer, (std::vector<std::string>{"after"}));
}

// Tests that the cut is never inside an escape sequence, "..." only when cut.
TEST(LogTest, EscapeForLogCutsBetweenEscapeSequences) {
  bool truncated = true;
  EXPECT_EQ(EscapeForLog("ab\n", &truncated), "ab\\n");
  EXPECT_FALSE(truncated);

  // 196 bytes + one 4-character escape fill the 200 characters exactly.
  std::string fits = std::string(196, 'a') + "\xff";
  EXPECT_EQ(EscapeForLog(fits, &truncated), std::string(196, 'a') + "\\377");
  EXPECT_FALSE(truncated);
  EXPECT_EQ(QuoteForLog(fits), "\"" + std::string(196, 'a') + "\\377\"");

  // One more byte: the escape no longer fits whole and is left out.
  std::string over = std::string(197, 'a') + "\xff";
  EXPECT_EQ(EscapeForLog(over, &truncated), std::string(197, 'a') + "...");
  EXPECT_TRUE(truncated);
  EXPECT_EQ(QuoteForLog(over),
            "\"" + std::string(197, 'a') + "...\" (198 bytes)");

  std::string escapes(1000, '\x7f');  // every byte escapes to 4 characters
  std::string cut = EscapeForLog(escapes, &truncated);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(cut.size(), 200u + 3u);
  EXPECT_EQ(cut.substr(196), "\\177...");
  EXPECT_EQ(EscapeForLog("", &truncated), "");
  EXPECT_FALSE(truncated);
}

}  // namespace
}  // namespace gls
