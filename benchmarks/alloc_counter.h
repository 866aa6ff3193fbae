// benchmarks/alloc_counter.h
//
// Counts heap allocations of the whole process (every thread, C and C++:
// malloc, calloc, realloc, the aligned forms, and operator new, which calls
// malloc) between StartCounting() and StopCounting(). The counter replaces
// glibc's malloc entry points in the executable that links alloc_counter.cc and
// forwards each call to glibc's own allocator, so gRPC core's gpr_malloc is
// counted as well as the library's C++ allocations. Counting off costs one
// relaxed load per allocation.
//
// Example:
//
//   gls_bench::StartCounting();
//   DoSomeRpcs();
//   uint64_t allocations = gls_bench::StopCounting();
//
// Thread-safety: thread-safe; one counting window at a time.

#ifndef GLS_BENCHMARKS_ALLOC_COUNTER_H_
#define GLS_BENCHMARKS_ALLOC_COUNTER_H_

#include <cstdint>

namespace gls_bench {

// Resets the counter and starts counting.
void StartCounting();
// Stops counting; returns the allocations counted since StartCounting().
uint64_t StopCounting();

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_ALLOC_COUNTER_H_
