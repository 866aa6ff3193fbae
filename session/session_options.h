// gls/session/session_options.h
//
// Options of the session manager, from code and from the environment variable
// CLOUDWEGO_SESSION_CONFIG_KEY, whose format is
//
//   [async][,shard_number][,gc_interval]          e.g. "true,10,1h"
//
// Every field is optional; an empty field keeps the value given in code;
// spaces around a field are trimmed. Values from the environment override the
// values from code. The variable is read once, when the default manager is
// created, and only when a server enables backup.
//
//   field         values                               default
//   async         true/false (also 1/0, yes/no, t/f)   false
//   shard_number  integer in [1, 65536]                100
//   gc_interval   duration > 1s: 1h, 30m, 1h30m, 90s   10m
//
// A bad field never stops the process: `SessionOptionsFromEnvironment` reports
// it in one line (variable, field, bad text, value used) through gls::LogError
// and applies the rest. The bad text is C-escaped and, past about 200
// characters, cut and followed by its length in bytes; whatever follows a
// third comma is reported as one extra field. `ParseSessionConfig` is the
// strict form, for tests and programs that refuse bad configuration.
//
// Example:
//
//   gls::SessionOptions code;                // defaults
//   code.async = true;
//   absl::StatusOr<gls::SessionOptions> o =
//       gls::ParseSessionConfig(",10", code);
//   // o->async == true, o->shard_number == 10, o->gc_interval == 10m
//
// Thread-safety: SessionOptions is a plain value (thread-compatible); the
// functions are thread-safe.

#ifndef GLS_SESSION_SESSION_OPTIONS_H_
#define GLS_SESSION_SESSION_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gls {

// The environment variable read by SessionManager::InitDefault
// (`async,shards,gc_interval`).
inline constexpr char kSessionConfigEnv[] = "CLOUDWEGO_SESSION_CONFIG_KEY";

// The largest shard count accepted.
inline constexpr int kMaxShardNumber = 65536;
// GC intervals must be longer than this.
inline constexpr absl::Duration kMinGcInterval = absl::Seconds(1);

// The session manager's options. A plain value (thread-compatible). The same
// rules hold for options from code and from the environment
// (ValidateSessionOptions).
struct SessionOptions {
  // Field 0: new threads started while a session is bound see it, for as long
  // as that session is valid (see async.h). Default false.
  bool async = false;
  // Field 1: shards of the binding registry. Default 100.
  int shard_number = 100;
  // Field 2: how often GC removes bindings of ended sessions. Default 10m.
  absl::Duration gc_interval = absl::Minutes(10);
};

// Returns OK if every field is in range: shard_number in [1, 65536],
// gc_interval finite and above 1s. Otherwise InvalidArgument naming each bad
// field and its rule. The one rule for options from code and from
// CLOUDWEGO_SESSION_CONFIG_KEY.
absl::Status ValidateSessionOptions(const SessionOptions& options);

// Applies `text` (the variable's format) over `base`. Returns InvalidArgument
// naming every bad field if any field is bad.
absl::StatusOr<SessionOptions> ParseSessionConfig(absl::string_view text,
                                                  const SessionOptions& base);

// Lenient form: applies every good field of `text` over `base` and appends one
// message per bad field to `*errors` (which may be null).
SessionOptions ApplySessionConfig(absl::string_view text,
                                  const SessionOptions& base,
                                  std::vector<std::string>* errors);

// Reads CLOUDWEGO_SESSION_CONFIG_KEY (if set) over `code`, logging each bad
// field once through gls::LogError.
SessionOptions SessionOptionsFromEnvironment(const SessionOptions& code);

}  // namespace gls

#endif  // GLS_SESSION_SESSION_OPTIONS_H_
