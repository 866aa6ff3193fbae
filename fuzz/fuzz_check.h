// gls/fuzz/fuzz_check.h
//
// GLS_FUZZ_CHECK(condition, what): the fuzzers' invariant check. On violation
// it prints the invariant to stderr and aborts, which libFuzzer reports as a
// crash and saves the input as an artifact (crash-<sha1>).

#ifndef GLS_FUZZ_FUZZ_CHECK_H_
#define GLS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define GLS_FUZZ_CHECK(condition, what)                               \
  do {                                                                \
    if (!(condition)) {                                               \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n  (%s)\n", \
                   __FILE__, __LINE__, (what), #condition);           \
      std::abort();                                                   \
    }                                                                 \
  } while (false)

#endif  // GLS_FUZZ_FUZZ_CHECK_H_
