// What gls::asio::SessionExecutor adds per handler and per coroutine
// resumption, against the plain executor and a raw thread_local set around
// each handler by hand, all in the same run (Google Benchmark). Each thread
// has its own single-threaded io_context; with two threads, both post under
// one shared session (one request fanned out), so its reference count is
// contended as it would be.
//
//   build/bench/benchmarks/asio_benchmark --benchmark_repetitions=5 \
//       --benchmark_enable_random_interleaving=true
//
// The figure is time per handler (items/s inverted); "added" is the
// difference of the session and plain cases of the same run (BENCHMARKS.md).
#include <cstdint>
#include <utility>

#include "asio.hpp"
#include "benchmark/benchmark.h"
#include "gls/asio/session_executor.h"
#include "gls/session/binding.h"
#include "gls/session/context.h"
#include "gls/session/session.h"

namespace {

// Handlers posted per batch before the io_context runs them.
constexpr int kBatch = 256;

const gls::Session& SharedSession() {
  static const gls::Session* s =
      new gls::Session(gls::Context().WithPersistent("tenant", "bench"));
  return *s;
}

// The hand-written equivalent: a raw thread_local set around each handler.
thread_local const void* raw_current = nullptr;
template <typename F>
struct RawBound {
  const void* value;
  F f;
  void operator()() {
    const void* prev = raw_current;
    raw_current = value;
    f();
    raw_current = prev;
  }
};

// Posts kBatch handlers through `ex`, then runs them.
template <typename Executor, typename Wrap>
void PostBatches(benchmark::State& state, ::asio::io_context& io,
                 const Executor& ex, Wrap wrap) {
  std::int64_t sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      ::asio::post(ex, wrap([&sum] { ++sum; }));
    }
    io.poll();
    io.restart();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kBatch);
}

auto Identity() {
  return [](auto f) { return f; };
}

void BM_Post_Plain(benchmark::State& state) {
  ::asio::io_context io(1);
  PostBatches(state, io, io.get_executor(), Identity());
}
BENCHMARK(BM_Post_Plain)->Threads(1)->Threads(2);

void BM_Post_RawTls(benchmark::State& state) {
  ::asio::io_context io(1);
  const void* value = &SharedSession();
  PostBatches(state, io, io.get_executor(), [value](auto f) {
    return RawBound<decltype(f)>{value, std::move(f)};
  });
}
BENCHMARK(BM_Post_RawTls)->Threads(1)->Threads(2);

void BM_Post_Session(benchmark::State& state) {
  ::asio::io_context io(1);
  auto ex = gls::asio::WithSession(io.get_executor(), SharedSession());
  PostBatches(state, io, ex, Identity());
}
BENCHMARK(BM_Post_Session)->Threads(1)->Threads(2);

// The executor made per post, from the thread's current session, as a
// handler that calls WithSession(ex) for each operation would.
void BM_Post_SessionPerPost(benchmark::State& state) {
  ::asio::io_context io(1);
  gls::SessionScope scope(SharedSession());
  std::int64_t sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      ::asio::post(gls::asio::WithSession(io.get_executor()),
                   [&sum] { ++sum; });
    }
    io.poll();
    io.restart();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_Post_SessionPerPost)->Threads(1)->Threads(2);

// Inline dispatch from inside a running handler (no queueing).
template <typename Executor>
void DispatchInline(benchmark::State& state, ::asio::io_context& io,
                    const Executor& ex) {
  std::int64_t sum = 0;
  ::asio::post(io, [&] {
    for (auto _ : state) {
      for (int i = 0; i < kBatch; ++i) {
        ::asio::dispatch(ex, [&sum] { ++sum; });
      }
    }
  });
  io.run();
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_DispatchInline_Plain(benchmark::State& state) {
  ::asio::io_context io(1);
  DispatchInline(state, io, io.get_executor());
}
BENCHMARK(BM_DispatchInline_Plain)->Threads(1)->Threads(2);

void BM_DispatchInline_Session(benchmark::State& state) {
  ::asio::io_context io(1);
  DispatchInline(state, io,
                 gls::asio::WithSession(io.get_executor(), SharedSession()));
}
BENCHMARK(BM_DispatchInline_Session)->Threads(1)->Threads(2);

// Coroutine resumptions: `co_await post(use_awaitable)` in a loop, each a
// suspension and a resumption through the coroutine's executor.
template <typename Executor>
void Resume(benchmark::State& state, ::asio::io_context& io,
            const Executor& ex) {
  std::int64_t sum = 0;
  ::asio::co_spawn(
      ex,
      [&]() -> ::asio::awaitable<void> {
        for (auto _ : state) {
          for (int i = 0; i < kBatch; ++i) {
            co_await ::asio::post(::asio::use_awaitable);
            sum += gls::CurSession().empty() ? 0 : 1;
          }
        }
      },
      ::asio::detached);
  io.run();
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_Resume_Plain(benchmark::State& state) {
  ::asio::io_context io(1);
  Resume(state, io, io.get_executor());
}
BENCHMARK(BM_Resume_Plain)->Threads(1)->Threads(2);

void BM_Resume_Session(benchmark::State& state) {
  ::asio::io_context io(1);
  Resume(state, io, gls::asio::WithSession(io.get_executor(), SharedSession()));
}
BENCHMARK(BM_Resume_Session)->Threads(1)->Threads(2);

}  // namespace

BENCHMARK_MAIN();
