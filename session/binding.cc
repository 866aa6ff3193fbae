#include "gls/session/binding.h"

namespace gls {
namespace session_internal {
namespace {

const Session& EmptySession() {
  static const Session* const kEmpty = new Session();
  return *kEmpty;
}

}  // namespace

const Session& CurSessionSlow() {
  const Session* inherited = tls_inherited;
  if (inherited != nullptr && inherited->IsValid()) return *inherited;
  return EmptySession();
}

}  // namespace session_internal
}  // namespace gls
