// A program using gls::asio from the installed package: two requests'
// coroutines interleaved on one single-threaded io_context, 200 timer awaits
// and 200 posts each, see only their own session at every resumption; a
// coroutine spawned without one sees none; the thread is unbound after
// run(). Exits 0 when all holds (install_consumer_test.sh).
#include <chrono>
#include <iostream>
#include <string>

#include "asio.hpp"
#include "gls/asio/session_executor.h"
#include "gls/session/binding.h"

namespace {

std::string Tenant() {
  const gls::Session& s = gls::CurSession();
  if (s.empty()) return "none";
  return std::string(s.context().GetPersistent("TENANT").value_or("?"));
}

asio::awaitable<void> Request(std::string want, int* checks, int* wrong) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex);
  for (int i = 0; i < 200; ++i) {
    timer.expires_after(std::chrono::microseconds(i % 2 * 100));
    co_await timer.async_wait(asio::use_awaitable);
    ++*checks;
    if (Tenant() != want) ++*wrong;
    co_await asio::post(ex, asio::use_awaitable);
    ++*checks;
    if (Tenant() != want) ++*wrong;
  }
}

}  // namespace

int main() {
  asio::io_context io(1);
  int checks = 0;
  int wrong = 0;
  for (const char* tenant : {"alpha", "beta"}) {
    gls::Session s(gls::Context().WithPersistent("TENANT", tenant));
    asio::co_spawn(gls::asio::WithSession(io.get_executor(), s),
                   Request(tenant, &checks, &wrong), asio::detached);
  }
  asio::co_spawn(io.get_executor(), Request("none", &checks, &wrong),
                 asio::detached);
  io.run();
  bool ok = checks == 3 * 400 && wrong == 0 && gls::CurSession().empty();
  std::cout << (ok ? "consumer_asio ok" : "consumer_asio FAILED") << ": "
            << checks << " resumptions, " << wrong << " wrong\n";
  return ok ? 0 : 1;
}
