// A program using gls: registers both interceptor factories and binds a
// session. Built against the installed gls with find_package and with
// pkg-config (install_consumer_test.sh), and with gls as a subdirectory of a
// parent project (subdirectory_consumer/).
#include <grpcpp/grpcpp.h>

#include <iostream>

#include "gls/interceptors/client_interceptor.h"
#include "gls/interceptors/server_interceptor.h"
#include "gls/session/session_manager.h"

int main() {
  auto server_factory = gls::server::WithContextBackup(true, false);
  auto client_factory =
      gls::client::WithContextBackup(gls::client::RestoreMissingPersistent);
  gls::SessionScope scope(
      gls::Session(gls::Context().WithPersistent("TENANT", "acme")));
  bool ok = server_factory != nullptr && client_factory != nullptr &&
            gls::CurSession().context().GetPersistent("TENANT") == "acme";
  std::cout << (ok ? "consumer ok" : "consumer FAILED") << "\n";
  return ok ? 0 : 1;
}
