#include "gls/interceptors/internal/call_canceller.h"

#include <grpc/grpc.h>
#include <grpc/status.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gls/session/stats.h"

namespace gls {
namespace interceptors_internal {
namespace {

class Canceller final : public session_internal::CallCanceller {
 public:
  explicit Canceller(bool borrowed) : CallCanceller(!borrowed) {}
  void Ref(void* call) const override {
    grpc_call_ref(static_cast<grpc_call*>(call));
  }
  void Unref(void* call) const override {
    grpc_call_unref(static_cast<grpc_call*>(call));
  }
  void Cancel(void* call, const absl::Status& why) const override {
    // Counted first: whoever sees the call end cancelled sees it counted.
    stats_internal::Add(stats_internal::Counter::kCancellationsPropagated);
    const std::string message(why.message());
    grpc_call_cancel_with_status(static_cast<grpc_call*>(call),
                                 static_cast<grpc_status_code>(why.code()),
                                 message.c_str(), nullptr);
    if (stats_internal::TraceEnabled()) {
      stats_internal::Trace(
          absl::StrCat("cancel: outbound call cancelled: ", message));
    }
  }
};

}  // namespace

const session_internal::CallCanceller& GrpcCallCanceller(bool borrowed) {
  static const Canceller* const held = new Canceller(/*borrowed=*/false);
  static const Canceller* const borrowed_ref = new Canceller(/*borrowed=*/true);
  return borrowed ? *borrowed_ref : *held;
}

}  // namespace interceptors_internal
}  // namespace gls
