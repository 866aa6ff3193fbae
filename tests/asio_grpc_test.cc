// End-to-end tests of gRPC calls made from Asio coroutines: real servers on
// 127.0.0.1. A front service (sync or callback API, gls's server interceptor)
// hands its request to a coroutine on a shared 2-thread io_context with
// gls::asio::WithSession(ex); the coroutine awaits timers and posts, then
// calls the leaf with a fresh grpc::ClientContext through a gls client
// channel (sync API and callback API). The leaf must see that request's
// tenant and no other; a sessionless coroutine's call carries none; the
// front request's cancellation reaches the call its coroutine made. C++20.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "asio.hpp"
#include "gls/asio/session_executor.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/session/binding.h"
#include "gls/tests/session_test_util.h"
#include "gls/tests/test_util.h"
#include "gtest/gtest.h"
#include "proto/greeter.grpc.pb.h"

namespace gls {
namespace {

using ::gls::examples::Greeter;
using ::gls::examples::HelloReply;
using ::gls::examples::HelloRequest;
using ::gls::testing::CurTenant;
using ::gls::testing::HopHeaders;
using ::gls::testing::TestServer;

// An io_context with two threads, and a completion queue with one thread
// whose tags are std::function<void(bool)>*, for the whole test.
class Loop {
 public:
  Loop() : work_(::asio::make_work_guard(io_)) {
    for (auto& t : threads_) t = std::thread([this] { io_.run(); });
    cq_thread_ = std::thread([this] {
      void* tag;
      bool ok;
      while (cq_.Next(&tag, &ok)) {
        auto* done = static_cast<std::function<void(bool)>*>(tag);
        (*done)(ok);
        delete done;
      }
    });
  }
  ~Loop() {
    cq_.Shutdown();
    cq_thread_.join();
    work_.reset();
    for (auto& t : threads_) t.join();
  }
  ::asio::io_context::executor_type executor() { return io_.get_executor(); }
  grpc::CompletionQueue* cq() { return &cq_; }

 private:
  ::asio::io_context io_{2};
  ::asio::executor_work_guard<::asio::io_context::executor_type> work_;
  std::thread threads_[2];
  grpc::CompletionQueue cq_;
  std::thread cq_thread_;
};

// Completes `handler` on its own executor with `status` (from any thread).
template <typename Handler>
void CompleteOnItsExecutor(std::shared_ptr<Handler> handler,
                           grpc::Status status) {
  auto ex = ::asio::get_associated_executor(*handler);
  ::asio::dispatch(ex, [handler, status]() mutable {
    std::move (*handler)(std::move(status));
  });
}

// The leaf's SayHello through the callback API, as an Asio async operation:
// completes on the awaiting coroutine's executor with the call's status.
template <typename Token>
auto AsyncSayHello(Greeter::Stub& stub, grpc::ClientContext& context,
                   const HelloRequest& request, HelloReply& reply,
                   Token&& token) {
  return ::asio::async_initiate<Token, void(grpc::Status)>(
      [&stub, &context, &request, &reply](auto handler) {
        // gRPC's callback is a std::function: share the move-only handler.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        stub.async()->SayHello(&context, &request, &reply,
                               [shared](grpc::Status status) {
                                 CompleteOnItsExecutor(shared, status);
                               });
      },
      token);
}

// The same through the completion-queue API: the call is made (and
// Finish()ed, when gRPC reads the session: grpc-threading.md) on the
// awaiting coroutine's thread; it completes on the queue's thread.
template <typename Token>
auto AsyncSayHelloCq(Greeter::Stub& stub, grpc::CompletionQueue* cq,
                     grpc::ClientContext& context, const HelloRequest& request,
                     HelloReply& reply, Token&& token) {
  return ::asio::async_initiate<Token, void(grpc::Status)>(
      [&stub, cq, &context, &request, &reply](auto handler) {
        using Handler = decltype(handler);
        auto shared = std::make_shared<Handler>(std::move(handler));
        auto status = std::make_shared<grpc::Status>();
        auto rpc = stub.AsyncSayHello(&context, request, cq);
        rpc->Finish(&reply, status.get(),
                    new std::function<void(bool)>(
                        [shared, status, rpc = std::shared_ptr(std::move(rpc))](
                            bool) { CompleteOnItsExecutor(shared, *status); }));
      },
      token);
}

// What a coroutine saw: the tenant after each resumption, and what the leaf
// reported for each of its calls.
struct FanOutResult {
  std::vector<std::string> tenants;
  std::vector<std::string> leaf_tenants;
  std::vector<grpc::Status> statuses;
  // Records one leaf call's status and the tenant the leaf reported.
  void Record(grpc::Status status, const HelloReply& reply) {
    statuses.push_back(std::move(status));
    leaf_tenants.push_back(HopHeaders(reply)["rpc-persist-tenant"]);
  }
};

// Awaits a timer and a post, calls the leaf (sync API), awaits again, calls
// it through the callback API (awaited), then through the completion-queue
// API (awaited).
::asio::awaitable<FanOutResult> FanOut(Greeter::Stub* leaf,
                                       grpc::CompletionQueue* cq) {
  FanOutResult result;
  auto ex = co_await ::asio::this_coro::executor;
  ::asio::steady_timer timer(ex, std::chrono::milliseconds(1));
  co_await timer.async_wait(::asio::use_awaitable);
  result.tenants.push_back(CurTenant());
  {
    grpc::ClientContext context;
    HelloRequest request;
    HelloReply reply;
    result.Record(leaf->SayHello(&context, request, &reply), reply);
  }
  co_await ::asio::post(ex, ::asio::use_awaitable);
  result.tenants.push_back(CurTenant());
  {
    grpc::ClientContext context;
    HelloRequest request;
    HelloReply reply;
    grpc::Status status = co_await AsyncSayHello(*leaf, context, request, reply,
                                                 ::asio::use_awaitable);
    result.tenants.push_back(CurTenant());
    result.Record(std::move(status), reply);
  }
  {
    grpc::ClientContext context;
    HelloRequest request;
    HelloReply reply;
    grpc::Status status = co_await AsyncSayHelloCq(
        *leaf, cq, context, request, reply, ::asio::use_awaitable);
    result.tenants.push_back(CurTenant());
    result.Record(std::move(status), reply);
  }
  co_return result;
}

// "ok" or what was wrong, for a request whose tenant was `want`.
std::string Verdict(const FanOutResult& r, const std::string& want) {
  for (const grpc::Status& s : r.statuses) {
    if (!s.ok()) return "leaf call failed: " + s.error_message();
  }
  for (const std::string& t : r.tenants) {
    if (t != want) return "coroutine saw " + t;
  }
  for (const std::string& t : r.leaf_tenants) {
    if (t != (want == "none" ? "" : want)) return "leaf got '" + t + "'";
  }
  return r.leaf_tenants.size() == 3 ? "ok" : "missing leaf replies";
}

// Sync-API front: runs FanOut in a coroutine carrying the request's session
// and waits for it; replies "ok" or the first thing that was wrong.
class SyncFront final : public Greeter::Service {
 public:
  SyncFront(Loop* loop, std::shared_ptr<grpc::Channel> leaf)
      : loop_(loop), leaf_(Greeter::NewStub(std::move(leaf))) {}
  grpc::Status SayHello(grpc::ServerContext*, const HelloRequest*,
                        HelloReply* reply) override {
    std::string want = CurTenant();
    std::future<FanOutResult> done =
        ::asio::co_spawn(gls::asio::WithSession(loop_->executor()),
                         FanOut(leaf_.get(), loop_->cq()), ::asio::use_future);
    reply->set_message(Verdict(done.get(), want));
    return grpc::Status::OK;
  }

 private:
  Loop* const loop_;
  const std::unique_ptr<Greeter::Stub> leaf_;
};

// Callback-API front: hands the request's session to the coroutine in one
// line (WithSession(ex) in the handler) and finishes when it is done.
class CallbackFront final : public Greeter::CallbackService {
 public:
  CallbackFront(Loop* loop, std::shared_ptr<grpc::Channel> leaf)
      : loop_(loop), leaf_(Greeter::NewStub(std::move(leaf))) {}
  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* context,
                                     const HelloRequest*,
                                     HelloReply* reply) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    std::string want = CurTenant();
    ::asio::co_spawn(
        gls::asio::WithSession(loop_->executor()),
        FanOut(leaf_.get(), loop_->cq()),
        [reactor, reply, want](std::exception_ptr e, FanOutResult r) {
          reply->set_message(e ? "coroutine threw" : Verdict(r, want));
          reactor->Finish(grpc::Status::OK);
        });
    return reactor;
  }

 private:
  Loop* const loop_;
  const std::unique_ptr<Greeter::Stub> leaf_;
};

// Fixture: a leaf, a gls client channel to it, the io_context.
class AsioGrpcTest : public ::testing::Test {
 protected:
  AsioGrpcTest()
      : leaf_server_({&leaf_}, /*backup=*/false),
        leaf_channel_(
            leaf_server_.BackupChannel(client::RestoreMissingPersistent)) {}

  // Sends `n` concurrent requests (tenant-<i>) to `front`'s server; returns
  // how many were answered "ok".
  int CountOk(grpc::Service* front, int n) {
    TestServer server({front}, /*backup=*/true);
    auto stub = Greeter::NewStub(server.Channel());
    auto calls = testing::CallConcurrently(*stub, n);
    int ok = 0;
    for (int i = 0; i < n; ++i) {
      EXPECT_TRUE(calls[i]->status.ok()) << calls[i]->status.error_message();
      if (calls[i]->reply.message() == "ok") {
        ++ok;
      } else {
        ADD_FAILURE() << "request " << i << ": " << calls[i]->reply.message();
      }
    }
    return ok;
  }

  testing::LeafGreeter leaf_{"leaf"};
  TestServer leaf_server_;
  std::shared_ptr<grpc::Channel> leaf_channel_;
  Loop loop_;
};

TEST_F(AsioGrpcTest, SyncHandlerCoroutineCallsCarryItsRequestsTenant) {
  SyncFront front(&loop_, leaf_channel_);
  EXPECT_EQ(CountOk(&front, 64), 64);
}

TEST_F(AsioGrpcTest, CallbackHandlerCoroutineCallsCarryItsRequestsTenant) {
  CallbackFront front(&loop_, leaf_channel_);
  EXPECT_EQ(CountOk(&front, 64), 64);
}

TEST_F(AsioGrpcTest, SessionlessCoroutineCallCarriesNone) {
  // First the io_context's threads run requests' coroutines...
  CallbackFront front(&loop_, leaf_channel_);
  EXPECT_EQ(CountOk(&front, 16), 16);
  // ...then a coroutine spawned with no session resumes on them.
  auto leaf = Greeter::NewStub(leaf_channel_);
  ASSERT_TRUE(CurSession().empty());
  FanOutResult r =
      ::asio::co_spawn(loop_.executor(), FanOut(leaf.get(), loop_.cq()),
                       ::asio::use_future)
          .get();
  EXPECT_EQ(Verdict(r, "none"), "ok");
}

// A leaf that waits until its call is cancelled (or 5 s pass).
class SlowLeaf final : public Greeter::Service {
 public:
  grpc::Status SayHello(grpc::ServerContext* context, const HelloRequest*,
                        HelloReply*) override {
    started_.Notify();
    absl::Time end = absl::Now() + absl::Seconds(5);
    while (!context->IsCancelled() && absl::Now() < end) {
      absl::SleepFor(absl::Milliseconds(2));
    }
    cancelled_ = context->IsCancelled();
    return grpc::Status::OK;
  }
  absl::Notification started_;
  std::atomic<bool> cancelled_{false};
};

// A callback front whose coroutine awaits a timer, then calls a slow leaf
// (callback API, awaited) and reports the call's status and duration.
class CancellableFront final : public Greeter::CallbackService {
 public:
  CancellableFront(Loop* loop, std::shared_ptr<grpc::Channel> leaf)
      : loop_(loop), leaf_(Greeter::NewStub(std::move(leaf))) {}
  grpc::ServerUnaryReactor* SayHello(grpc::CallbackServerContext* context,
                                     const HelloRequest*,
                                     HelloReply*) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    ::asio::co_spawn(gls::asio::WithSession(loop_->executor()), Call(),
                     [this, reactor](std::exception_ptr, grpc::Status s) {
                       status_.set_value(std::move(s));
                       reactor->Finish(grpc::Status::OK);
                     });
    return reactor;
  }
  ::asio::awaitable<grpc::Status> Call() {
    ::asio::steady_timer timer(co_await ::asio::this_coro::executor,
                               std::chrono::milliseconds(20));
    co_await timer.async_wait(::asio::use_awaitable);
    grpc::ClientContext context;  // fresh: no deadline, nothing of the request
    HelloRequest request;
    HelloReply reply;
    absl::Time start = absl::Now();
    grpc::Status s = co_await AsyncSayHello(*leaf_, context, request, reply,
                                            ::asio::use_awaitable);
    took_ = absl::Now() - start;
    co_return s;
  }
  std::promise<grpc::Status> status_;
  absl::Duration took_;

 private:
  Loop* const loop_;
  const std::unique_ptr<Greeter::Stub> leaf_;
};

TEST_F(AsioGrpcTest, RequestCancellationReachesCallFromItsCoroutine) {
  SlowLeaf slow;
  TestServer slow_server({&slow}, /*backup=*/false);
  CancellableFront front(
      &loop_, slow_server.BackupChannel(client::RestoreMissingPersistent));
  TestServer server({&front}, /*backup=*/true);
  auto stub = Greeter::NewStub(server.Channel());
  grpc::ClientContext context;
  HelloRequest request;
  HelloReply reply;
  std::promise<grpc::Status> front_status;
  stub->async()->SayHello(&context, &request, &reply,
                          [&](grpc::Status s) { front_status.set_value(s); });
  ASSERT_TRUE(slow.started_.WaitForNotificationWithTimeout(absl::Seconds(10)));
  context.TryCancel();
  std::future<grpc::Status> leaf_call = front.status_.get_future();
  ASSERT_EQ(leaf_call.wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  grpc::Status s = leaf_call.get();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED) << s.error_message();
  EXPECT_LT(front.took_, absl::Seconds(4)) << "the leaf waited it out";
  std::cout << "coroutine's call ended " << front.took_
            << " after it started (cancelled)\n";
  EXPECT_EQ(front_status.get_future().get().error_code(),
            grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace gls
