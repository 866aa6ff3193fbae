// benchmarks/process_usage.h
//
// What the whole benchmark process has used so far, as the benchmarks read it
// around a slice of work: CPU time (every thread), context switches, resident
// memory and bytes in use on the heap.
//
// Example:
//
//   const double cpu_start = gls_bench::ProcessCpuSeconds();
//   DoSomeRpcs();
//   const double cpu = gls_bench::ProcessCpuSeconds() - cpu_start;
//   const int64_t rss = gls_bench::ProcessRssBytes();
//
// Thread-safety: thread-safe (each call reads the kernel's or the allocator's
// counters once).

#ifndef GLS_BENCHMARKS_PROCESS_USAGE_H_
#define GLS_BENCHMARKS_PROCESS_USAGE_H_

#include <cstdint>

namespace gls_bench {

// CPU time of every thread of the process so far, in seconds.
double ProcessCpuSeconds();

// Context switches (voluntary and not) of the whole process so far.
int64_t ProcessContextSwitches();

// Resident set size now, in bytes (/proc/self/statm); -1 if unreadable.
int64_t ProcessRssBytes();

// Bytes the process has allocated from glibc's heap and not freed now
// (mallinfo2: arenas' in-use chunks plus mmap'ed blocks).
int64_t HeapBytesInUse();

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_PROCESS_USAGE_H_
