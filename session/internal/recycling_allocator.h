// gls/session/internal/recycling_allocator.h
//
// Internal to gls; not for use outside the library.
//
// An allocator for std::allocate_shared, and the same blocks for a class's
// own operator new/delete, that keeps a few freed blocks per thread and
// hands them out again, so that a per-request object (a session's state, an
// interceptor) costs no malloc in steady state. Blocks freed on another
// thread go to that thread's list. A list is bounded: a full one, and the
// list of a thread that exits, go to a process-wide depot, from which a
// thread whose list ran empty takes one before it calls operator new (so
// servers that start and end threads all the time still recycle). Under
// AddressSanitizer and ThreadSanitizer it forwards to operator new/delete, so
// they still see every block's life.
//
// Example:
//
//   auto state = std::allocate_shared<State>(RecyclingAllocator<State>(), ...);
//
//   class PerCall {
//    public:
//     static void* operator new(std::size_t size) {
//       return AllocateRecycled(size);
//     }
//     static void operator delete(void* p, std::size_t size) {
//       FreeRecycled(p, size);
//     }
//   };
//
// Thread-safety: thread-safe (each thread has its own list; the depot is
// under a spin lock, taken only when a list runs empty or full and at thread
// exit).

#ifndef GLS_SESSION_INTERNAL_RECYCLING_ALLOCATOR_H_
#define GLS_SESSION_INTERNAL_RECYCLING_ALLOCATOR_H_

#include <cstddef>
#include <new>

namespace gls {
namespace session_internal {

// The block size recycled; larger requests go to operator new.
inline constexpr std::size_t kRecycledBlockSize = 256;

// False under AddressSanitizer and ThreadSanitizer: blocks then come from
// and go back to operator new/delete, so the sanitizers see every block's
// life.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kRecyclingEnabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kRecyclingEnabled = false;
#else
inline constexpr bool kRecyclingEnabled = true;
#endif
#else
inline constexpr bool kRecyclingEnabled = true;
#endif

// A block of kRecycledBlockSize bytes, from this thread's list if it has one.
void* AllocateRecycledBlock();
// Returns a block from AllocateRecycledBlock, to this thread's list if there
// is room.
void FreeRecycledBlock(void* block);

// `size` bytes (aligned as operator new aligns them): a recycled block if it
// fits in one, else from operator new.
inline void* AllocateRecycled(std::size_t size) {
  return size <= kRecycledBlockSize ? AllocateRecycledBlock()
                                    : ::operator new(size);
}
// Frees `p` from AllocateRecycled(size), with the same `size`.
inline void FreeRecycled(void* p, std::size_t size) {
  if (size <= kRecycledBlockSize) {
    FreeRecycledBlock(p);
  } else {
    ::operator delete(p);
  }
}

template <typename T>
class RecyclingAllocator {
 public:
  using value_type = T;

  RecyclingAllocator() = default;
  template <typename U>
  RecyclingAllocator(const RecyclingAllocator<U>&) {}  // NOLINT: rebind

  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= alignof(std::max_align_t), "over-aligned T");
    return static_cast<T*>(AllocateRecycled(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) { FreeRecycled(p, n * sizeof(T)); }

  template <typename U>
  bool operator==(const RecyclingAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const RecyclingAllocator<U>&) const {
    return false;
  }
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_RECYCLING_ALLOCATOR_H_
