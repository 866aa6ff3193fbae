#include "gls/interceptors/deadline_backup.h"

#include <grpcpp/client_context.h>

#include <atomic>
#include <chrono>

#include "absl/time/time.h"
#include "gls/session/binding.h"
#include "gls/session/internal/session_access.h"

namespace gls {
namespace client {
namespace {

class DeadlineCallbacks final : public grpc::ClientContext::GlobalCallbacks {
 public:
  void DefaultConstructor(grpc::ClientContext* context) override {
    const Session& session = CurSession();
    if (session.empty()) return;
    // Read without building the request's context.
    absl::Time deadline = session_internal::SessionAccess::Deadline(session);
    if (deadline == absl::InfiniteFuture()) return;
    context->set_deadline(absl::ToChronoTime(deadline));
  }
  void Destructor(grpc::ClientContext*) override {}
};

std::atomic<bool> g_installed{false};

}  // namespace

absl::Status RegisterGlobalDeadlineBackup() {
  if (g_installed.exchange(true)) {
    return absl::FailedPreconditionError(
        "RegisterGlobalDeadlineBackup: already installed; gRPC allows one "
        "ClientContext::SetGlobalCallbacks per process");
  }
  // gRPC keeps the pointer for the life of the process.
  grpc::ClientContext::SetGlobalCallbacks(new DeadlineCallbacks());
  return absl::OkStatus();
}

}  // namespace client
}  // namespace gls
