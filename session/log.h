// gls/session/log.h
//
// The library's one logging entry point. Every error the library reports (a bad
// field of CLOUDWEGO_SESSION_CONFIG_KEY, metadata a BackupHandler produced that
// gRPC would reject, a BackupHandler that threw) goes through `LogError`, one
// line per event. By default the line goes to stderr prefixed with "gls: ";
// programs route it into their own logging with `SetLogSink`. The opt-in trace
// log (GLS_TRACE, see stats.h) writes through the same sink; its lines start
// with "trace: ", so a sink can tell them from errors.
//
// Text that comes from outside (an environment variable, a header) is quoted
// with `QuoteForLog`, so a huge or binary value cannot make a huge or
// unprintable log line.
//
// Example:
//
//   gls::SetLogSink([](absl::string_view line) { MyLogger().Error(line); });
//   gls::LogError(absl::StrCat("bad value ", gls::QuoteForLog(value)));
//   // bad value "abc"   or   bad value "zzzz..." (1048576 bytes)
//
// Thread-safety: all functions here are thread-safe.

#ifndef GLS_SESSION_LOG_H_
#define GLS_SESSION_LOG_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace gls {

// Receives one complete log line, without a trailing newline.
using LogSink = std::function<void(absl::string_view line)>;

// Replaces the sink; an empty function restores the default (stderr). Returns
// the previous sink so tests can restore it.
LogSink SetLogSink(LogSink sink);

// Writes `line` to the current sink.
void LogError(absl::string_view line);

// How many characters of escaped text EscapeForLog keeps, "..." excluded.
inline constexpr std::size_t kMaxLoggedTextChars = 200;

// Returns `text` C-escaped as absl::CEscape does (control, quote, backslash
// and non-ASCII bytes become escape sequences, so the result is printable
// ASCII). If that is longer than `max_chars`, keeps only the escape sequences
// that fit whole in `max_chars` and appends "...", and sets `*truncated` (if
// not null) to true; otherwise sets it to false. Reads at most `max_chars`
// bytes of `text`, whatever its size.
std::string EscapeForLog(absl::string_view text, bool* truncated = nullptr,
                         std::size_t max_chars = kMaxLoggedTextChars);

// `text` quoted for a log line: "<EscapeForLog(text)>", followed by
// " (<size> bytes)" when it was cut. E.g. "zero", or "zzzz..." (1048576 bytes).
std::string QuoteForLog(absl::string_view text);

}  // namespace gls

#endif  // GLS_SESSION_LOG_H_
