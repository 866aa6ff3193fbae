#include "gls/session/log.h"

#include <cstdio>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/internal/mutex_lock.h"

namespace gls {
namespace {

absl::Mutex& SinkMutex() {
  static absl::Mutex* mu = new absl::Mutex();
  return *mu;
}

// Guarded by SinkMutex(); never destroyed so logging works during exit.
LogSink& Sink() {
  static LogSink* sink = new LogSink();
  return *sink;
}

}  // namespace

LogSink SetLogSink(LogSink sink) {
  session_internal::MutexLock lock(&SinkMutex());
  return std::exchange(Sink(), std::move(sink));
}

void LogError(absl::string_view line) {
  session_internal::MutexLock lock(&SinkMutex());
  if (Sink()) {
    Sink()(line);
    return;
  }
  std::string text = "gls: ";
  text.append(line.data(), line.size());
  text.push_back('\n');
  std::fwrite(text.data(), 1, text.size(), stderr);
}

std::string EscapeForLog(absl::string_view text, bool* truncated,
                         std::size_t max_chars) {
  std::string out;
  bool cut = false;
  // absl::CEscape escapes each byte on its own (octal escapes always have
  // three digits), so escaping byte by byte gives the same text and lets the
  // cut fall between two escape sequences.
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string piece = absl::CEscape(text.substr(i, 1));
    if (out.size() + piece.size() > max_chars) {
      cut = true;
      break;
    }
    out += piece;
  }
  if (cut) out += "...";
  if (truncated != nullptr) *truncated = cut;
  return out;
}

std::string QuoteForLog(absl::string_view text) {
  bool truncated = false;
  std::string escaped = EscapeForLog(text, &truncated);
  if (!truncated) return absl::StrCat("\"", escaped, "\"");
  return absl::StrCat("\"", escaped, "\" (", text.size(), " bytes)");
}

}  // namespace gls
