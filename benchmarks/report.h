// benchmarks/report.h
//
// rpc_benchmark's output: the tables it prints (throughput and latency with
// ratios to plain and, if manual ran, to manual; allocations per RPC) and the
// JSON it writes for --json, which benchmarks/summarize.py reads (keys
// "context", "load" and "allocations"). A "load" entry compares its mode with
// plain (throughput_vs_plain, p50_added_us, cpu_vs_plain and their per-round
// lists rounds_*) and with manual (throughput_vs_manual,
// p50_added_vs_manual_us, cpu_vs_manual, rounds_*_vs_manual*; null when
// manual did not run).
//
// Example:
//
//   gls_bench::PrintTables(load, allocs, options);  // to stdout
//   std::ofstream(options.json) << gls_bench::ToJson(load, allocs, options);

#ifndef GLS_BENCHMARKS_REPORT_H_
#define GLS_BENCHMARKS_REPORT_H_

#include <string>
#include <vector>

#include "gls/benchmarks/rpc_flags.h"
#include "gls/benchmarks/stats.h"

namespace gls_bench {

// Prints the tables to stdout. `allocs` must hold plain and noop for each
// metainfo value it holds (as RunAllocs's results do).
void PrintTables(const std::vector<LoadResult>& load,
                 const std::vector<AllocResult>& allocs,
                 const RpcOptions& options);

// The figures as a JSON document: the run's settings, then every LoadResult
// and AllocResult. Same requirement on `allocs` as PrintTables.
std::string ToJson(const std::vector<LoadResult>& load,
                   const std::vector<AllocResult>& allocs,
                   const RpcOptions& options);

// JSON pieces, shared with scale_report.h: a number ("%.6g") and a list of
// numbers.
std::string JsonDouble(double v);
std::string JsonList(const std::vector<double>& values);

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_REPORT_H_
