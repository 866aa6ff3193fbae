// Unit tests of gls/session/binding.h: CurSession() and SessionScope, the
// scoped binding of a session to the calling thread.
#include "gls/session/binding.h"

#include <string>

#include "absl/base/attributes.h"
#include "gls/session/session.h"
#include "gls/tests/session_test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::testing::CurTenant;
using ::gls::testing::NewSession;

ABSL_CONST_INIT const SessionKey<std::string> kUser("user");

// Tests that no session is bound by default.
TEST(CurSessionTest, EmptyByDefault) {
  EXPECT_TRUE(CurSession().empty());
  EXPECT_FALSE(CurSession().IsValid());
  EXPECT_FALSE(CurSession().Set(kUser, std::string("x")));
  EXPECT_EQ(CurSession().Get(kUser), nullptr);
}

// Tests that scopes nest and restore the previous binding.
TEST(SessionScopeTest, NestsAndRestores) {
  {
    SessionScope outer(NewSession("outer"));
    EXPECT_EQ(CurTenant(), "outer");
    {
      SessionScope inner(NewSession("inner"));
      EXPECT_EQ(CurTenant(), "inner");
      {
        SessionScope hide((Session()));  // the empty session hides the outer
        EXPECT_TRUE(CurSession().empty());
      }
      EXPECT_EQ(CurTenant(), "inner");
    }
    EXPECT_EQ(CurTenant(), "outer");
  }
  EXPECT_TRUE(CurSession().empty());
}

// Tests that a scope binds a copy of the session it was given, values shared.
TEST(SessionScopeTest, BindsTheGivenSession) {
  Session request = NewSession("acme");
  SessionScope scope(request);
  EXPECT_TRUE(scope.session().SameAs(request));
  EXPECT_TRUE(CurSession().SameAs(request));
  EXPECT_TRUE(CurSession().Set(kUser, std::string("alice")));
  ASSERT_NE(request.Get(kUser), nullptr);
  EXPECT_EQ(*request.Get(kUser), "alice");
}

}  // namespace
}  // namespace gls
