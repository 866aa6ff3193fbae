// Unit tests of gls::Session and gls::SessionKey (gls/session/session.h):
// validity, the empty session, the context, and request-local values shared
// by copies.
#include "gls/session/session.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/attributes.h"
#include "gls/session/context.h"
#include "gls/tests/session_test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::testing::NewSession;

ABSL_CONST_INIT const SessionKey<std::string> kUser("user");
ABSL_CONST_INIT const SessionKey<int> kCount("count");

// Tests that the default-constructed session is empty, never valid, has the
// empty context and refuses values.
TEST(SessionTest, EmptySessionHoldsNothing) {
  Session empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_FALSE(empty.IsValid());
  EXPECT_TRUE(empty.context().persistent().empty());
  EXPECT_TRUE(empty.context().SharesRepWith(Context()));
  EXPECT_FALSE(empty.Set(kUser, std::string("x")));
  EXPECT_EQ(empty.Get(kUser), nullptr);
  empty.End();  // harmless
  EXPECT_TRUE(empty.SameAs(Session()));
  EXPECT_FALSE(empty.SameAs(NewSession("a")));
}

// Tests that a new session is valid, holds the context it was given and
// starts with no values.
TEST(SessionTest, NewSessionHoldsItsContext) {
  Context context = Context().WithPersistent("TENANT", "acme");
  Session s(context);
  EXPECT_FALSE(s.empty());
  EXPECT_TRUE(s.IsValid());
  EXPECT_TRUE(s.context().SharesRepWith(context));
  EXPECT_EQ(s.Get(kUser), nullptr);
  EXPECT_FALSE(s.SameAs(Session(context)));  // another session, same context
}

// Tests that typed request-local values are shared by copies and survive
// End().
TEST(SessionTest, ValuesAreSharedAndSurviveEnd) {
  Session s = NewSession("a");
  Session copy = s;
  EXPECT_TRUE(s.IsValid());
  EXPECT_TRUE(copy.Set(kUser, std::string("alice")));
  EXPECT_TRUE(s.Set(kCount, 3));
  ASSERT_NE(s.Get(kUser), nullptr);
  EXPECT_EQ(*s.Get(kUser), "alice");
  EXPECT_EQ(*copy.Get(kCount), 3);
  s.End();
  EXPECT_FALSE(copy.IsValid());
  EXPECT_EQ(*copy.Get(kUser), "alice");  // ended sessions stay readable
  EXPECT_TRUE(copy.SameAs(s));
}

// Tests that keys are compared by identity: two keys with one name are two
// slots, and Set replaces the value of its own key only.
TEST(SessionTest, KeysAreComparedByIdentity) {
  ABSL_CONST_INIT static const SessionKey<std::string> kOtherUser("user");
  EXPECT_EQ(kOtherUser.name(), kUser.name());
  Session s = NewSession("a");
  EXPECT_TRUE(s.Set(kUser, std::string("alice")));
  EXPECT_EQ(s.Get(kOtherUser), nullptr);
  EXPECT_TRUE(s.Set(kOtherUser, std::string("bob")));
  EXPECT_TRUE(s.Set(kUser, std::string("carol")));
  EXPECT_EQ(*s.Get(kUser), "carol");
  EXPECT_EQ(*s.Get(kOtherUser), "bob");
}

// Tests that request-local values take concurrent readers and writers (also
// run under ThreadSanitizer).
TEST(SessionTest, ValuesConcurrentReadersAndWriters) {
  Session s = NewSession("a");
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        std::shared_ptr<const int> v = s.Get(kCount);
        if (v != nullptr) EXPECT_GE(*v, 0);
        std::shared_ptr<const std::string> u = s.Get(kUser);
        if (u != nullptr) EXPECT_EQ(u->substr(0, 4), "user");
      }
    });
  }
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      s.Set(kCount, i);
      s.Set(kUser, "user" + std::to_string(i));
    }
  });
  writer.join();
  stop.store(true);
  for (auto& r : readers) r.join();
  EXPECT_EQ(*s.Get(kCount), 199);
  EXPECT_EQ(*s.Get(kUser), "user199");
}

}  // namespace
}  // namespace gls
