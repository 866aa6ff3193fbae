// benchmarks/callback_load.h
//
// scale_benchmark's clients on the callback stub, which reach concurrencies
// that blocking client threads cannot on a small machine:
//
//   RunClosedLoop  keeps `in_flight` calls outstanding for a duration (each
//                  completion starts the next call) and measures them as a
//                  Slice (stats.h): throughput, client-side latency, process
//                  CPU time and context switches.
//   RunInterleavedClosedLoop  the same over several stubs interleaved by
//                  RPC: every slot calls each stub in turn, so the stubs
//                  share the machine alike at every moment; a Slice each.
//   StartHeld      starts `count` calls the callback leaf holds (kHoldName)
//                  and returns when they are all answered or failed.
//
// Every call has a fresh ClientContext, a 10 s deadline and the given
// metadata.
//
// Example:
//
//   gls_bench::Slice slice = gls_bench::RunClosedLoop(
//       *chain->stub, gls_bench::PersistentValues(3, 16), /*in_flight=*/256,
//       std::chrono::milliseconds(200));
//   double rps = slice.throughput();
//
// Thread-safety: thread-safe; each call runs its own loop.

#ifndef GLS_BENCHMARKS_CALLBACK_LOAD_H_
#define GLS_BENCHMARKS_CALLBACK_LOAD_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gls/benchmarks/stats.h"
#include "proto/greeter.grpc.pb.h"

namespace gls_bench {

using Metadata = std::vector<std::pair<std::string, std::string>>;

// Keeps `in_flight` calls on `stub` outstanding for `duration`, then waits for
// the last ones. Calls that complete after `duration` are not counted.
Slice RunClosedLoop(gls::examples::Greeter::Stub& stub,
                    const Metadata& metadata, int in_flight,
                    std::chrono::steady_clock::duration duration);

// Keeps `in_flight` calls outstanding for `duration` over `stubs`,
// interleaved by RPC: each of the `in_flight` slots has one call in flight at
// a time and calls every stub in turn, one call each, in a new random order
// every cycle (seeded by `seed` and the slot). Returns one Slice per stub, in
// the order of `stubs`, holding that stub's calls only: `seconds` is the sum
// of their latencies divided by `in_flight`, so rpcs / seconds is the
// throughput the stub would have with `in_flight` calls of its own
// outstanding (Little's law). No CPU time belongs to one stub: every slice
// gets the loop's CPU time and context switches shared out by calls (the
// same per call for all).
std::vector<Slice> RunInterleavedClosedLoop(
    const std::vector<gls::examples::Greeter::Stub*>& stubs,
    const Metadata& metadata, int in_flight,
    std::chrono::steady_clock::duration duration, uint32_t seed);

// `count` calls named kHoldName in flight on `stub` at once, from Start until
// their completions; Wait returns the number that did not end OK.
class HeldCalls {
 public:
  HeldCalls(gls::examples::Greeter::Stub& stub, const Metadata& metadata,
            int count);
  ~HeldCalls();  // waits for every call
  HeldCalls(const HeldCalls&) = delete;
  HeldCalls& operator=(const HeldCalls&) = delete;

  // Blocks until every call has completed; the number that failed.
  int64_t Wait();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace gls_bench

#endif  // GLS_BENCHMARKS_CALLBACK_LOAD_H_
