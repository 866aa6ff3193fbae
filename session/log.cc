#include "gls/session/log.h"

#include <cstdio>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
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

}  // namespace gls
