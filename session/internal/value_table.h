// gls/session/internal/value_table.h
//
// Internal to gls; not for use outside the library.
//
// The request-local values of one session (Session::Get / Session::Set):
// from key identity to a shared, immutable value.
//
// Layout: one slot per key ever set, in a singly-linked list (newest key
// first); each slot points at the key's current value. A Set of a known key
// stores a new value (the shared_ptr it was given) and swings the slot's
// pointer to it; a Set of a new key pushes a slot. Slots and values are never
// changed once published and are kept until the table dies (a superseded
// value too, as a reader may be copying it), so Get takes no lock and reads
// no freed memory. Both live in arenas inside the table, grown in doubling
// blocks: the first few Sets of a session allocate nothing here.
//
// Costs: Get walks the slots (one per distinct key: requests set few keys,
// as keys are program constants); Set takes a per-table spin lock (one
// atomic exchange, uncontended unless two threads set values of one session
// at the same instant) and appends 16 bytes. A session that sets a key N times
// keeps N values until it dies, as the copy-on-write table before it did.
//
// Example:
//
//   ValueTable values;
//   values.Set(&kKey, std::make_shared<const int>(1));
//   std::shared_ptr<const void> v = values.Get(&kKey);
//
// Thread-safety: thread-safe; Get never blocks.

#ifndef GLS_SESSION_INTERNAL_VALUE_TABLE_H_
#define GLS_SESSION_INTERNAL_VALUE_TABLE_H_

#include <algorithm>
#include <atomic>
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

  // Returns the value under `key`, or nullptr. Takes no lock.
  std::shared_ptr<const void> Get(KeyId key) const {
    for (const Slot* slot = slots_.load(std::memory_order_acquire);
         slot != nullptr; slot = slot->next) {
      if (slot->key == key) {
        return *slot->value.load(std::memory_order_acquire);
      }
    }
    return nullptr;
  }

  // Stores `value` under `key`, replacing any earlier value. Of concurrent
  // Sets of one key, the one that takes the lock last wins.
  void Set(KeyId key, std::shared_ptr<const void> value) {
    SpinLockHolder hold(&lock_);
    const Value* stored = values_.New(std::move(value));
    Slot* head = slots_.load(std::memory_order_relaxed);
    for (Slot* slot = head; slot != nullptr; slot = slot->next) {
      if (slot->key == key) {
        slot->value.store(stored, std::memory_order_release);
        return;
      }
    }
    slots_.store(slot_arena_.New(key, stored, head), std::memory_order_release);
  }

 private:
  using Value = std::shared_ptr<const void>;

  // One per key ever set. `key` and `next` never change once the slot is
  // published; `value` points into values_.
  struct Slot {
    Slot(KeyId k, const Value* v, Slot* n) : key(k), value(v), next(n) {}
    const KeyId key;
    std::atomic<const Value*> value;
    Slot* const next;  // the slot published before this one
  };

  SpinLock lock_;                      // serializes writers; readers take none
  std::atomic<Slot*> slots_{nullptr};  // newest first
  Arena<Slot, 4, 256> slot_arena_ ABSL_GUARDED_BY(lock_);
  Arena<Value, 4, 1024> values_ ABSL_GUARDED_BY(lock_);
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_VALUE_TABLE_H_
