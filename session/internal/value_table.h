// gls/session/internal/value_table.h
//
// Internal to gls; not for use outside the library.
//
// The request-local values of one session (Session::Get / Session::Set):
// from key identity to a shared, immutable value.
//
// Layout: one slot per key ever set, in a singly-linked list (newest key
// first), holding the key's current value. A Set of a known key replaces the
// slot's value, freeing the old one (a reader that copied it keeps its own
// reference); a Set of a new key pushes a slot. Memory is bounded by the
// number of distinct keys, however often a long request (a stream) sets
// them. Slots live in an arena inside the table, grown in doubling blocks:
// the first few keys of a session allocate nothing here.
//
// Costs: Get and Set walk the slots (one per distinct key: requests set few
// keys, as keys are program constants) under a per-table spin lock: one
// atomic exchange, uncontended unless two threads use values of one session
// at the same instant; the value's own reference count is the only other
// shared write.
//
// Example:
//
//   ValueTable values;
//   values.Set(&kKey, std::make_shared<const int>(1));
//   std::shared_ptr<const void> v = values.Get(&kKey);
//
// Thread-safety: thread-safe; Get and Set hold the table's spin lock only
// for the walk and one shared_ptr copy or swap.

#ifndef GLS_SESSION_INTERNAL_VALUE_TABLE_H_
#define GLS_SESSION_INTERNAL_VALUE_TABLE_H_

#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "gls/session/internal/spin_lock.h"
#include "gls/session/session.h"

namespace gls {
namespace session_internal {

// Objects allocated one after another and never freed before the arena: the
// first kInline inside the arena itself, then heap blocks of doubling
// capacity (at most kMaxBlock objects). Objects never move. Destroys every
// object it made, newest block first. Thread-compatible.
template <typename T, size_t kInline, size_t kMaxBlock>
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() {
    Block* block = last_;
    T* end = next_;
    while (block != nullptr) {
      Destroy(block->items(), end);
      Block* prev = block->prev;
      ::operator delete(block);
      block = prev;
      end = block == nullptr ? InlineItems() + kInline
                             : block->items() + block->capacity;
    }
    Destroy(InlineItems(), end);
  }

  template <typename... Args>
  T* New(Args&&... args) {
    if (ABSL_PREDICT_FALSE(next_ == end_)) Grow();
    return new (next_++) T(std::forward<Args>(args)...);
  }

 private:
  struct alignas(alignof(std::max_align_t)) Block {
    Block* prev;
    size_t capacity;
    T* items() { return reinterpret_cast<T*>(this + 1); }
  };
  static_assert(alignof(T) <= alignof(std::max_align_t), "over-aligned T");

  T* InlineItems() { return reinterpret_cast<T*>(inline_); }

  ABSL_ATTRIBUTE_NOINLINE void Grow() {
    const size_t capacity = last_ == nullptr
                                ? std::max<size_t>(2 * kInline, 8)
                                : std::min(2 * last_->capacity, kMaxBlock);
    void* memory = ::operator new(sizeof(Block) + capacity * sizeof(T));
    last_ = new (memory) Block{last_, capacity};
    next_ = last_->items();
    end_ = next_ + capacity;
  }

  static void Destroy(T* begin, T* end) {
    for (T* p = begin; p != end; ++p) p->~T();
  }

  alignas(T) unsigned char inline_[kInline * sizeof(T)];
  T* next_ = InlineItems();
  T* end_ = InlineItems() + kInline;
  Block* last_ = nullptr;  // the block next_ points into, if not inline_
};

// Request-local values (see above). Thread-safe.
class ValueTable {
 public:
  ValueTable() = default;
  ValueTable(const ValueTable&) = delete;
  ValueTable& operator=(const ValueTable&) = delete;

  // Returns the value under `key`, or nullptr.
  std::shared_ptr<const void> Get(KeyId key) const {
    SpinLockHolder hold(&lock_);
    const Slot* slot = Find(key);
    return slot == nullptr ? nullptr : slot->value;
  }

  // Stores `value` under `key`, replacing any earlier value (freed here
  // unless a reader still holds it). Of concurrent Sets of one key, the one
  // that takes the lock last wins.
  void Set(KeyId key, std::shared_ptr<const void> value) {
    SpinLockHolder hold(&lock_);
    if (Slot* slot = Find(key)) {
      // The old value moves into `value`, a parameter: it is freed after the
      // lock is released, so its destructor may use this table.
      slot->value.swap(value);
    } else {
      head_ = slots_.New(key, std::move(value), head_);
    }
  }

 private:
  // One per key ever set: `key` and `next` never change.
  struct Slot {
    Slot(KeyId k, std::shared_ptr<const void> v, Slot* n)
        : key(k), value(std::move(v)), next(n) {}
    const KeyId key;
    std::shared_ptr<const void> value;
    Slot* const next;  // the slot added before this one
  };

  Slot* Find(KeyId key) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    for (Slot* slot = head_; slot != nullptr; slot = slot->next) {
      if (slot->key == key) return slot;
    }
    return nullptr;
  }

  mutable SpinLock lock_;
  Slot* head_ ABSL_GUARDED_BY(lock_) = nullptr;  // newest first
  Arena<Slot, 4, 256> slots_ ABSL_GUARDED_BY(lock_);
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_VALUE_TABLE_H_
