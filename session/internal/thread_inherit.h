// gls/session/internal/thread_inherit.h
//
// Internal to gls; not for use outside the library.
//
// Implicit session propagation to new threads (the `async` option), in its
// own library (CMake gls_thread_inherit, Bazel //session:thread_inherit)
// because linking it replaces `pthread_create` for the whole program: only
// what needs it (the server factory, for `async`) links it.
//
// Once enabled, every thread the process creates while a session is bound
// starts with that session as its inherited binding
// (session_internal::tls_inherited), which `CurSession()` returns while the
// session is valid and the thread has bound nothing itself. Threads that
// gRPC's own shared libraries create never inherit, nor do threads created
// inside a gls::NoInheritScope. Until enabled, the interposer forwards every
// call unchanged.
//
// gRPC's threads are told apart by the file name of the library that calls
// pthread_create (libgrpc*, libgpr*). When gRPC is linked statically into the
// executable that is impossible, so EnableThreadInheritance refuses.
//
// Example:
//
//   absl::Status s = gls::session_internal::EnableThreadInheritance(
//       reinterpret_cast<const void*>(&grpc_init));
//   if (!s.ok()) gls::LogError(s.message());
//
// Thread-safety: thread-safe.

#ifndef GLS_SESSION_INTERNAL_THREAD_INHERIT_H_
#define GLS_SESSION_INTERNAL_THREAD_INHERIT_H_

#include "absl/status/status.h"

namespace gls {
namespace session_internal {

// Turns inheritance on for every thread created from now on (irreversible).
// `grpc_symbol`, if not null, is the address of a function of gRPC's core
// library: if it does not lie in a shared library named libgrpc*, gRPC is
// linked statically, inheritance stays off and FailedPrecondition says why.
absl::Status EnableThreadInheritance(const void* grpc_symbol);
bool ThreadInheritanceEnabled();

// True if `address` lies in a shared library whose file name starts with
// libgrpc or libgpr.
bool InGrpcLibrary(const void* address);

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_THREAD_INHERIT_H_
