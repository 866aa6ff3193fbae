#include "gls/session/internal/recycling_allocator.h"

#include <atomic>
#include <new>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "gls/session/internal/spin_lock.h"

namespace gls {
namespace session_internal {
namespace {

// At most this many free blocks per thread.
constexpr int kMaxFreeBlocks = 64;

// At most this many lists in the depot (with kMaxFreeBlocks: 2,048 blocks,
// 512 KB).
constexpr int kDepotLists = 32;

struct FreeBlock {
  FreeBlock* next;
};

// A list of free blocks.
struct Chain {
  FreeBlock* head = nullptr;
  int count = 0;
};

// Lists of free blocks that no thread holds: those of exited threads and the
// full lists of threads that free more blocks than they allocate. A thread
// whose list is empty takes one before it calls operator new. gRPC's sync
// server starts and ends threads all the time under load; without the depot
// each new thread allocated its blocks afresh and each exiting one freed
// them. Thread-safe.
class Depot {
 public:
  constexpr Depot() = default;

  // A list, or an empty one if the depot holds none.
  Chain Take() {
    if (size_.load(std::memory_order_relaxed) == 0) return Chain();
    SpinLockHolder hold(&lock_);
    const int n = size_.load(std::memory_order_relaxed);
    if (n == 0) return Chain();
    size_.store(n - 1, std::memory_order_relaxed);
    return lists_[n - 1];
  }

  // Keeps `chain`; false if the depot is full (the caller keeps it).
  bool Give(Chain chain) {
    SpinLockHolder hold(&lock_);
    const int n = size_.load(std::memory_order_relaxed);
    if (n == kDepotLists) return false;
    lists_[n] = chain;
    size_.store(n + 1, std::memory_order_relaxed);
    return true;
  }

 private:
  SpinLock lock_;
  Chain lists_[kDepotLists] ABSL_GUARDED_BY(lock_);
  // Written under lock_; read without it only to skip the lock when empty.
  std::atomic<int> size_{0};
};

// Constant-initialized and trivially destructible: usable by threads that
// exit during static destruction.
ABSL_CONST_INIT Depot depot;

void DeleteChain(FreeBlock* head) {
  while (head != nullptr) {
    FreeBlock* next = head->next;
    ::operator delete(head);
    head = next;
  }
}

// True once this thread's list was destroyed (the thread is exiting): blocks
// then go straight to operator new/delete. Trivially destructible, so it can
// be read at any point of thread exit.
thread_local bool tls_exiting = false;

// The calling thread's free blocks. Thread-compatible (one per thread).
class FreeList {
 public:
  ~FreeList() {
    tls_exiting = true;
    if (chain_.head != nullptr && !depot.Give(chain_)) DeleteChain(chain_.head);
  }
  void* Pop() {
    if (chain_.head == nullptr) {
      chain_ = depot.Take();
      if (chain_.head == nullptr) return nullptr;
    }
    FreeBlock* block = chain_.head;
    chain_.head = block->next;
    --chain_.count;
    return block;
  }
  void Push(void* p) {
    if (chain_.count == kMaxFreeBlocks) {
      // Full: the list goes to the depot (or, if that is full, the block
      // goes back to operator delete).
      if (!depot.Give(chain_)) {
        ::operator delete(p);
        return;
      }
      chain_ = Chain();
    }
    chain_.head = new (p) FreeBlock{chain_.head};
    ++chain_.count;
  }

 private:
  Chain chain_;
};

thread_local FreeList tls_free;

}  // namespace

void* AllocateRecycledBlock() {
  if (kRecyclingEnabled && !tls_exiting) {
    if (void* block = tls_free.Pop()) return block;
  }
  return ::operator new(kRecycledBlockSize);
}

void FreeRecycledBlock(void* block) {
  if (kRecyclingEnabled && !tls_exiting) {
    tls_free.Push(block);
    return;
  }
  ::operator delete(block);
}

}  // namespace session_internal
}  // namespace gls
