// benchmarks/rpc_flags.cc
//
// rpc_benchmark's flags and their checks (see rpc_flags.h).

#include "gls/benchmarks/rpc_flags.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gls/benchmarks/chain_setup.h"

ABSL_FLAG(std::vector<std::string>, modes,
          std::vector<std::string>({"plain", "manual", "gls"}),
          "modes of the throughput and latency phase, comma-separated, from "
          "plain, manual, manual-propagate, gls, noop, noop-pair (plain is "
          "always run; the allocation phase runs every mode)");
ABSL_FLAG(bool, metainfo, true,
          "whether the requests of the throughput and latency phase carry "
          "metainfo (3 persistent values, 1 transient)");
ABSL_FLAG(bool, w3c, false,
          "whether every request also carries W3C context (traceparent, "
          "tracestate, a baggage of 3 members), with or without metainfo");
ABSL_FLAG(std::vector<std::string>, concurrency,
          std::vector<std::string>({"1", "8"}),
          "client threads of the throughput and latency phase, "
          "comma-separated: one run per value");
ABSL_FLAG(int, rounds, 8, "rounds per concurrency");
ABSL_FLAG(int, slice_ms, 400, "milliseconds per mode and round");
ABSL_FLAG(int, warmup_ms, 300, "warm-up milliseconds per mode and concurrency");
ABSL_FLAG(int, alloc_rounds, 3,
          "rounds of the allocation phase (0: no allocation phase, as for "
          "counting instructions of one kind of request)");
ABSL_FLAG(int, alloc_rpcs, 1000,
          "RPCs per mode and round of the allocation phase");
ABSL_FLAG(std::string, json, "", "also write the figures as JSON to this path");

namespace gls_bench {
namespace {

constexpr char kUsage[] =
    "usage: rpc_benchmark [--modes=plain,manual,gls] [--metainfo=true] "
    "[--w3c=false] "
    "[--concurrency=1,8] [--rounds=8] [--slice_ms=400] [--warmup_ms=300] "
    "[--alloc_rounds=3] [--alloc_rpcs=1000] [--json=PATH]";

[[noreturn]] void Usage(const std::string& error) {
  std::fprintf(stderr, "rpc_benchmark: %s\n%s\n", error.c_str(), kUsage);
  std::exit(2);
}

int AtLeast(absl::string_view flag, int value, int min) {
  if (value < min) {
    Usage(absl::StrCat("bad value for --", flag, ": \"", value, "\""));
  }
  return value;
}

int Positive(absl::string_view flag, int value) {
  return AtLeast(flag, value, 1);
}

int PositiveInt(absl::string_view flag, absl::string_view text) {
  int value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < 1) {
    Usage(absl::StrCat("bad value for --", flag, ": \"", text, "\""));
  }
  return value;
}

// --help lists the flags of this file (by default Abseil lists those of files
// named after the program only).
bool IsFlagsFile(absl::string_view path) {
  return absl::EndsWith(path, "benchmarks/rpc_flags.cc");
}

}  // namespace

RpcOptions ParseRpcFlags(int argc, char** argv) {
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = IsFlagsFile;
  usage_config.contains_helpshort_flags = IsFlagsFile;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(
      absl::StrCat("the RPC-path benchmark of gls (client -> front -> leaf "
                   "over loopback; see BENCHMARKS.md)\n",
                   kUsage));
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) Usage(absl::StrCat("bad arg ", positional[1]));

  RpcOptions options;
  // Abseil parses "--modes=" as an empty list; it names no mode.
  const std::vector<std::string> modes = absl::GetFlag(FLAGS_modes);
  if (modes.empty()) Usage("unknown mode \"\"");
  options.modes = {Mode::kPlain};
  for (const std::string& name : modes) {
    const std::optional<Mode> mode = ModeFromName(name);
    if (!mode.has_value()) Usage(absl::StrCat("unknown mode \"", name, "\""));
    if (*mode != Mode::kPlain) options.modes.push_back(*mode);
  }
  options.metainfo = absl::GetFlag(FLAGS_metainfo);
  SetRequestW3c(absl::GetFlag(FLAGS_w3c));
  const std::vector<std::string> concurrency = absl::GetFlag(FLAGS_concurrency);
  if (concurrency.empty()) Usage("bad value for --concurrency: \"\"");
  options.concurrency.clear();
  for (const std::string& c : concurrency) {
    options.concurrency.push_back(PositiveInt("concurrency", c));
  }
  options.rounds = Positive("rounds", absl::GetFlag(FLAGS_rounds));
  options.slice_ms = Positive("slice_ms", absl::GetFlag(FLAGS_slice_ms));
  options.warmup_ms = Positive("warmup_ms", absl::GetFlag(FLAGS_warmup_ms));
  options.alloc_rounds =
      AtLeast("alloc_rounds", absl::GetFlag(FLAGS_alloc_rounds), 0);
  options.alloc_rpcs = Positive("alloc_rpcs", absl::GetFlag(FLAGS_alloc_rpcs));
  options.json = absl::GetFlag(FLAGS_json);
  return options;
}

}  // namespace gls_bench
