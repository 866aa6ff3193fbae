// End-to-end test of the hazard of `async=true` and its opt-out, with real
// servers: request A's handler lazily starts a shared worker thread (a plain
// std::thread serving a queue). While A is in flight, requests B (its own
// tenant) and C (no metainfo) hand tasks to that worker, and the tasks call
// the leaf with a fresh ClientContext.
//
//   - Started under gls::NoInheritScope, the worker inherits nothing: B's and
//     C's tasks never carry A's tenant.
//   - Started without it, the worker inherits A's session: B's and C's tasks
//     go out with A's tenant (the hazard docs/async.md describes), and when
//     A ends gls logs the warning naming the worker thread.
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/session/no_inherit.h"
#include "gls/tests/session_test_util.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"

namespace gls {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;

// A worker thread started on first use, serving tasks from every request.
class LazyWorker {
 public:
  explicit LazyWorker(bool opt_out) : opt_out_(opt_out) {}
  ~LazyWorker() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

  void Start() {
    absl::MutexLock lock(&mu_);
    if (thread_.joinable()) return;
    if (opt_out_) {
      NoInheritScope no_inherit;
      thread_ = std::thread([this] { Loop(); });
    } else {
      thread_ = std::thread([this] { Loop(); });
    }
  }

  void Submit(std::function<void()> task) {
    absl::MutexLock lock(&mu_);
    tasks_.push_back(std::move(task));
  }

 private:
  void Loop() {
    while (true) {
      std::function<void()> task;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](LazyWorker* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
              return w->stop_ || !w->tasks_.empty();
            },
            this));
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  const bool opt_out_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Request "A" starts the worker and stays in flight until released; any
// other request hands one leaf call to the worker and returns the tenant the
// leaf saw.
class Front final : public Greeter::Service {
 public:
  Front(std::shared_ptr<grpc::Channel> leaf, bool opt_out)
      : stub_(Greeter::NewStub(std::move(leaf))), worker_(opt_out) {}

  grpc::Status SayHello(grpc::ServerContext*, const HelloRequest* request,
                        HelloReply* reply) override {
    if (request->name() == "A") {
      worker_.Start();
      a_started_.Notify();
      a_release_.WaitForNotification();
      return grpc::Status::OK;
    }
    std::promise<std::string> seen;
    worker_.Submit([&] {
      grpc::Status status;
      HelloReply leaf = testing::CallGreeter(*stub_, "task", {}, &status);
      std::string tenant = "none";
      if (!status.ok()) {
        tenant = "error";
      } else if (leaf.hops_size() == 1) {
        auto it = leaf.hops(0).metadata().find("rpc-persist-tenant");
        if (it != leaf.hops(0).metadata().end()) tenant = it->second;
      }
      seen.set_value(tenant);
    });
    reply->set_message(seen.get_future().get());
    return grpc::Status::OK;
  }

  absl::Notification a_started_, a_release_;

 private:
  std::unique_ptr<Greeter::Stub> stub_;
  LazyWorker worker_;
};

struct Outcome {
  std::string b, c;
  std::vector<std::string> warnings;
};

Outcome RunScenario(bool opt_out) {
  testing::LogCapture log;
  Outcome outcome;
  {
    testing::LeafGreeter leaf("leaf");
    testing::TestServer leaf_server({&leaf}, /*backup=*/false);
    Front front(leaf_server.BackupChannel(client::RestoreMissingPersistent),
                opt_out);
    testing::TestServer front_server({&front}, /*backup=*/true,
                                     /*async=*/true);
    auto stub = Greeter::NewStub(front_server.Channel());

    std::thread a([&] {
      grpc::Status status;
      testing::CallGreeter(*stub, "A", {{"rpc-persist-tenant", "tenant-a"}},
                           &status);
      EXPECT_TRUE(status.ok()) << status.error_message();
    });
    front.a_started_.WaitForNotification();
    outcome.b =
        testing::CallGreeter(*stub, "B", {{"rpc-persist-tenant", "tenant-b"}})
            .message();
    outcome.c = testing::CallGreeter(*stub, "C", {}).message();
    front.a_release_.Notify();
    a.join();
    // A's session ends when gRPC destroys its interceptor, just after the
    // reply went out: give it a moment.
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (absl::Now() < deadline) {
      if (!log.lines().empty() || opt_out) break;
      absl::SleepFor(absl::Milliseconds(5));
    }
    if (opt_out) absl::SleepFor(absl::Milliseconds(100));
  }
  for (const std::string& line : log.lines()) {
    if (absl::StrContains(line, "async=true")) outcome.warnings.push_back(line);
  }
  return outcome;
}

// Tests that a worker started under NoInheritScope never runs other
// requests' tasks under A's session, and that nothing is logged.
TEST(AsyncHazardTest, OptedOutWorkerNeverCarriesAnotherRequest) {
  Outcome outcome = RunScenario(/*opt_out=*/true);
  EXPECT_EQ(outcome.b, "none");
  EXPECT_EQ(outcome.c, "none");
  EXPECT_TRUE(outcome.warnings.empty()) << outcome.warnings[0];
}

// Tests that without the opt-out the hazard is real (B's and C's tasks carry
// A's tenant) and that gls says so when A ends, naming the request.
TEST(AsyncHazardTest, InheritingWorkerIsReported) {
  Outcome outcome = RunScenario(/*opt_out=*/false);
  EXPECT_EQ(outcome.b, "tenant-a");
  EXPECT_EQ(outcome.c, "tenant-a");
  ASSERT_EQ(outcome.warnings.size(), 1u);
  EXPECT_TRUE(absl::StrContains(outcome.warnings[0],
                                "\"/gls.examples.Greeter/SayHello\""))
      << outcome.warnings[0];
  EXPECT_TRUE(absl::StrContains(outcome.warnings[0], "NoInheritScope"))
      << outcome.warnings[0];
}

}  // namespace
}  // namespace gls
