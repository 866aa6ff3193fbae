// gls/session/internal/session_access.h
//
// Internal to gls; not for use outside the library.
//
// What the implicit inheritance of sessions (internal/thread_inherit.cc)
// needs of a Session beyond its public API: it records which threads
// inherited a session, so that ending the session can warn about those that
// outlive it.
//
// Thread-safety: thread-safe.

#ifndef GLS_SESSION_INTERNAL_SESSION_ACCESS_H_
#define GLS_SESSION_INTERNAL_SESSION_ACCESS_H_

#include <cstdint>

#include "gls/session/session.h"

namespace gls {
namespace session_internal {

struct SessionAccess {
  // Thread `tid` (an OS thread id) inherited `session` and is running.
  static void AddInheritor(const Session& session, int64_t tid);
  // Thread `tid` is about to exit.
  static void RemoveInheritor(const Session& session, int64_t tid);
};

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_SESSION_ACCESS_H_
