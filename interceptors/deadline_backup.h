// gls/interceptors/deadline_backup.h
//
// Deadline backup: a grpc::ClientContext constructed while a session is bound
// starts with the request's deadline, so a fresh ClientContext in a handler no
// longer forgets it. The caller may still set its own deadline afterwards
// (set_deadline wins), and the BackupHandler sees it as `cur.deadline()`.
//
// gRPC fixes a call's deadline before any interceptor runs, so this works
// through grpc::ClientContext::SetGlobalCallbacks, which gRPC allows once per
// process (a second call aborts inside gRPC). It is therefore opt-in: call
// RegisterGlobalDeadlineBackup() once at startup, and not together with
// another user of ClientContext::SetGlobalCallbacks.
//
// Example:
//
//   int main() {
//     absl::Status s = gls::client::RegisterGlobalDeadlineBackup();
//     ...
//   }
//
// Thread-safety: thread-safe.

#ifndef GLS_INTERCEPTORS_DEADLINE_BACKUP_H_
#define GLS_INTERCEPTORS_DEADLINE_BACKUP_H_

#include "absl/status/status.h"

namespace gls {
namespace client {

// Registers deadline backup for every ClientContext of the process (named
// like RegisterGlobalContextBackup: both install a process-wide gRPC hook
// once). Returns FailedPrecondition if gls registered it already.
absl::Status RegisterGlobalDeadlineBackup();

}  // namespace client
}  // namespace gls

#endif  // GLS_INTERCEPTORS_DEADLINE_BACKUP_H_
