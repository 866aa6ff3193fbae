// benchmarks/flag_checks.h
//
// The command-line checks the benchmark programs share: parsing with --help
// limited to the program's own flags file, and checks of flag values that
// print the error with the program's usage line and exit with status 2.
//
// Example:
//
//   const gls_bench::FlagChecks checks("rpc_benchmark", kUsage);
//   checks.Parse(argc, argv, "benchmarks/rpc_flags.cc", "what it measures");
//   options.rounds = checks.AtLeast("rounds", absl::GetFlag(FLAGS_rounds), 1);
//
// Thread-safety: thread-compatible (used once, at startup, from main).

#ifndef GLS_BENCHMARKS_FLAG_CHECKS_H_
#define GLS_BENCHMARKS_FLAG_CHECKS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gls/benchmarks/chain_mode.h"

namespace gls_bench {

class FlagChecks {
 public:
  // `program` prefixes errors; `usage` is the usage line printed after them.
  FlagChecks(std::string program, std::string usage)
      : program_(std::move(program)), usage_(std::move(usage)) {}

  // Parses the command line. --help lists the flags of the file whose path
  // ends in `flags_file` (Abseil lists only those of files named after the
  // program by default), under `about` and the usage line. A positional
  // argument is an error.
  void Parse(int argc, char** argv, absl::string_view flags_file,
             absl::string_view about) const;

  // Prints "<program>: <error>" and the usage line; exits with status 2.
  [[noreturn]] void Fail(const std::string& error) const;
  // `value`, if at least `min`; else Fail naming --`flag`.
  int AtLeast(absl::string_view flag, int value, int min) const;
  // `texts` as integers in [min, max] (not empty); else Fail naming --`flag`.
  std::vector<int> IntList(absl::string_view flag,
                           const std::vector<std::string>& texts, int min,
                           int max) const;
  // --interleave: true for "rpc", false for "slice"; else Fail.
  bool InterleaveRpcs(absl::string_view value) const;
  // The mode named `name`; else Fail.
  Mode ModeNamed(absl::string_view name) const;
  // kPlain, then the modes named in `names` other than plain (not empty:
  // "--modes=" names no mode).
  std::vector<Mode> Modes(const std::vector<std::string>& names) const;

 private:
  const std::string program_;
  const std::string usage_;
};

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_FLAG_CHECKS_H_
