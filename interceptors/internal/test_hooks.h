// gls/interceptors/internal/test_hooks.h
//
// Internal to gls; for gls's own tests only.
//
// Test hooks that undo process-wide registrations, as gRPC's
// TestOnlyResetGlobalClientInterceptorFactory does for its own.
//
// Example:
//
//   ASSERT_TRUE(gls::client::RegisterGlobalContextBackup(handler).ok());
//   ...
//   gls::interceptors_internal::TestOnlyResetGlobalContextBackup();
//
// Thread-safety: thread-safe, but no call may be in flight.

#ifndef GLS_INTERCEPTORS_INTERNAL_TEST_HOOKS_H_
#define GLS_INTERCEPTORS_INTERNAL_TEST_HOOKS_H_

namespace gls {
namespace interceptors_internal {

// Forgets the global registration of RegisterGlobalContextBackup (gRPC's and
// gls's) and frees its factory.
void TestOnlyResetGlobalContextBackup();

}  // namespace interceptors_internal
}  // namespace gls

#endif  // GLS_INTERCEPTORS_INTERNAL_TEST_HOOKS_H_
