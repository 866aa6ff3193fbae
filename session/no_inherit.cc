#include "gls/session/no_inherit.h"

#include "gls/session/internal/inherit_block.h"

namespace gls {
namespace session_internal {
namespace {

// Depth of NoInheritScopes on this thread.
thread_local int tls_no_inherit = 0;

}  // namespace

bool InheritanceBlocked() { return tls_no_inherit > 0; }

}  // namespace session_internal

NoInheritScope::NoInheritScope() { ++session_internal::tls_no_inherit; }
NoInheritScope::~NoInheritScope() { --session_internal::tls_no_inherit; }

}  // namespace gls
