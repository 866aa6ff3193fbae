#include "gls/session/internal/recycling_allocator.h"

#include <new>

namespace gls {
namespace session_internal {
namespace {

// At most this many free blocks per thread.
constexpr int kMaxFreeBlocks = 64;

struct FreeBlock {
  FreeBlock* next;
};

// True once this thread's list was destroyed (the thread is exiting): blocks
// then go straight to operator new/delete. Trivially destructible, so it can
// be read at any point of thread exit.
thread_local bool tls_exiting = false;

class FreeList {
 public:
  ~FreeList() {
    tls_exiting = true;
    while (head_ != nullptr) {
      FreeBlock* next = head_->next;
      ::operator delete(head_);
      head_ = next;
    }
  }
  void* Pop() {
    if (head_ == nullptr) return nullptr;
    FreeBlock* block = head_;
    head_ = block->next;
    --count_;
    return block;
  }
  bool Push(void* p) {
    if (count_ >= kMaxFreeBlocks) return false;
    head_ = new (p) FreeBlock{head_};
    ++count_;
    return true;
  }

 private:
  FreeBlock* head_ = nullptr;
  int count_ = 0;
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
  if (kRecyclingEnabled && !tls_exiting && tls_free.Push(block)) return;
  ::operator delete(block);
}

}  // namespace session_internal
}  // namespace gls
