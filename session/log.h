// gls/session/log.h
//
// The library's one logging entry point. Every error the library reports (a bad
// field of CLOUDWEGO_SESSION_CONFIG_KEY, metadata a BackupHandler produced that
// gRPC would reject, a BackupHandler that threw) goes through `LogError`, one
// line per event. By default the line goes to stderr prefixed with "gls: ";
// programs route it into their own logging with `SetLogSink`.
//
// Example:
//
//   gls::SetLogSink([](absl::string_view line) { MyLogger().Error(line); });
//
// Thread-safety: all functions here are thread-safe.

#ifndef GLS_SESSION_LOG_H_
#define GLS_SESSION_LOG_H_

#include <functional>

#include "absl/strings/string_view.h"

namespace gls {

// Receives one complete log line, without a trailing newline.
using LogSink = std::function<void(absl::string_view line)>;

// Replaces the sink; an empty function restores the default (stderr). Returns
// the previous sink so tests can restore it.
LogSink SetLogSink(LogSink sink);

// Writes `line` to the current sink.
void LogError(absl::string_view line);

}  // namespace gls

#endif  // GLS_SESSION_LOG_H_
