// gls/session/no_inherit.h
//
// `gls::NoInheritScope` opts threads out of implicit session inheritance.
//
// With `async=true` (server option or CLOUDWEGO_SESSION_CONFIG_KEY), a thread
// created while a request's session is bound inherits that session for as
// long as the request is in flight. gls cannot tell a one-shot thread from a
// long-lived one: a worker, logger or client-library thread started lazily by
// request A runs, while A is in flight, every task other requests hand it
// under A's session, and their outbound calls carry A's values. Code that
// starts such shared threads does so under a NoInheritScope: threads created
// on this thread while the scope is alive (and their descendants) inherit
// nothing, whatever `async` says. gls's own carriers (gls::ThreadPool,
// gls::Go, gls::GoSession) already start their threads this way.
//
// When a thread that inherited a session outlives the request, gls logs one
// warning naming the thread (see Session::End).
//
// Example:
//
//   Worker& SharedWorker() {
//     static Worker* worker = [] {
//       gls::NoInheritScope no_inherit;  // the worker serves every request
//       return new Worker();             // starts its std::thread here
//     }();
//     return *worker;
//   }
//
// Thread-safety: acts on the calling thread only; scopes nest and must end on
// the thread that created them, in LIFO order.

#ifndef GLS_SESSION_NO_INHERIT_H_
#define GLS_SESSION_NO_INHERIT_H_

namespace gls {

// While it lives, threads the calling thread creates inherit no session
// (async=true). Thread-compatible: create and destroy on one thread.
class NoInheritScope {
 public:
  NoInheritScope();
  NoInheritScope(const NoInheritScope&) = delete;
  NoInheritScope& operator=(const NoInheritScope&) = delete;
  ~NoInheritScope();
};

}  // namespace gls

#endif  // GLS_SESSION_NO_INHERIT_H_
