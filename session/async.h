// gls/session/async.h
//
// Carrying a session into work that runs on other threads. These carriers are
// explicit and always on, whatever the `async` option says:
//
//   gls::Go(f)              runs f on a new std::thread with the caller's
//                           session bound; returns the thread (join or detach).
//   gls::GoSession(s, f)    the same with the given session.
//   gls::Wrap(f)            a callable that runs f with the session current at
//                           wrap time bound, then restores the running
//                           thread's previous binding.
//   gls::CarrySessions(run) adapts any executor given as a "run this callable"
//                           function so every task it runs carries the session
//                           current at submit time.
//
// A carried session is a snapshot: it stays readable after the request's
// handler returned (its IsValid() turns false, its context and values stay),
// so fire-and-forget work keeps its context, and a downstream call made from
// it still goes out with the request's values.
//
// Example:
//
//   std::thread t = gls::Go([] { CallDownstream(); });  // sees the session
//   t.detach();
//   my_pool.Submit(gls::Wrap([] { CallDownstream(); }));
//   auto run = gls::CarrySessions(
//       [&](std::function<void()> task) { my_pool.Submit(std::move(task)); });
//   run([] { CallDownstream(); });
//
// Thread-safety: all functions are thread-safe. A Wrap()ed callable is as
// thread-safe as the callable it wraps.

#ifndef GLS_SESSION_ASYNC_H_
#define GLS_SESSION_ASYNC_H_

#include <thread>
#include <type_traits>
#include <utility>

#include "gls/session/binding.h"
#include "gls/session/no_inherit.h"
#include "gls/session/session.h"

namespace gls {

// A callable that runs `F` with `session` bound. See Wrap().
template <typename F>
class SessionCarrier {
 public:
  // Carries `session` into every call of `f`.
  SessionCarrier(Session session, F f)
      : session_(std::move(session)), f_(std::move(f)) {}

  // Calls `f` with the session bound; the thread's previous binding is
  // restored after.
  template <typename... Args>
  decltype(auto) operator()(Args&&... args) {
    SessionScope scope(session_);
    return f_(std::forward<Args>(args)...);
  }
  // Calls `f` (const) with the session bound; the previous binding is
  // restored after.
  template <typename... Args>
  decltype(auto) operator()(Args&&... args) const {
    SessionScope scope(session_);
    return f_(std::forward<Args>(args)...);
  }

 private:
  Session session_;
  F f_;
};

// Returns a callable running `f` with the calling thread's current session
// (possibly the empty one, which then hides any binding where it runs).
template <typename F>
SessionCarrier<std::decay_t<F>> Wrap(F&& f) {
  return SessionCarrier<std::decay_t<F>>(CurSession(), std::forward<F>(f));
}

// Returns a callable running `f` with `session` bound.
template <typename F>
SessionCarrier<std::decay_t<F>> WrapSession(Session session, F&& f) {
  return SessionCarrier<std::decay_t<F>>(std::move(session),
                                         std::forward<F>(f));
}

// Starts `f` on a new thread with `session` bound.
template <typename F>
std::thread GoSession(Session session, F&& f) {
  NoInheritScope no_inherit;  // the thread binds `session` explicitly
  return std::thread(WrapSession(std::move(session), std::forward<F>(f)));
}

// Starts `f` on a new thread with the caller's current session bound.
template <typename F>
std::thread Go(F&& f) {
  return GoSession(CurSession(), std::forward<F>(f));
}

// Adapts an executor: `run` is any callable that accepts a task (a
// void() callable) and runs it somewhere, e.g. a lambda submitting to your own
// pool. The result accepts tasks the same way and wraps each with the session
// current when it is submitted.
template <typename Run>
auto CarrySessions(Run run) {
  return [run = std::move(run)](auto&& task) mutable {
    return run(Wrap(std::forward<decltype(task)>(task)));
  };
}

}  // namespace gls

#endif  // GLS_SESSION_ASYNC_H_
