// benchmarks/alloc_counter.cc
//
// The allocation counter of alloc_counter.h: definitions of malloc & co. that
// interpose glibc's (the executable's symbols win over libc.so's for every
// shared library, gRPC's included) and forward to glibc's __libc_* entry
// points. Frees go to glibc unchanged, so memory from any entry point can be
// freed by any other, as with glibc alone. glibc only.

#include "gls/benchmarks/alloc_counter.h"

#include <errno.h>
#include <stdlib.h>

#include <atomic>
#include <cstddef>

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t n, size_t size);
void* __libc_realloc(void* ptr, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* ptr);
}

namespace gls_bench {
namespace {

std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};

inline void Note() {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

void StartCounting() {
  g_allocations.store(0, std::memory_order_relaxed);
  g_counting.store(true, std::memory_order_seq_cst);
}

uint64_t StopCounting() {
  g_counting.store(false, std::memory_order_seq_cst);
  return g_allocations.load(std::memory_order_relaxed);
}

}  // namespace gls_bench

extern "C" {

void* malloc(size_t size) noexcept {
  gls_bench::Note();
  return __libc_malloc(size);
}

void* calloc(size_t n, size_t size) noexcept {
  gls_bench::Note();
  return __libc_calloc(n, size);
}

void* realloc(void* ptr, size_t size) noexcept {
  gls_bench::Note();
  return __libc_realloc(ptr, size);
}

void free(void* ptr) noexcept { __libc_free(ptr); }

void* memalign(size_t alignment, size_t size) noexcept {
  gls_bench::Note();
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) noexcept {
  gls_bench::Note();
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) noexcept {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 ||
      alignment % sizeof(void*) != 0) {
    return EINVAL;
  }
  gls_bench::Note();
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

}  // extern "C"
