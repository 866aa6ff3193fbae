// benchmarks/session_benchmark.cc
//
// Google Benchmark program for gls's session layer, with its baselines in the
// same binary so every comparison is taken in one run:
//
//   Raw    a raw thread_local pointer: the physical limit of a lookup, and of a
//          bind (save, store, restore).
//   Naive  a global std::mutex + std::unordered_map keyed by thread id: what a
//          quick implementation of "the current request" does.
//   Gls    gls::CurSession, gls::SessionScope, gls::BindSession, Session::Get
//          and Set, gls::Wrap, gls::ThreadPool.
//
// The observability cases (BM_StatsAdd*, BM_TraceEnabledOff) measure
// gls/session/stats.h's hot paths against the same kind of baselines.
//
// Every case runs at 1 and 2 threads; each thread has its own session, as two
// concurrent requests do. Per-op figures of the micro cases are CPU time per
// operation of one thread (Google Benchmark's "CPU" column: CPU time summed
// over threads / operations summed over threads), so a 2-thread figure equal
// to the 1-thread one means perfect scaling. The pool cases use wall time and
// schedule batches of kPoolBatch tasks per iteration: time per task is the
// reported time / kPoolBatch.
//
// scripts/bench.sh runs this with repetitions and checks the bars (see
// BENCHMARKS.md).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gls/session/async.h"
#include "gls/session/context.h"
#include "gls/session/session.h"
#include "gls/session/session_manager.h"
#include "gls/session/stats.h"
#include "gls/session/thread_pool.h"

namespace {

// Tasks scheduled per iteration of the pool cases.
constexpr int kPoolBatch = 64;
// Workers of the pool the pool cases share (the machine's cores).
constexpr int kPoolThreads = 2;

const gls::SessionKey<std::string> kUserKey("user");

// A request's context of realistic size: 3 persistent values, 1 transient.
gls::Context RequestContext() {
  return gls::Context::Builder(gls::Context::Direction::kIncoming)
      .AddHeader("rpc-persist-tenant-id", "acme-corp-eu-west-1")
      .AddHeader("rpc-persist-trace-id", "4bf92f3577b34da6a3ce929d0e0e4736")
      .AddHeader("rpc-persist-user-id", "user-0000012345")
      .AddHeader("rpc-transit-caller", "edge-gateway-7f9c")
      .SetMethod("/gls.examples.Greeter/SayHello")
      .Build();
}

gls::Session RequestSession() {
  gls::Session session(RequestContext());
  session.Set(kUserKey, std::string("alice"));
  return session;
}

// ---------------------------------------------------------------------------
// Baselines.

// The physical limit: the calling thread's current request, one pointer.
thread_local const gls::Session* tls_raw = nullptr;

// A quick implementation: one global map from thread id to the thread's
// request, under one mutex; request-local values in a per-request map.
class NaiveStore {
 public:
  struct Request {
    gls::Context context;
    std::unordered_map<const void*, std::shared_ptr<const void>> values;
  };

  // Binds `request` to the calling thread (nullptr unbinds); returns the
  // previous binding.
  Request* Bind(Request* request) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::thread::id id = std::this_thread::get_id();
    auto it = map_.find(id);
    Request* prev = it == map_.end() ? nullptr : it->second;
    if (request == nullptr) {
      if (it != map_.end()) map_.erase(it);
    } else if (it == map_.end()) {
      map_.emplace(id, request);
    } else {
      it->second = request;
    }
    return prev;
  }

  Request* Current() {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(std::this_thread::get_id());
    return it == map_.end() ? nullptr : it->second;
  }

  std::shared_ptr<const void> Get(const void* key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(std::this_thread::get_id());
    if (it == map_.end()) return nullptr;
    auto value = it->second->values.find(key);
    return value == it->second->values.end() ? nullptr : value->second;
  }

  void Set(const void* key, std::shared_ptr<const void> value) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(std::this_thread::get_id());
    if (it != map_.end()) it->second->values[key] = std::move(value);
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::thread::id, Request*> map_;
};

NaiveStore& Naive() {
  static NaiveStore* const store = new NaiveStore();
  return *store;
}

// A request bound in the naive store for the scope.
class NaiveScope {
 public:
  NaiveScope() : prev_(Naive().Bind(&request_)) {
    request_.context = RequestContext();
    request_.values[&kUserKey] = std::make_shared<const std::string>("alice");
  }
  ~NaiveScope() { Naive().Bind(prev_); }

 private:
  NaiveStore::Request request_;
  NaiveStore::Request* const prev_;
};

// ---------------------------------------------------------------------------
// Current-session lookup, bound.

void BM_LookupBound_Raw(benchmark::State& state) {
  gls::Session session = RequestSession();
  tls_raw = &session;
  for (auto _ : state) {
    const gls::Session* s = tls_raw;
    benchmark::DoNotOptimize(s);
  }
  tls_raw = nullptr;
}
BENCHMARK(BM_LookupBound_Raw)->Threads(1)->Threads(2);

void BM_LookupBound_Naive(benchmark::State& state) {
  NaiveScope scope;
  for (auto _ : state) {
    NaiveStore::Request* r = Naive().Current();
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_LookupBound_Naive)->Threads(1)->Threads(2);

void BM_LookupBound_Gls(benchmark::State& state) {
  gls::SessionScope scope(RequestSession());
  for (auto _ : state) {
    const gls::Session* s = &gls::CurSession();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_LookupBound_Gls)->Threads(1)->Threads(2);

// ---------------------------------------------------------------------------
// Current-session lookup, nothing bound.

void BM_LookupUnbound_Raw(benchmark::State& state) {
  for (auto _ : state) {
    const gls::Session* s = tls_raw;
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_LookupUnbound_Raw)->Threads(1)->Threads(2);

void BM_LookupUnbound_Naive(benchmark::State& state) {
  for (auto _ : state) {
    NaiveStore::Request* r = Naive().Current();
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_LookupUnbound_Naive)->Threads(1)->Threads(2);

void BM_LookupUnbound_Gls(benchmark::State& state) {
  for (auto _ : state) {
    const gls::Session* s = &gls::CurSession();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_LookupUnbound_Gls)->Threads(1)->Threads(2);

// ---------------------------------------------------------------------------
// Scoped bind + unbind of an existing session (what the server interceptor
// does per request).

void BM_BindUnbind_Raw(benchmark::State& state) {
  gls::Session session = RequestSession();
  for (auto _ : state) {
    const gls::Session* prev = tls_raw;
    tls_raw = &session;
    benchmark::ClobberMemory();
    tls_raw = prev;
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_BindUnbind_Raw)->Threads(1)->Threads(2);

void BM_BindUnbind_Naive(benchmark::State& state) {
  NaiveStore::Request request{RequestContext(), {}};
  for (auto _ : state) {
    NaiveStore::Request* prev = Naive().Bind(&request);
    benchmark::ClobberMemory();
    Naive().Bind(prev);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_BindUnbind_Naive)->Threads(1)->Threads(2);

void BM_BindUnbind_GlsScope(benchmark::State& state) {
  gls::Session session = RequestSession();
  for (auto _ : state) {
    gls::SessionScope scope(session);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_BindUnbind_GlsScope)->Threads(1)->Threads(2);

// localsession's explicit form: BindSession + UnbindSession (the thread's own
// record in the registry, under its per-thread lock; the shard's mutex is
// taken at a thread's first bind only, once per run).
void BM_BindUnbind_GlsBindSession(benchmark::State& state) {
  gls::Session session = RequestSession();
  for (auto _ : state) {
    gls::BindSession(session);
    benchmark::ClobberMemory();
    gls::UnbindSession();
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_BindUnbind_GlsBindSession)->Threads(1)->Threads(2);

// ---------------------------------------------------------------------------
// Request-local value: get and set. Each Set allocates its value (the
// make_shared in Session::Set) and frees the value it replaces (no reader
// holds it here), as the naive baseline does.

void BM_ValueGet_Naive(benchmark::State& state) {
  NaiveScope scope;
  for (auto _ : state) {
    std::shared_ptr<const void> v = Naive().Get(&kUserKey);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_ValueGet_Naive)->Threads(1)->Threads(2);

void BM_ValueGet_Gls(benchmark::State& state) {
  gls::SessionScope scope(RequestSession());
  for (auto _ : state) {
    std::shared_ptr<const std::string> v = gls::CurSession().Get(kUserKey);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_ValueGet_Gls)->Threads(1)->Threads(2);

void BM_ValueSet_Naive(benchmark::State& state) {
  NaiveScope scope;
  for (auto _ : state) {
    Naive().Set(&kUserKey, std::make_shared<const std::string>("bob"));
  }
}
BENCHMARK(BM_ValueSet_Naive)->Threads(1)->Threads(2);

void BM_ValueSet_Gls(benchmark::State& state) {
  gls::SessionScope scope(RequestSession());
  for (auto _ : state) {
    gls::CurSession().Set(kUserKey, std::string("bob"));
  }
}
BENCHMARK(BM_ValueSet_Gls)->Threads(1)->Threads(2);

// ---------------------------------------------------------------------------
// Wrap + run of a task on the same thread (capture, bind, run, restore).

void BM_WrapRun_Plain(benchmark::State& state) {
  int64_t runs = 0;
  for (auto _ : state) {
    auto task = [&runs] { ++runs; };
    task();
    benchmark::DoNotOptimize(runs);
  }
}
BENCHMARK(BM_WrapRun_Plain)->Threads(1)->Threads(2);

void BM_WrapRun_Naive(benchmark::State& state) {
  NaiveScope scope;
  int64_t runs = 0;
  for (auto _ : state) {
    NaiveStore::Request* captured = Naive().Current();
    auto task = [&runs] { ++runs; };
    NaiveStore::Request* prev = Naive().Bind(captured);
    task();
    Naive().Bind(prev);
    benchmark::DoNotOptimize(runs);
  }
}
BENCHMARK(BM_WrapRun_Naive)->Threads(1)->Threads(2);

void BM_WrapRun_Gls(benchmark::State& state) {
  gls::SessionScope scope(RequestSession());
  int64_t runs = 0;
  for (auto _ : state) {
    auto task = gls::Wrap([&runs] { ++runs; });
    task();
    benchmark::DoNotOptimize(runs);
  }
}
BENCHMARK(BM_WrapRun_Gls)->Threads(1)->Threads(2);

// ---------------------------------------------------------------------------
// Observability (stats.h): one counter increment, what every RPC does a few
// times, and the trace switch when off, what every traced event costs.
//
//   BM_StatsAdd_Naive  one process-wide std::atomic, fetch_add: what a quick
//                      implementation does; its cache line moves between
//                      cores at 2 threads.
//   BM_StatsAdd        gls::stats_internal::Add (per-thread blocks).

std::atomic<uint64_t> naive_counter{0};

void BM_StatsAdd_Naive(benchmark::State& state) {
  for (auto _ : state) {
    naive_counter.fetch_add(1, std::memory_order_relaxed);
  }
}
BENCHMARK(BM_StatsAdd_Naive)->Threads(1)->Threads(2);

void BM_StatsAdd(benchmark::State& state) {
  for (auto _ : state) {
    gls::stats_internal::Add(gls::stats_internal::Counter::kValuesRestored);
  }
}
BENCHMARK(BM_StatsAdd)->Threads(1)->Threads(2);

// `if (TraceEnabled()) Trace(...)` with tracing off, as on every traced path.
void BM_TraceEnabledOff(benchmark::State& state) {
  gls::stats_internal::SetTraceEnabledForTest(false);
  for (auto _ : state) {
    const bool on = gls::stats_internal::TraceEnabled();
    if (on) gls::stats_internal::Trace("never");
    benchmark::DoNotOptimize(on);
  }
}
BENCHMARK(BM_TraceEnabledOff)->Threads(1)->Threads(2);

// ---------------------------------------------------------------------------
// Pool schedule + run, with and without carrying a session: the same
// gls::ThreadPool, with a session bound (carried) or with none (the empty
// session is carried: no reference count is touched).

gls::ThreadPool* g_pool = nullptr;

void PoolSetup(const benchmark::State&) {
  g_pool = new gls::ThreadPool(kPoolThreads);
}

void PoolTeardown(const benchmark::State&) {
  delete g_pool;
  g_pool = nullptr;
}

// Schedules kPoolBatch tasks on the shared pool and waits until they all ran.
void RunPoolBatch(std::atomic<int>& done) {
  done.store(0, std::memory_order_relaxed);
  for (int i = 0; i < kPoolBatch; ++i) {
    g_pool->Schedule([&done] { done.fetch_add(1, std::memory_order_release); });
  }
  while (done.load(std::memory_order_acquire) < kPoolBatch) {
    std::this_thread::yield();
  }
}

// Wall time of one RunPoolBatch, in ns.
double TimePoolBatch(std::atomic<int>& done) {
  const auto start = std::chrono::steady_clock::now();
  RunPoolBatch(done);
  return std::chrono::duration<double, std::nano>(
             std::chrono::steady_clock::now() - start)
      .count();
}

double MedianOf(std::vector<double> values) {
  if (values.empty()) return 0;
  auto mid = values.begin() + values.size() / 2;
  std::nth_element(values.begin(), mid, values.end());
  return *mid;
}

void BM_Pool_NoCarry(benchmark::State& state) {
  std::atomic<int> done{0};
  for (auto _ : state) RunPoolBatch(done);
  state.SetItemsProcessed(state.iterations() * kPoolBatch);
}
BENCHMARK(BM_Pool_NoCarry)
    ->Setup(PoolSetup)
    ->Teardown(PoolTeardown)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(2);

void BM_Pool_Carry(benchmark::State& state) {
  gls::SessionScope scope(RequestSession());
  std::atomic<int> done{0};
  for (auto _ : state) RunPoolBatch(done);
  state.SetItemsProcessed(state.iterations() * kPoolBatch);
}
BENCHMARK(BM_Pool_Carry)
    ->Setup(PoolSetup)
    ->Teardown(PoolTeardown)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(2);

// The cost of carrying, measured in pairs: each iteration runs one batch
// without a session and one with a session bound, alternating which goes
// first, so the machine's drift and the pool's state hit both alike. Counters
// (ns per task, averaged over threads): the medians of both batch kinds and
// `added_ns`, the median of the per-pair differences.
void BM_Pool_CarryAdded(benchmark::State& state) {
  gls::Session session = RequestSession();
  std::atomic<int> done{0};
  std::vector<double> no_carry;
  std::vector<double> carry;
  std::vector<double> added;
  bool carry_first = false;
  for (auto _ : state) {
    double without = 0;
    double with = 0;
    if (carry_first) {
      {
        gls::SessionScope scope(session);
        with = TimePoolBatch(done);
      }
      without = TimePoolBatch(done);
    } else {
      without = TimePoolBatch(done);
      gls::SessionScope scope(session);
      with = TimePoolBatch(done);
    }
    carry_first = !carry_first;
    no_carry.push_back(without / kPoolBatch);
    carry.push_back(with / kPoolBatch);
    added.push_back((with - without) / kPoolBatch);
  }
  state.SetItemsProcessed(state.iterations() * 2 * kPoolBatch);
  using benchmark::Counter;
  state.counters["no_carry_ns"] =
      Counter(MedianOf(no_carry), Counter::kAvgThreads);
  state.counters["carry_ns"] = Counter(MedianOf(carry), Counter::kAvgThreads);
  state.counters["added_ns"] = Counter(MedianOf(added), Counter::kAvgThreads);
}
BENCHMARK(BM_Pool_CarryAdded)
    ->Setup(PoolSetup)
    ->Teardown(PoolTeardown)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(2);

}  // namespace

BENCHMARK_MAIN();
