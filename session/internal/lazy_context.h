// gls/session/internal/lazy_context.h
//
// Internal to gls; not for use outside the library.
//
// `LazyContext`: a session's context, either built already or built from the
// request's metadata (a ContextSource, internal/context_source.h) the first
// time something reads it. The server interceptor captures every request this
// way, so a request whose context nothing reads never builds one. `Seal`
// forgets the source before gRPC frees the metadata, building the context
// first if anyone may still read it.
//
// Example:
//
//   LazyContext lazy(&source);     // nothing built
//   lazy.WithSource([](const ContextSource& s) { ... });  // read the headers
//   const Context& ctx = lazy.Get();  // built now, once
//   lazy.Seal(/*build=*/false);    // the source is no longer used
//
// Thread-safety: thread-safe. Reading a built context is one acquire load;
// building, sealing and reading the source hold the object's spin lock.
// Not movable: Get() returns a reference into it.

#ifndef GLS_SESSION_INTERNAL_LAZY_CONTEXT_H_
#define GLS_SESSION_INTERNAL_LAZY_CONTEXT_H_

#include <atomic>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "gls/session/context.h"
#include "gls/session/internal/context_source.h"
#include "gls/session/internal/spin_lock.h"

namespace gls {
namespace session_internal {

class LazyContext {
 public:
  // A context built already.
  explicit LazyContext(Context context);
  // A context built from `source` on first read; `source` must stay valid
  // until Seal.
  explicit LazyContext(const ContextSource* source) : source_(source) {}
  LazyContext(const LazyContext&) = delete;
  LazyContext& operator=(const LazyContext&) = delete;

  // The context, built now if it was not yet (the empty context if the
  // source was sealed without building it).
  const Context& Get() const ABSL_LOCKS_EXCLUDED(lock_) {
    if (const Context* built = built_.load(std::memory_order_acquire)) {
      return *built;
    }
    return BuildSlow();
  }

  // Forgets the source, building the context first if `build` (someone else
  // may still read it). Idempotent.
  void Seal(bool build) ABSL_LOCKS_EXCLUDED(lock_);

  // If the context was not built and the source is attached, calls
  // `fn(source)` under the lock and returns true; else returns false.
  bool WithSource(absl::FunctionRef<void(const ContextSource&)> fn) const
      ABSL_LOCKS_EXCLUDED(lock_);

 private:
  const Context& BuildSlow() const ABSL_LOCKS_EXCLUDED(lock_);
  // Builds the context from the source once.
  void BuildLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);

  mutable SpinLock lock_;
  // The request's metadata as gRPC holds it, until sealed.
  const ContextSource* source_ ABSL_GUARDED_BY(lock_) = nullptr;
  // &storage_ once built; storage_ is written once, under lock_, before.
  mutable std::atomic<const Context*> built_{nullptr};
  mutable Context storage_;
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_LAZY_CONTEXT_H_
