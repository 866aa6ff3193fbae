// benchmarks/scale_flags.h
//
// scale_benchmark's command line: Abseil flags (defined in scale_flags.cc)
// and ScaleOptions, their checked values.
//
//   --modes=plain,manual-propagate,gls  modes of the load phase (plain is
//                              always run; the growth phase runs
//                              manual-propagate and gls)
//   --concurrency=64,256       calls in flight in the load phase, one run per
//                              value
//   --rounds=12 --slice_ms=200 --warmup_ms=300   load phase
//   --interleave=slice         load phase: each mode alone for slice_ms per
//                              round, or rpc: every slot of the closed loop
//                              calls the modes in turn, one call each
//   --growth_values=0,1,8,64   growth by persistent values (16 B each)
//   --growth_sizes=16,256,1024,2048   growth by the size of one value
//   --growth_concurrency=16 --growth_rounds=8
//   --in_flight=1000           memory phase: requests held by the leaf (0:
//                              no memory phase)
//   --memory_runs=3            processes per mode of the memory phase
//   --json=PATH                also write the figures as JSON
//
// Example:
//
//   const gls_bench::ScaleOptions options =
//       gls_bench::ParseScaleFlags(argc, argv);

#ifndef GLS_BENCHMARKS_SCALE_FLAGS_H_
#define GLS_BENCHMARKS_SCALE_FLAGS_H_

#include <optional>
#include <string>
#include <vector>

#include "gls/benchmarks/chain_mode.h"

namespace gls_bench {

struct ScaleOptions {
  // Modes of the load phase; modes[0] is always plain.
  std::vector<Mode> modes = {Mode::kPlain, Mode::kManualPropagate, Mode::kGls};
  std::vector<int> concurrency = {64, 256};
  int rounds = 12;
  int slice_ms = 200;
  int warmup_ms = 300;
  // Load phase interleaved by RPC (--interleave=rpc) instead of by slice.
  bool interleave_rpcs = false;
  std::vector<int> growth_values = {0, 1, 8, 64};
  std::vector<int> growth_sizes = {16, 256, 1024, 2048};
  int growth_concurrency = 16;
  int growth_rounds = 8;
  int in_flight = 1000;
  int memory_runs = 3;
  std::string json;
  // Set in the child processes of the memory phase: the one mode to measure.
  std::optional<Mode> memory_mode;
};

// Parses the command line and checks the values; a bad value prints the
// problem and the usage line and exits with status 2 (Abseil's parser exits
// with status 1 on an unknown flag or a value of the wrong type).
ScaleOptions ParseScaleFlags(int argc, char** argv);

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_SCALE_FLAGS_H_
