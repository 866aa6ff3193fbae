// gls/session/task.h
//
// `gls::Task<T>`: a C++20 coroutine task type that carries a session across
// every `co_await`, for coroutines that do not run on Asio (for those, see
// gls/asio/session_executor.h). A Task is bound to the session current where
// its coroutine function was called (in a handler: its request's; in another
// Task: that Task's). Its body sees that session at every resumption, on
// whatever thread resumes it, and leaves nothing of it behind: at each
// suspension the resuming thread gets its own binding back.
//
// It works by wrapping every awaited object (the promise's await_transform),
// so any awaitable can be awaited: another Task, a thread pool's "schedule"
// awaiter, a callback-based operation. Tasks are lazy: they start when
// awaited, or when handed to gls::StartDetached.
//
// Example:
//
//   gls::Task<std::string> LookUp(std::string key) {
//     co_await pool.Schedule();              // resumes on a pool thread
//     return CallDownstream(key);            // carries the request's values
//   }
//   gls::Task<> Handle() {
//     std::string v = co_await LookUp("k");  // LookUp has Handle's session
//     ...
//   }
//   gls::StartDetached(Handle());  // in a handler: runs under its request
//
// Limits:
// - Only code in the Task's own body (and Tasks it awaits) is covered. A
//   callback the body hands to another thread does not carry the session:
//   wrap it (gls::Wrap, async.h).
// - A gls::SessionScope opened in a Task body lasts until the next co_await
//   at most: after a resumption the body sees the Task's session again. To
//   run part of a coroutine under another session, await a Task created
//   under that scope.
// - The session is fixed when the coroutine function is called (a Task
//   created outside any request carries the empty session: its body sees no
//   session, whatever the resuming thread had bound).
// - An exception that leaves a detached Task is logged (gls::LogError) and
//   dropped; an awaited Task's exception is rethrown to its awaiter.
//
// Requires C++20 coroutines (the rest of gls is C++17).
//
// Thread-safety: a Task is a move-only handle, thread-compatible: await it
// or start it once, from one thread. Its body may be resumed on any thread,
// one resumption at a time (as for any coroutine).

#ifndef GLS_SESSION_TASK_H_
#define GLS_SESSION_TASK_H_

#if !defined(__cpp_impl_coroutine) || __cplusplus < 202002L
#error "gls/session/task.h needs C++20 coroutines (-std=c++20)"
#endif

#include <coroutine>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "gls/session/binding.h"
#include "gls/session/log.h"
#include "gls/session/session.h"

namespace gls {

template <typename T = void>
class Task;

namespace task_internal {

// One coroutine frame's binding: bound from each resumption to the next
// suspension. Touched only by the thread running the frame.
class FrameBinding {
 public:
  explicit FrameBinding(Session session) : session_(std::move(session)) {}
  // Binds the frame's session on the calling thread, remembering what was
  // bound; no-op if already bound.
  void Enter() {
    if (entered_) return;
    prev_ = session_internal::tls_current.load(std::memory_order_relaxed);
    session_internal::tls_current.store(&session_, std::memory_order_relaxed);
    entered_ = true;
  }
  // Gives the calling thread its own binding back; no-op if not bound.
  void Leave() {
    if (!entered_) return;
    session_internal::tls_current.store(prev_, std::memory_order_relaxed);
    entered_ = false;
  }
  const Session& session() const { return session_; }

 private:
  const Session session_;
  const Session* prev_ = nullptr;
  bool entered_ = false;
};

// The awaiter of `co_await x`, as the language finds it.
template <typename A>
decltype(auto) GetAwaiter(A&& a) {
  if constexpr (requires { std::forward<A>(a).operator co_await(); }) {
    return std::forward<A>(a).operator co_await();
  } else if constexpr (requires { operator co_await(std::forward<A>(a)); }) {
    return operator co_await(std::forward<A>(a));
  } else {
    return std::forward<A>(a);  // a reference: lives for the co_await
  }
}

// Wraps an awaiter: unbinds the frame before it suspends, binds it again when
// it resumes (also when the suspension is called off or throws).
template <typename Awaiter>
class Rebinding {
 public:
  Rebinding(FrameBinding* binding, Awaiter&& awaiter)
      : binding_(binding), awaiter_(std::forward<Awaiter>(awaiter)) {}

  bool await_ready() { return awaiter_.await_ready(); }

  template <typename Promise>
  auto await_suspend(std::coroutine_handle<Promise> h) {
    using Result = decltype(awaiter_.await_suspend(h));
    binding_->Leave();
    // Once the inner await_suspend ran, another thread may be resuming this
    // frame: touch binding_ only where it cannot be (false, or a throw).
    try {
      if constexpr (std::is_same_v<Result, bool>) {
        bool suspended = awaiter_.await_suspend(h);
        if (!suspended) binding_->Enter();
        return suspended;
      } else {
        return awaiter_.await_suspend(h);  // void or a coroutine handle
      }
    } catch (...) {
      binding_->Enter();
      throw;
    }
  }

  decltype(auto) await_resume() {
    binding_->Enter();
    return awaiter_.await_resume();
  }

 private:
  FrameBinding* const binding_;
  Awaiter awaiter_;
};

// What Task<T> and Task<void> promises share.
class PromiseBase {
 public:
  PromiseBase() : binding_(CurSession()) {}

  // Lazy start; binds the frame when it first runs.
  struct Start {
    FrameBinding* binding;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    void await_resume() const noexcept { binding->Enter(); }
  };
  Start initial_suspend() noexcept { return Start{&binding_}; }

  // Unbinds, then resumes the awaiter (or, detached, frees the frame).
  struct Finish {
    PromiseBase* promise;
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(
        std::coroutine_handle<> h) const noexcept {
      promise->binding_.Leave();
      std::coroutine_handle<> next = promise->continuation_;
      if (promise->detached_) {
        promise->ReportDetachedException();
        h.destroy();
      }
      return next ? next : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  Finish final_suspend() noexcept { return Finish{this}; }

  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  template <typename A>
  auto await_transform(A&& a) {
    using Awaiter = decltype(GetAwaiter(std::forward<A>(a)));
    return Rebinding<Awaiter>(&binding_, GetAwaiter(std::forward<A>(a)));
  }

  const Session& session() const { return binding_.session(); }
  void set_continuation(std::coroutine_handle<> c) { continuation_ = c; }
  void set_detached() { detached_ = true; }

 protected:
  void RethrowIfFailed() {
    if (exception_) std::rethrow_exception(exception_);
  }

 private:
  void ReportDetachedException() noexcept {
    if (!exception_) return;
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(exception_);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    LogError("a detached gls::Task ended with an exception: " +
             QuoteForLog(what));
  }

  FrameBinding binding_;
  std::coroutine_handle<> continuation_;
  std::exception_ptr exception_;
  bool detached_ = false;
};

template <typename T>
class Promise : public PromiseBase {
 public:
  Task<T> get_return_object() noexcept;
  template <typename U>
  void return_value(U&& value) {
    value_.emplace(std::forward<U>(value));
  }
  T TakeResult() {
    RethrowIfFailed();
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

template <>
class Promise<void> : public PromiseBase {
 public:
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void TakeResult() { RethrowIfFailed(); }
};

}  // namespace task_internal

// A lazy coroutine task carrying a session. See the file comment.
template <typename T>
class [[nodiscard]] Task {
 public:
  // The coroutine promise (gls's own; what makes the body rebind its session
  // at each resumption).
  using promise_type = task_internal::Promise<T>;

  // Takes the coroutine over; `other` is left empty.
  Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  // Destroys the coroutine this holds, if any, and takes `other`'s over.
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  // The session the body runs under.
  const Session& session() const { return h_.promise().session(); }

  // Starts the task and resumes the awaiter when it is done, with its value
  // (or its exception).
  auto operator co_await() && noexcept {
    struct Awaiter {
      std::coroutine_handle<promise_type> h;
      bool await_ready() const noexcept { return !h || h.done(); }
      std::coroutine_handle<> await_suspend(
          std::coroutine_handle<> awaiting) const noexcept {
        h.promise().set_continuation(awaiting);
        return h;
      }
      T await_resume() const { return h.promise().TakeResult(); }
    };
    return Awaiter{h_};
  }

  // Starts `task` on the calling thread; it frees itself when it ends.
  template <typename U>
  friend void StartDetached(Task<U> task);

 private:
  friend class task_internal::Promise<T>;
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}

  std::coroutine_handle<promise_type> h_;
};

// Starts `task` now, on the calling thread; it runs to its end on whatever
// threads resume it, and frees itself. An exception leaving it is logged
// through gls::LogError.
template <typename U>
void StartDetached(Task<U> task) {
  auto h = std::exchange(task.h_, {});
  if (!h) return;
  h.promise().set_detached();
  h.resume();
}

namespace task_internal {
template <typename T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace task_internal

}  // namespace gls

#endif  // GLS_SESSION_TASK_H_
