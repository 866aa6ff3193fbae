// gls/session/internal/inherit_block.h
//
// Internal to gls; not for use outside the library.
//
// Whether the calling thread is inside a gls::NoInheritScope, for the
// pthread_create interposer (internal/thread_inherit.cc).
//
// Thread-safety: acts on the calling thread only.

#ifndef GLS_SESSION_INTERNAL_INHERIT_BLOCK_H_
#define GLS_SESSION_INTERNAL_INHERIT_BLOCK_H_

namespace gls {
namespace session_internal {

// True while a NoInheritScope is alive on the calling thread.
bool InheritanceBlocked();

}  // namespace session_internal
}  // namespace gls

#endif  // GLS_SESSION_INTERNAL_INHERIT_BLOCK_H_
