// The example greeter server, in three roles:
//
//   greeter_server --port=0                      a leaf: replies with one Hop
//                                                holding what it received
//   greeter_server --backend=HOST:PORT --port=0  a front: adds its own Hop,
//                                                then calls the backend with a
//                                                fresh ClientContext three ways
//                                                at once (handler thread, gls
//                                                pool, std::async) and returns
//                                                the backend's hops too
//   greeter_server --backend=HOST:PORT --paths=handler-thread --port=0
//                                                a middle: the same, calling
//                                                the backend once, on its
//                                                handler thread
//
// Built with Asio (gls::asio), a front also has the path asio-coroutine
// (--paths=...,asio-coroutine): the handler hands the call to a C++20
// coroutine on a 2-thread asio::io_context with one line,
// co_spawn(gls::asio::WithSession(ex), ...); the coroutine awaits a timer,
// resumes on either thread, and calls the backend from there.
//
// Every role registers gls::server::WithContextBackup with --backup and
// --async (CLOUDWEGO_SESSION_CONFIG_KEY overrides async) and
// forward_backward=true, so backward values from the backend go on to the
// caller. A front or middle puts gls::client::WithContextBackup on its
// backend channel, with a handler like the Kitex seed's: keep the call's own
// tenant if it has one, else restore it from the request.
//
// The leaf is gls::examples::LeafGreeter (leaf_greeter.h), which stores
// binary and non-UTF-8 header values base64-encoded, and also:
//   - sets the backward value "served-by" (its --name) on its session: the
//     response's trailers carry it as rpc-backward-served-by;
//   - answers a request named "slow" only after --slow_ms of work, checking
//     ServerContext::IsCancelled() every few milliseconds and stopping when
//     it is; it prints "<name>: slow call cancelled after N ms (of M ms of
//     work)" or "<name>: slow call finished after N ms, never cancelled".
//
// It prints "<name> listening on 127.0.0.1:PORT" once serving. On SIGTERM or
// SIGINT it shuts down and prints gls's counters, one line:
// "<name> gls counters: " and gls::FormatStats(gls::GetStats()).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <chrono>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gls/examples/leaf_greeter.h"
#include "gls/interceptors/client_interceptor.h"
#include "gls/interceptors/server_interceptor.h"
#include "gls/session/binding.h"
#include "gls/session/log.h"
#include "gls/session/stats.h"
#include "gls/session/thread_pool.h"
#include "proto/greeter.grpc.pb.h"

#ifdef GLS_EXAMPLE_ASIO
#include "asio.hpp"
#include "gls/asio/session_executor.h"
#endif

ABSL_FLAG(int, port, 0, "port to listen on (0: any free port)");
ABSL_FLAG(std::string, backend, "",
          "HOST:PORT of the next service; empty: this server is a leaf");
ABSL_FLAG(std::string, name, "", "service name reported in hops");
ABSL_FLAG(bool, backup, true, "enable context backup on the server");
ABSL_FLAG(bool, async, true,
          "async pass-through (plain std::thread/std::async see the session)");
ABSL_FLAG(std::string, paths, "handler-thread,thread-pool,std-async",
          "with --backend: the ways to call the backend, comma-separated, "
          "out of handler-thread, thread-pool, std-async"
#ifdef GLS_EXAMPLE_ASIO
          ", asio-coroutine"
#endif
);
ABSL_FLAG(int, slow_ms, 2000,
          "leaf: how long a request named \"slow\" works unless cancelled");

namespace {

using gls::examples::Greeter;
using gls::examples::HelloReply;
using gls::examples::HelloRequest;
using gls::examples::Hop;
using gls::examples::LeafGreeter;

// One line to stdout, whole, flushed (handlers run on many threads).
void PrintLine(const std::string& line) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::cout << line << std::endl;
}

// The seed's BackupHandler: if the call carries the tenant already, keep it;
// otherwise take the request's tenant and let the fallback restore the rest.
gls::client::BackupResult RestoreTenant(const gls::Context& prev,
                                        const gls::Context& cur) {
  if (cur.GetPersistent("TENANT")) return {cur, false};
  return {
      cur.WithPersistent("TENANT", prev.GetPersistent("TENANT").value_or("")),
      true};
}

// The leaf: LeafGreeter, plus a backward value and the "slow" request.
class Leaf final : public Greeter::Service {
 public:
  Leaf(std::string name, std::chrono::milliseconds slow)
      : name_(name), slow_(slow), hop_(std::move(name)) {}

  grpc::Status SayHello(grpc::ServerContext* context,
                        const HelloRequest* request,
                        HelloReply* reply) override {
    if (request->name() == "slow") return Slow(*context, reply);
    // Sent back in the response's trailers (no-op without gls: no session).
    gls::CurSession().SetBackwardValue("served-by", name_);
    return hop_.SayHello(context, request, reply);
  }

 private:
  grpc::Status Slow(const grpc::ServerContext& context, HelloReply* reply) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    auto elapsed_ms = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 Clock::now() - start)
          .count();
    };
    while (Clock::now() - start < slow_) {
      if (context.IsCancelled()) {
        PrintLine(absl::StrCat(name_, ": slow call cancelled after ",
                               elapsed_ms(), " ms (of ", slow_.count(),
                               " ms of work)"));
        return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    PrintLine(absl::StrCat(name_, ": slow call finished after ", elapsed_ms(),
                           " ms, never cancelled"));
    reply->set_message("Hello slow");
    return grpc::Status::OK;
  }

  const std::string name_;
  const std::chrono::milliseconds slow_;
  LeafGreeter hop_;
};

// A front or middle: reports what it received as its own Hop, then calls the
// backend on each of `paths` at once and appends the hops each call returned,
// marked with the path.
class Relay final : public Greeter::Service {
 public:
  Relay(std::string name, std::shared_ptr<grpc::Channel> backend,
        std::vector<std::string> paths)
      : received_(std::move(name)),
        stub_(Greeter::NewStub(backend)),
        paths_(std::move(paths)),
        pool_(2) {}

  grpc::Status SayHello(grpc::ServerContext* context,
                        const HelloRequest* request,
                        HelloReply* reply) override {
    // What this service received, reported as the leaf reports it.
    received_.SayHello(context, request, reply);
    // Every path makes its call with a fresh ClientContext: the request's
    // context reaches the backend only through gls.
    std::vector<std::future<HelloReply>> calls;
    std::vector<std::promise<HelloReply>> pooled(paths_.size());
    for (size_t i = 0; i < paths_.size(); ++i) {
      const std::string& via = paths_[i];
      if (via == "thread-pool") {
        pool_.Schedule(
            [&, i] { pooled[i].set_value(Call(*request, paths_[i])); });
        calls.push_back(pooled[i].get_future());
      } else if (via == "std-async") {
        calls.push_back(std::async(
            std::launch::async, [&, i] { return Call(*request, paths_[i]); }));
#ifdef GLS_EXAMPLE_ASIO
      } else if (via == "asio-coroutine") {
        // One line hands the request's session to the coroutine.
        calls.push_back(::asio::co_spawn(
            gls::asio::WithSession(io_.get_executor()),
            CallFromCoroutine(*request, via), ::asio::use_future));
#endif
      } else {  // handler-thread: below, once the others are under way
        calls.emplace_back();
      }
    }
    std::vector<HelloReply> results(paths_.size());
    for (size_t i = 0; i < paths_.size(); ++i) {
      if (!calls[i].valid()) results[i] = Call(*request, paths_[i]);
    }
    for (size_t i = 0; i < paths_.size(); ++i) {
      if (calls[i].valid()) results[i] = calls[i].get();
    }
    if (!results.empty()) reply->set_message(results[0].message());
    for (const HelloReply& r : results) {
      for (const Hop& hop : r.hops()) *reply->add_hops() = hop;
    }
    return grpc::Status::OK;
  }

 private:
#ifdef GLS_EXAMPLE_ASIO
  // Resumes after a timer, on either of the io_context's threads, then
  // calls the backend: the call carries the request's context all the same.
  ::asio::awaitable<HelloReply> CallFromCoroutine(HelloRequest request,
                                                  std::string via) {
    ::asio::steady_timer timer(co_await ::asio::this_coro::executor,
                               std::chrono::milliseconds(1));
    co_await timer.async_wait(::asio::use_awaitable);
    co_return Call(request, via);
  }
#endif

  HelloReply Call(const HelloRequest& request, const std::string& via) {
    grpc::ClientContext context;  // fresh: carries nothing of the request
    HelloReply reply;
    grpc::Status status = stub_->SayHello(&context, request, &reply);
    if (!status.ok()) {
      reply.Clear();
      Hop* hop = reply.add_hops();
      // The message comes from the backend: escaped and capped, it is
      // printable ASCII (a valid proto string) and short.
      hop->set_service(
          absl::StrCat("error: ", gls::EscapeForLog(status.error_message())));
    }
    for (Hop& hop : *reply.mutable_hops()) hop.set_via(via);
    return reply;
  }

  LeafGreeter received_;
  std::unique_ptr<Greeter::Stub> stub_;
  const std::vector<std::string> paths_;
  gls::ThreadPool pool_;
#ifdef GLS_EXAMPLE_ASIO
  // The coroutines' event loop: two threads, running until destruction.
  struct Loop {
    Loop() {
      for (auto& t : threads) t = std::thread([this] { io.run(); });
    }
    ~Loop() {
      work.reset();
      for (auto& t : threads) t.join();
    }
    ::asio::io_context io{2};
    ::asio::executor_work_guard<::asio::io_context::executor_type> work =
        ::asio::make_work_guard(io);
    std::thread threads[2];
  };
  Loop loop_;
  ::asio::io_context& io_ = loop_.io;
#endif
};

}  // namespace

int main(int argc, char** argv) {
  // SIGTERM and SIGINT are taken by a thread (below), blocked in all others:
  // block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::ParseCommandLine(argc, argv);
  const std::string backend = absl::GetFlag(FLAGS_backend);
  std::string name = absl::GetFlag(FLAGS_name);
  if (name.empty()) name = backend.empty() ? "leaf" : "front";
  std::vector<std::string> paths =
      absl::StrSplit(absl::GetFlag(FLAGS_paths), ',', absl::SkipEmpty());
#ifdef GLS_EXAMPLE_ASIO
  constexpr bool kHaveAsio = true;
#else
  constexpr bool kHaveAsio = false;
#endif
  for (const std::string& path : paths) {
    if (path == "asio-coroutine" && !kHaveAsio) {
      std::cerr << name << ": --paths=asio-coroutine needs a build with Asio "
                << "(libasio-dev)\n";
      return 2;
    }
    if (path != "handler-thread" && path != "thread-pool" &&
        path != "std-async" && path != "asio-coroutine") {
      std::cerr << name << ": unknown --paths entry " << gls::QuoteForLog(path)
                << "\n";
      return 2;
    }
  }

  std::unique_ptr<grpc::Service> service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(
      absl::StrCat("127.0.0.1:", absl::GetFlag(FLAGS_port)),
      grpc::InsecureServerCredentials(), &port);
  gls::server::BackupOptions options;
  options.enable = absl::GetFlag(FLAGS_backup);
  options.async = absl::GetFlag(FLAGS_async);
  options.forward_backward = true;  // the backend's backward values go on
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      server_factories;
  server_factories.push_back(gls::server::WithContextBackup(options));
  builder.experimental().SetInterceptorCreators(std::move(server_factories));

  if (backend.empty()) {
    service = std::make_unique<Leaf>(
        name, std::chrono::milliseconds(absl::GetFlag(FLAGS_slow_ms)));
  } else {
    std::vector<
        std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
        client_factories;
    client_factories.push_back(gls::client::WithContextBackup(RestoreTenant));
    service = std::make_unique<Relay>(
        name,
        grpc::experimental::CreateCustomChannelWithInterceptors(
            backend, grpc::InsecureChannelCredentials(),
            grpc::ChannelArguments(), std::move(client_factories)),
        std::move(paths));
  }
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << name << ": could not listen on port "
              << absl::GetFlag(FLAGS_port) << "\n";
    return 1;
  }
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server->Shutdown(std::chrono::system_clock::now() +
                     std::chrono::seconds(2));
  });
  PrintLine(absl::StrCat(name, " listening on 127.0.0.1:", port));
  server->Wait();
  stopper.join();
  PrintLine(
      absl::StrCat(name, " gls counters: ", gls::FormatStats(gls::GetStats())));
  return 0;
}
