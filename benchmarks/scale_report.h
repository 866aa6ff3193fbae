// benchmarks/scale_report.h
//
// scale_benchmark's output: the tables of its phases (scale_phases.h) on
// stdout and the same figures as JSON (read by benchmarks/summarize.py and
// benchmarks/plot_growth.py).
//
// Example:
//
//   gls_bench::PrintScale(load, growth, memory, options);
//   std::ofstream(options.json) << gls_bench::ScaleJson(load, growth, memory,
//                                                       options);
//
// Thread-safety: thread-compatible (pure functions of their arguments, but
// printing interleaves with other output).

#ifndef GLS_BENCHMARKS_SCALE_REPORT_H_
#define GLS_BENCHMARKS_SCALE_REPORT_H_

#include <string>
#include <vector>

#include "gls/benchmarks/scale_flags.h"
#include "gls/benchmarks/scale_phases.h"

namespace gls_bench {

// Prints the load, growth and memory tables (a phase that did not run is
// left out).
void PrintScale(const std::vector<ScaleLoad>& load,
                const std::vector<GrowthPoint>& growth,
                const std::vector<MemoryResult>& memory,
                const ScaleOptions& options);

// The figures as a JSON document: the run's settings, then "load", "growth"
// and "memory".
std::string ScaleJson(const std::vector<ScaleLoad>& load,
                      const std::vector<GrowthPoint>& growth,
                      const std::vector<MemoryResult>& memory,
                      const ScaleOptions& options);

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_SCALE_REPORT_H_
