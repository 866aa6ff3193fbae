// gls/session/internal/thread_inherit.h
//
// Internal to gls; not for use outside the library.
//
// Implicit session propagation to new threads (the `async` option): once
// enabled, every thread the process creates while a session is bound starts
// with that session as its inherited binding (session_internal::tls_inherited),
// which `CurSession()` returns while the session is valid and the thread has
// bound nothing itself. Threads that gRPC's own libraries create never inherit.
//
// It works by interposing `pthread_create` (which `std::thread` and
// `std::async(std::launch::async, ...)` use). Until enabled, the interposer
// forwards every call unchanged.
//
// Thread-safety: thread-safe.

#ifndef GLS_SESSION_INTERNAL_THREAD_INHERIT_H_
#define GLS_SESSION_INTERNAL_THREAD_INHERIT_H_

namespace gls {
namespace session_internal {

// Turns inheritance on for every thread created from now on (irreversible).
void EnableThreadInheritance();
bool ThreadInheritanceEnabled();

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_THREAD_INHERIT_H_
