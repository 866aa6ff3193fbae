// Tests of gls::Task (session/task.h): a Task's body sees its session at every
// resumption on any thread, and each resuming thread keeps its own binding.
// The resumers are plain threads that know nothing of gls: each runs a queue
// of coroutine handles under its own session ("runner-<n>") and checks, after
// every resumption, that it has that binding back. C++20 (coroutines).
#include "gls/session/task.h"

#include <atomic>
#include <condition_variable>
#include <coroutine>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gls/session/binding.h"
#include "gls/session/session.h"
#include "gls/tests/session_test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::testing::CurTenant;
using ::gls::testing::NewSession;

// A thread that resumes coroutine handles in order, under its own session.
class Resumer {
 public:
  explicit Resumer(std::string name)
      : thread_([this, name] {
          SessionScope scope(NewSession(name));
          for (;;) {
            std::coroutine_handle<> h;
            {
              std::unique_lock<std::mutex> lock(mu_);
              cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
              if (queue_.empty()) return;
              h = queue_.front();
              queue_.pop_front();
            }
            h.resume();
            if (CurTenant() != name) leaks_.fetch_add(1);
          }
        }) {}
  ~Resumer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  // Notifies under the lock: the handle may run, and its test end and
  // destroy this Resumer, as soon as the lock is released.
  void Post(std::coroutine_handle<> h) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(h);
    cv_.notify_one();
  }
  // Resumptions after which this thread did not have its own binding back.
  int leaks() const { return leaks_.load(); }

  // `co_await resumer.Schedule()`: resumes on this thread.
  auto Schedule() {
    struct Awaiter {
      Resumer* r;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) const { r->Post(h); }
      void await_resume() const noexcept {}
    };
    return Awaiter{this};
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::coroutine_handle<>> queue_;
  bool stop_ = false;
  std::atomic<int> leaks_{0};
  std::thread thread_;
};

// Counts a Task body's checks and the wrong ones.
struct Tally {
  std::atomic<int> checks{0};
  std::atomic<int> wrong{0};
  std::atomic<int> done{0};
  void Check(const std::string& want) {
    checks.fetch_add(1);
    if (CurTenant() != want) wrong.fetch_add(1);
  }
};

// Waits until `n` tasks reported done.
void WaitDone(const Tally& t, int n) {
  while (t.done.load() < n) std::this_thread::yield();
}

Task<> Hop(std::vector<Resumer*> resumers, int rounds, std::string want,
           Tally* tally) {
  tally->Check(want);
  for (int i = 0; i < rounds; ++i) {
    co_await resumers[i % resumers.size()]->Schedule();
    tally->Check(want);
  }
  tally->done.fetch_add(1);
}

TEST(TaskTest, TwoSessionsInterleavedOnOneThread) {
  Tally tally;
  {
    Resumer loop("runner");
    for (const char* tenant : {"a", "b"}) {
      SessionScope scope(NewSession(tenant));
      StartDetached(Hop({&loop}, 200, tenant, &tally));
    }
    // Created with no session: sees none, although it runs on a thread
    // bound to "runner" that just ran a's and b's bodies.
    StartDetached(Hop({&loop}, 200, "none", &tally));
    WaitDone(tally, 3);
    EXPECT_EQ(loop.leaks(), 0);
  }
  EXPECT_EQ(tally.checks.load(), 3 * 201);
  EXPECT_EQ(tally.wrong.load(), 0);
  EXPECT_TRUE(CurSession().empty()) << "the starting thread kept a binding";
}

TEST(TaskTest, ThousandTasksOverTwoThreads) {
  Tally tally;
  constexpr int kTasks = 1000;
  {
    Resumer r0("runner-0");
    Resumer r1("runner-1");
    for (int i = 0; i < kTasks; ++i) {
      std::string tenant = "t-" + std::to_string(i);
      SessionScope scope(NewSession(tenant));
      StartDetached(Hop({&r0, &r1}, 10, tenant, &tally));
    }
    WaitDone(tally, kTasks);
    EXPECT_EQ(r0.leaks() + r1.leaks(), 0);
  }
  EXPECT_EQ(tally.checks.load(), kTasks * 11);
  EXPECT_EQ(tally.wrong.load(), 0);
}

Task<std::string> Child(Resumer* r) {
  co_await r->Schedule();
  co_return CurTenant();
}

Task<int> Throws(Resumer* r) {
  co_await r->Schedule();
  throw std::runtime_error("boom");
}

TEST(TaskTest, AwaitedTasksValuesAndExceptions) {
  Resumer r("runner");
  std::vector<std::string> seen;
  std::atomic<bool> done{false};
  auto parent = [&]() -> Task<> {
    seen.push_back(co_await Child(&r));  // created here: the parent's session
    seen.push_back(CurTenant());
    Task<std::string> other = [] {
      SessionScope scope(NewSession("other"));
      return Child(nullptr);
    }();
    // (Not awaited: a Task that never starts is just freed.)
    Task<std::string> child = [&] {
      SessionScope scope(NewSession("child"));
      return Child(&r);
    }();
    seen.push_back(co_await std::move(child));
    seen.push_back(CurTenant());
    try {
      co_await Throws(&r);
      seen.push_back("no throw");
    } catch (const std::runtime_error& e) {
      seen.push_back(std::string(e.what()) + " in " + CurTenant());
    }
    done = true;
  };
  {
    SessionScope scope(NewSession("parent"));
    StartDetached(parent());
  }
  while (!done) std::this_thread::yield();
  EXPECT_EQ(seen, (std::vector<std::string>{"parent", "parent", "child",
                                            "parent", "boom in parent"}));
  EXPECT_EQ(r.leaks(), 0);
}

// Awaiters that do not suspend: ready at once, or calling the suspension
// off (await_suspend returns false), or failing to suspend (it throws).
struct Ready {
  bool await_ready() const noexcept { return true; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  int await_resume() const noexcept { return 1; }
};
struct CalledOff {
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<>) const noexcept { return false; }
  int await_resume() const noexcept { return 2; }
};
struct FailsToSuspend {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const {
    throw std::runtime_error("no suspend");
  }
  int await_resume() const noexcept { return 3; }
};
// Reports what the calling thread has bound while it suspends.
struct Peek {
  std::string* seen;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<>) const {
    *seen = CurTenant();
    return false;
  }
  void await_resume() const noexcept {}
};

TEST(TaskTest, AwaitsThatDoNotSuspendKeepTheBinding) {
  std::vector<std::string> seen;
  std::string while_suspending;
  auto body = [&]() -> Task<> {
    seen.push_back(std::to_string(co_await Ready{}) + CurTenant());
    seen.push_back(std::to_string(co_await CalledOff{}) + CurTenant());
    try {
      co_await FailsToSuspend{};
    } catch (const std::runtime_error&) {
      seen.push_back("3" + CurTenant());
    }
    co_await Peek{&while_suspending};
    seen.push_back("4" + CurTenant());
  };
  SessionScope outer(NewSession("outer"));
  {
    SessionScope scope(NewSession("s"));
    Task<> t = body();
    // Started here, under "outer" (the scope "s" only chose its session).
    SessionScope starter(NewSession("starter"));
    StartDetached(std::move(t));
    EXPECT_EQ(CurTenant(), "starter");
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"1s", "2s", "3s", "4s"}));
  EXPECT_EQ(while_suspending, "starter")
      << "the thread had the Task's binding while it suspended";
  EXPECT_EQ(CurTenant(), "outer");
}

TEST(TaskTest, DetachedExceptionIsLoggedNotThrown) {
  testing::LogCapture log;
  Resumer r("runner");
  {
    SessionScope scope(NewSession("s"));
    StartDetached(Throws(&r));
  }
  while (log.lines().empty()) std::this_thread::yield();
  ASSERT_EQ(log.lines().size(), 1u);
  EXPECT_TRUE(absl::StrContains(log.lines()[0], "\"boom\"")) << log.lines()[0];
  EXPECT_EQ(r.leaks(), 0);
}

TEST(TaskTest, SessionIsTheCreatorsAndStaysAfterItEnds) {
  Session s = NewSession("s");
  std::string seen;
  Task<> t = [&]() -> Task<> {
    SessionScope scope(s);
    return [](std::string* out) -> Task<> {
      *out = testing::CurValidTenant();
      co_return;
    }(&seen);
  }();
  EXPECT_TRUE(t.session().SameAs(s));
  s.End();  // the request is over; the Task still sees its values
  StartDetached(std::move(t));
  EXPECT_EQ(seen, "ended");
}

}  // namespace
}  // namespace gls
