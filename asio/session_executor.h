// gls/asio/session_executor.h
//
// Sessions on Asio event loops and in Asio coroutines. Many requests'
// handlers and coroutines interleave on one `asio::io_context` thread and
// resume on whichever thread completes their I/O, so a binding made by the
// thread that called `run()` is wrong for all of them. A
// `gls::asio::SessionExecutor` carries one session with the executor instead:
// every function it runs runs with that session bound (gls::CurSession()),
// and the running thread's previous binding is restored right after, inline
// `dispatch` included. A coroutine spawned on it sees its session at every
// resumption, on any thread, and nothing of it is left on the thread between
// resumptions.
//
//   gls::asio::WithSession(ex)           `ex` carrying the calling thread's
//                                        current session (in a handler: its
//                                        request's).
//   gls::asio::WithSession(ex, session)  `ex` carrying `session`;
//                                        gls::Session() (the empty session)
//                                        makes an executor whose work sees
//                                        no session, whatever the thread had.
//
// SessionExecutor is a complete standard Asio executor: `execute`, `query`,
// `require` and `prefer` forward to the wrapped executor (results of
// `require`/`prefer` stay wrapped), equality compares both the executor and
// the session. It converts to `asio::any_io_executor`, works inside and
// around strands, with `asio::bind_executor`, `asio::co_spawn`, `post`,
// `dispatch` and `defer`, and as an I/O object's or a timer's executor.
//
// Example (in a gRPC handler or reactor, where the request's session is
// bound):
//
//   asio::co_spawn(gls::asio::WithSession(io.get_executor()),
//                  FanOut(), asio::detached);
//
//   asio::awaitable<void> FanOut() {
//     co_await timer.async_wait(asio::use_awaitable);
//     CallDownstream();  // gls::CurSession() is the request's session
//   }
//
// Each WithSession() allocates one small block holding the session, shared
// by the executor's copies: make the executor once per request or coroutine,
// not per operation. What it adds per handler is in BENCHMARKS.md.
//
// Limits: only work that runs through the executor carries its session. A
// coroutine spawned on a plain executor, or a plain callback handed to a
// thread by other means, sees what its thread has bound (on io_context
// threads gls binds nothing, so: no session, unless the thread inherited one
// under the server's async=true); wrap such an executor in
// WithSession(ex, gls::Session()) to make that explicit. A strand made from
// a SessionExecutor runs each batch of its handlers under the executor's one
// session; a SessionExecutor wrapping a strand binds per handler.
//
// Requires Asio's standalone headers (Debian's libasio-dev, namespace
// `asio`); C++17 for the executor, C++20 for coroutines. CMake target
// gls::asio, Bazel //asio.
//
// Thread-safety: SessionExecutor is as thread-safe as the executor it wraps
// (Asio's own are: copies may be used from any thread); the session it holds
// is thread-safe.

#ifndef GLS_ASIO_SESSION_EXECUTOR_H_
#define GLS_ASIO_SESSION_EXECUTOR_H_

#include <memory>
#include <type_traits>
#include <utility>

#include "asio/execution.hpp"
#include "asio/prefer.hpp"
#include "asio/query.hpp"
#include "asio/require.hpp"
#include "gls/session/binding.h"
#include "gls/session/session.h"

namespace gls {
namespace asio {

namespace asio_internal {

// What a moved-from SessionExecutor carries.
inline const Session kEmptySession;

// The function SessionExecutor::execute hands to the wrapped executor: runs
// `F` with the session bound, then restores the running thread's binding.
// Owns its copy of the session; binds it without another copy.
template <typename F>
class SessionBound {
 public:
  template <typename G>
  SessionBound(std::shared_ptr<const Session> session, G&& f)
      : session_(std::move(session)), f_(std::forward<G>(f)) {}
  SessionBound(SessionBound&&) = default;
  SessionBound(const SessionBound&) = default;

  void operator()() {
    // (Null only when made from a moved-from executor: bind no session.)
    session_internal::BorrowedScope scope(session_ ? session_.get()
                                                   : &kEmptySession);
    std::move(f_)();
  }

 private:
  std::shared_ptr<const Session> session_;
  F f_;
};

}  // namespace asio_internal

// An Asio executor that runs every function under one gls::Session. See the
// file comment.
template <typename Executor>
class SessionExecutor {
 public:
  // The wrapped executor's type.
  using inner_executor_type = Executor;

  // Wraps `ex`; work run through it sees `session`. Use WithSession.
  SessionExecutor(Executor ex, Session session)
      : ex_(std::move(ex)),
        session_(std::make_shared<const Session>(std::move(session))) {}

  // From a SessionExecutor of a convertible executor (e.g. a
  // SessionExecutor<io_context::executor_type> to a
  // SessionExecutor<any_io_executor>).
  template <typename Other, typename = std::enable_if_t<
                                !std::is_same_v<Other, Executor> &&
                                std::is_convertible_v<const Other&, Executor>>>
  SessionExecutor(const SessionExecutor<Other>& other) noexcept  // NOLINT
      : ex_(other.inner_executor()), session_(other.session_) {}

  // Copies share the session (one reference count).
  SessionExecutor(const SessionExecutor&) noexcept = default;
  // Moves the session on; the moved-from executor carries the empty one.
  SessionExecutor(SessionExecutor&&) noexcept = default;
  // Copies the executor and shares the session.
  SessionExecutor& operator=(const SessionExecutor&) noexcept = default;
  // Moves the executor and the session.
  SessionExecutor& operator=(SessionExecutor&&) noexcept = default;

  // The wrapped executor and the session its work runs under.
  const Executor& inner_executor() const noexcept { return ex_; }
  // (A moved-from SessionExecutor carries the empty session.)
  const Session& session() const noexcept {
    return session_ ? *session_ : asio_internal::kEmptySession;
  }

  // Runs `f` on the wrapped executor with session() bound. (Each overload
  // pair here has an rvalue form: Asio calls them on the temporaries of
  // `require`/`prefer` chains, whose session is moved on instead of copied,
  // so a post or dispatch touches the session's reference count once.)
  template <typename F>
  void execute(F&& f) const& {
    ::asio::execution::execute(ex_, Bound<F>(session_, std::forward<F>(f)));
  }
  // The rvalue form: moves the session into the function's binding.
  template <typename F>
  void execute(F&& f) && {
    ::asio::execution::execute(
        std::move(ex_), Bound<F>(std::move(session_), std::forward<F>(f)));
  }

  // Properties, forwarded to the wrapped executor.
  template <typename Property>
  auto query(const Property& p) const
      noexcept(noexcept(::asio::query(std::declval<const Executor&>(), p)))
          -> decltype(::asio::query(std::declval<const Executor&>(), p)) {
    return ::asio::query(ex_, p);
  }

  // `require`d of the wrapped executor, wrapped with the same session.
  template <typename Property>
  auto require(const Property& p) const& -> SessionExecutor<std::decay_t<
      decltype(::asio::require(std::declval<const Executor&>(), p))>> {
    return {::asio::require(ex_, p), session_};
  }
  // The rvalue form of require: moves the session on.
  template <typename Property>
  auto require(const Property& p) && -> SessionExecutor<
      std::decay_t<decltype(::asio::require(std::declval<Executor&&>(), p))>> {
    return {::asio::require(std::move(ex_), p), std::move(session_)};
  }

  // `prefer`red of the wrapped executor, wrapped with the same session.
  template <typename Property>
  auto prefer(const Property& p) const& -> SessionExecutor<std::decay_t<
      decltype(::asio::prefer(std::declval<const Executor&>(), p))>> {
    return {::asio::prefer(ex_, p), session_};
  }
  // The rvalue form of prefer: moves the session on.
  template <typename Property>
  auto prefer(const Property& p) && -> SessionExecutor<
      std::decay_t<decltype(::asio::prefer(std::declval<Executor&&>(), p))>> {
    return {::asio::prefer(std::move(ex_), p), std::move(session_)};
  }

  // Equal if the wrapped executors are and they carry the same session.
  friend bool operator==(const SessionExecutor& a,
                         const SessionExecutor& b) noexcept {
    return a.ex_ == b.ex_ &&
           (a.session_ == b.session_ ||
            (a.session().SameAs(b.session()) &&
             a.session().detached() == b.session().detached()));
  }
  // Not operator==.
  friend bool operator!=(const SessionExecutor& a,
                         const SessionExecutor& b) noexcept {
    return !(a == b);
  }

 private:
  template <typename>
  friend class SessionExecutor;
  template <typename F>
  using Bound = asio_internal::SessionBound<std::decay_t<F>>;

  SessionExecutor(Executor ex, std::shared_ptr<const Session> session) noexcept
      : ex_(std::move(ex)), session_(std::move(session)) {}

  Executor ex_;
  // Shared by copies: with an io_context's executor, a SessionExecutor is
  // three pointers, small enough for any_io_executor to hold in place.
  std::shared_ptr<const Session> session_;
};

// `ex` carrying `session`.
template <typename Executor>
SessionExecutor<std::decay_t<Executor>> WithSession(Executor&& ex,
                                                    Session session) {
  return {std::forward<Executor>(ex), std::move(session)};
}

// `ex` carrying the calling thread's current session (gls::CurSession()).
template <typename Executor>
SessionExecutor<std::decay_t<Executor>> WithSession(Executor&& ex) {
  return {std::forward<Executor>(ex), CurSession()};
}

}  // namespace asio
}  // namespace gls

#endif  // GLS_ASIO_SESSION_EXECUTOR_H_
