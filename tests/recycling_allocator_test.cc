// Tests for gls/session/internal/recycling_allocator.h: per-thread reuse of
// freed blocks, for std::allocate_shared and for a class's own operator
// new/delete (what gls's interceptors use), and the fallback to operator new
// for what does not fit.

#include "gls/session/internal/recycling_allocator.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

// Calls of operator new for a block's size, to see which allocations the
// recycling saved (the replacement forwards to malloc).
std::atomic<int> g_block_news{0};

void* operator new(std::size_t size) {
  if (size == gls::session_internal::kRecycledBlockSize) {
    g_block_news.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace gls {
namespace session_internal {
namespace {

// A per-call object as gls's interceptors declare theirs.
class PerCall {
 public:
  virtual ~PerCall() = default;
  static void* operator new(std::size_t size) { return AllocateRecycled(size); }
  static void operator delete(void* p, std::size_t size) {
    FreeRecycled(p, size);
  }
  char payload[64] = {};
};

class Derived final : public PerCall {
 public:
  char more[32] = {};
};

class TooBig {
 public:
  static void* operator new(std::size_t size) { return AllocateRecycled(size); }
  static void operator delete(void* p, std::size_t size) {
    FreeRecycled(p, size);
  }
  char payload[kRecycledBlockSize + 1] = {};
};

// Tests that an object freed on this thread is handed out again to the next
// one, through a base-class pointer as gRPC deletes interceptors.
TEST(RecyclingAllocatorTest, ClassOperatorNewReusesFreedBlock) {
  if (!kRecyclingEnabled) GTEST_SKIP() << "sanitizer build: no recycling";
  PerCall* first = new Derived;
  void* address = first;
  delete first;
  PerCall* second = new PerCall;
  EXPECT_EQ(static_cast<void*>(second), address);
  delete second;
}

// Tests that many live objects are distinct and writable whole, and that
// freeing more than a thread keeps is fine (the rest go to operator delete).
TEST(RecyclingAllocatorTest, ManyLiveObjectsAreDistinct) {
  std::vector<PerCall*> objects;
  std::set<void*> addresses;
  for (int i = 0; i < 500; ++i) {
    auto* p = new Derived;
    std::memset(p->more, i & 0xff, sizeof(p->more));
    objects.push_back(p);
    addresses.insert(p);
  }
  EXPECT_EQ(addresses.size(), objects.size());
  for (PerCall* p : objects) delete p;
}

// Tests that a type larger than a block goes to operator new and back.
TEST(RecyclingAllocatorTest, LargerThanABlockUsesOperatorNew) {
  auto* big = new TooBig;
  std::memset(big->payload, 1, sizeof(big->payload));
  delete big;
}

// Tests that blocks freed on another thread than the one that allocated them
// are safe (they go to the freeing thread's list), as when gRPC deletes an
// interceptor on another thread than the one that created it.
TEST(RecyclingAllocatorTest, FreedOnAnotherThread) {
  std::vector<PerCall*> objects;
  for (int i = 0; i < 100; ++i) objects.push_back(new Derived);
  std::thread([&] {
    for (PerCall* p : objects) delete p;
    for (int i = 0; i < 100; ++i) delete new PerCall;
  }).join();
  auto shared = std::allocate_shared<Derived>(RecyclingAllocator<Derived>());
  EXPECT_NE(shared, nullptr);
}

// Tests that the free blocks of a thread that exited go to the depot and are
// handed to the next thread that allocates (servers start and end threads all
// the time): that thread calls operator new for none of them.
TEST(RecyclingAllocatorTest, ExitedThreadsBlocksAreReused) {
  if (!kRecyclingEnabled) GTEST_SKIP() << "sanitizer build: no recycling";
  constexpr int kBlocks = 10;
  std::set<void*> freed;
  std::thread([&] {
    std::vector<PerCall*> objects;
    for (int i = 0; i < kBlocks; ++i) objects.push_back(new Derived);
    for (PerCall* p : objects) {
      freed.insert(p);
      delete p;
    }
  }).join();
  int news = -1;
  std::set<void*> reused;
  std::thread([&] {
    const int before = g_block_news.load();
    std::vector<PerCall*> objects;
    for (int i = 0; i < kBlocks; ++i) objects.push_back(new PerCall);
    news = g_block_news.load() - before;
    for (PerCall* p : objects) {
      reused.insert(p);
      delete p;
    }
  }).join();
  EXPECT_EQ(news, 0);
  EXPECT_EQ(reused, freed);
}

// Tests that a thread that frees more blocks than it allocates hands its full
// lists to the depot, where a thread that allocates more than it frees finds
// them (as when one thread creates per-call objects and another deletes them).
TEST(RecyclingAllocatorTest, FullListsMoveToAllocatingThreads) {
  if (!kRecyclingEnabled) GTEST_SKIP() << "sanitizer build: no recycling";
  constexpr int kBlocks = 200;  // more than one thread's list holds
  std::vector<PerCall*> objects;
  for (int i = 0; i < kBlocks; ++i) objects.push_back(new Derived);
  std::thread([&] {
    for (PerCall* p : objects) delete p;
    // This thread stays alive (holding its partial list) while the main
    // thread allocates.
    objects.clear();
    const int before = g_block_news.load();
    std::thread([&] {
      std::vector<PerCall*> again;
      again.reserve(128);  // 1 KB: not a block's size, not counted
      for (int i = 0; i < 128; ++i) again.push_back(new PerCall);
      objects = again;
    }).join();
    EXPECT_EQ(g_block_news.load() - before, 0);
  }).join();
  for (PerCall* p : objects) delete p;
}

}  // namespace
}  // namespace session_internal
}  // namespace gls
