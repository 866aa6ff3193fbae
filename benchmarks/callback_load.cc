// benchmarks/callback_load.cc
//
// The callback-stub clients of callback_load.h.

#include "gls/benchmarks/callback_load.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "gls/benchmarks/callback_chain.h"
#include "gls/benchmarks/process_usage.h"

namespace gls_bench {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;
using Clock = std::chrono::steady_clock;

// One call's state, from its start to its completion.
struct OneCall {
  grpc::ClientContext context;
  HelloRequest request;
  HelloReply reply;
  Clock::time_point start;
};

std::unique_ptr<OneCall> NewCall(const Metadata& metadata,
                                 absl::string_view name) {
  auto call = std::make_unique<OneCall>();
  call->start = Clock::now();
  call->context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(10));
  for (const auto& [key, value] : metadata) {
    call->context.AddMetadata(key, value);
  }
  call->request.set_name(std::string(name));
  return call;
}

// The closed loop of RunClosedLoop. Latencies go into a vector sized up front
// through an atomic index, so the completions (on gRPC's threads) share no
// lock; the slots beyond its size are not recorded.
class ClosedLoop {
 public:
  ClosedLoop(Greeter::Stub& stub, const Metadata& metadata)
      : stub_(stub), metadata_(metadata), latencies_(1 << 20) {}

  // Starts the loop, to stop starting calls at `end`.
  void Start(int in_flight, Clock::time_point end) {
    end_ = end;  // before any call: read by their completions
    {
      absl::MutexLock lock(&mu_);
      outstanding_ = in_flight;
    }
    for (int i = 0; i < in_flight; ++i) StartOne();
  }

  void WaitDone() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* outstanding) { return *outstanding == 0; }, &outstanding_));
  }

  Slice Take(double seconds, double cpu_seconds, int64_t switches) {
    Slice slice;
    slice.rpcs = rpcs_.load();
    slice.failures = failures_.load();
    slice.seconds = seconds;
    slice.cpu_seconds = cpu_seconds;
    slice.context_switches = switches;
    const int64_t recorded = std::min<int64_t>(
        next_.load(), static_cast<int64_t>(latencies_.size()));
    slice.latencies_us.assign(latencies_.begin(),
                              latencies_.begin() + recorded);
    return slice;
  }

 private:
  void StartOne() {
    OneCall* call = NewCall(metadata_, "bench").release();
    stub_.async()->SayHello(
        &call->context, &call->request, &call->reply,
        [this, call](grpc::Status status) { Done(call, status.ok()); });
  }

  void Done(OneCall* call, bool ok) {
    const Clock::time_point now = Clock::now();
    if (now <= end_) {
      if (ok) {
        rpcs_.fetch_add(1, std::memory_order_relaxed);
        const int64_t slot = next_.fetch_add(1, std::memory_order_relaxed);
        if (slot < static_cast<int64_t>(latencies_.size())) {
          latencies_[slot] =
              std::chrono::duration<double, std::micro>(now - call->start)
                  .count();
        }
      } else {
        failures_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    delete call;
    if (now < end_) {
      StartOne();
      return;
    }
    absl::MutexLock lock(&mu_);
    --outstanding_;
  }

  Greeter::Stub& stub_;
  const Metadata& metadata_;
  Clock::time_point end_;
  std::vector<double> latencies_;
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> rpcs_{0};
  std::atomic<int64_t> failures_{0};
  absl::Mutex mu_;
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
};

// The closed loop of RunInterleavedClosedLoop. Each slot has one call in
// flight at a time: its state is touched by that call's start and its
// completion only, and gRPC orders a completion after its start and the next
// start (made in the completion) after it.
class InterleavedLoop {
 public:
  InterleavedLoop(const std::vector<Greeter::Stub*>& stubs,
                  const Metadata& metadata, int in_flight, uint32_t seed)
      : stubs_(stubs), metadata_(metadata), slots_(in_flight) {
    const int n = static_cast<int>(stubs.size());
    for (int i = 0; i < in_flight; ++i) {
      Slot& slot = slots_[i];
      slot.rng.seed(seed + static_cast<uint32_t>(i));
      slot.order.resize(n);
      for (int m = 0; m < n; ++m) slot.order[m] = m;
      slot.next = n;  // shuffled before the first call
      slot.slices.resize(n);
    }
  }

  void Start(Clock::time_point end) {
    end_ = end;  // before any call: read by their completions
    {
      absl::MutexLock lock(&mu_);
      outstanding_ = static_cast<int>(slots_.size());
    }
    for (Slot& slot : slots_) StartOne(&slot);
  }

  void WaitDone() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* outstanding) { return *outstanding == 0; }, &outstanding_));
  }

  // After WaitDone: the calls of every slot, by stub.
  std::vector<Slice> Take() const {
    std::vector<Slice> slices(stubs_.size());
    for (const Slot& slot : slots_) {
      for (size_t m = 0; m < slices.size(); ++m) {
        const Slice& s = slot.slices[m];
        slices[m].rpcs += s.rpcs;
        slices[m].failures += s.failures;
        slices[m].seconds += s.seconds;
        slices[m].latencies_us.insert(slices[m].latencies_us.end(),
                                      s.latencies_us.begin(),
                                      s.latencies_us.end());
      }
    }
    for (Slice& slice : slices) slice.seconds /= slots_.size();
    return slices;
  }

 private:
  struct Slot {
    std::mt19937 rng;
    std::vector<int> order;
    int next = 0;
    std::vector<Slice> slices;  // by stub
  };

  void StartOne(Slot* slot) {
    const int n = static_cast<int>(slot->order.size());
    if (slot->next == n) {
      std::shuffle(slot->order.begin(), slot->order.end(), slot->rng);
      slot->next = 0;
    }
    const int m = slot->order[slot->next++];
    OneCall* call = NewCall(metadata_, "bench").release();
    stubs_[m]->async()->SayHello(&call->context, &call->request, &call->reply,
                                 [this, slot, m, call](grpc::Status status) {
                                   Done(slot, m, call, status.ok());
                                 });
  }

  void Done(Slot* slot, int m, OneCall* call, bool ok) {
    const Clock::time_point now = Clock::now();
    if (now <= end_) {
      Slice& slice = slot->slices[m];
      if (ok) {
        const double us =
            std::chrono::duration<double, std::micro>(now - call->start)
                .count();
        ++slice.rpcs;
        slice.seconds += us / 1e6;
        slice.latencies_us.push_back(us);
      } else {
        ++slice.failures;
      }
    }
    delete call;
    if (now < end_) {
      StartOne(slot);
      return;
    }
    absl::MutexLock lock(&mu_);
    --outstanding_;
  }

  const std::vector<Greeter::Stub*>& stubs_;
  const Metadata& metadata_;
  Clock::time_point end_;
  std::vector<Slot> slots_;
  absl::Mutex mu_;
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

std::vector<Slice> RunInterleavedClosedLoop(
    const std::vector<Greeter::Stub*>& stubs, const Metadata& metadata,
    int in_flight, Clock::duration duration, uint32_t seed) {
  InterleavedLoop loop(stubs, metadata, in_flight, seed);
  const double cpu_start = ProcessCpuSeconds();
  const int64_t switches_start = ProcessContextSwitches();
  loop.Start(Clock::now() + duration);
  loop.WaitDone();
  const double cpu = ProcessCpuSeconds() - cpu_start;
  const int64_t switches = ProcessContextSwitches() - switches_start;
  std::vector<Slice> slices = loop.Take();
  int64_t rpcs = 0;
  for (const Slice& slice : slices) rpcs += slice.rpcs;
  for (Slice& slice : slices) {
    slice.cpu_seconds = rpcs > 0 ? cpu * slice.rpcs / rpcs : 0;
    slice.context_switches = rpcs > 0 ? switches * slice.rpcs / rpcs : 0;
  }
  return slices;
}

Slice RunClosedLoop(Greeter::Stub& stub, const Metadata& metadata,
                    int in_flight, Clock::duration duration) {
  ClosedLoop loop(stub, metadata);
  const double cpu_start = ProcessCpuSeconds();
  const int64_t switches_start = ProcessContextSwitches();
  const Clock::time_point start = Clock::now();
  loop.Start(in_flight, start + duration);
  loop.WaitDone();
  // The slice ends at `end`; what ran after it (the last completions) is
  // CPU time of calls not counted, a small share at these durations.
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  return loop.Take(
      std::min(seconds, std::chrono::duration<double>(duration).count()),
      ProcessCpuSeconds() - cpu_start,
      ProcessContextSwitches() - switches_start);
}

struct HeldCalls::State {
  absl::Mutex mu;
  int outstanding ABSL_GUARDED_BY(mu) = 0;
  int64_t failures ABSL_GUARDED_BY(mu) = 0;
};

HeldCalls::HeldCalls(Greeter::Stub& stub, const Metadata& metadata, int count)
    : state_(std::make_unique<State>()) {
  {
    absl::MutexLock lock(&state_->mu);
    state_->outstanding = count;
  }
  State* state = state_.get();
  for (int i = 0; i < count; ++i) {
    OneCall* call = NewCall(metadata, kHoldName).release();
    stub.async()->SayHello(&call->context, &call->request, &call->reply,
                           [state, call](grpc::Status status) {
                             delete call;
                             absl::MutexLock lock(&state->mu);
                             if (!status.ok()) ++state->failures;
                             --state->outstanding;
                           });
  }
}

HeldCalls::~HeldCalls() { Wait(); }

int64_t HeldCalls::Wait() {
  absl::MutexLock lock(&state_->mu);
  state_->mu.Await(absl::Condition(
      +[](int* outstanding) { return *outstanding == 0; },
      &state_->outstanding));
  return state_->failures;
}

}  // namespace gls_bench
