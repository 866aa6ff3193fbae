#include "gls/session/internal/thread_inherit.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>

#include "absl/strings/str_cat.h"
#include "gls/session/binding.h"
#include "gls/session/internal/inherit_block.h"
#include "gls/session/internal/session_access.h"

namespace gls {
namespace session_internal {
namespace {

std::atomic<bool> g_inherit{false};

using PthreadCreateFn = int (*)(pthread_t*, const pthread_attr_t*,
                                void* (*)(void*), void*);

// The pthread_create this one forwards to. A sanitizer runtime (ASan, TSan,
// LSan) that intercepts pthread_create exports its interceptor as
// __interceptor_pthread_create; when it is linked statically (clang), the
// next definition after this one is libc's, which would bypass it and lose
// track of the thread, so the interceptor is preferred when present.
PthreadCreateFn RealPthreadCreate() {
  static const PthreadCreateFn real = [] {
    void* sanitizer = dlsym(RTLD_DEFAULT, "__interceptor_pthread_create");
    return reinterpret_cast<PthreadCreateFn>(
        sanitizer != nullptr ? sanitizer : dlsym(RTLD_NEXT, "pthread_create"));
  }();
  return real;
}

// The file name (without directories) of the object holding `address`, or
// nullptr.
const char* ObjectBaseName(const void* address) {
  Dl_info info;
  if (dladdr(address, &info) == 0 || info.dli_fname == nullptr) return nullptr;
  const char* base = std::strrchr(info.dli_fname, '/');
  return base == nullptr ? info.dli_fname : base + 1;
}

struct Start {
  void* (*routine)(void*);
  void* arg;
  Session session;
};

// The inherited binding of this thread, registered with its session so that
// ending the session can name the threads that outlive it.
class InheritedBinding {
 public:
  explicit InheritedBinding(const Session* s)
      : session_(s), tid_(static_cast<int64_t>(syscall(SYS_gettid))) {
    SessionAccess::AddInheritor(*session_, tid_);
    tls_inherited = s;
  }
  ~InheritedBinding() {
    tls_inherited = nullptr;
    SessionAccess::RemoveInheritor(*session_, tid_);
  }

 private:
  const Session* const session_;
  const int64_t tid_;
};

void* RunInheriting(void* p) {
  std::unique_ptr<Start> start(static_cast<Start*>(p));
  InheritedBinding binding(&start->session);
  return start->routine(start->arg);
}

}  // namespace

bool InGrpcLibrary(const void* address) {
  const char* base = ObjectBaseName(address);
  return base != nullptr && (std::strncmp(base, "libgrpc", 7) == 0 ||
                             std::strncmp(base, "libgpr", 6) == 0);
}

absl::Status EnableThreadInheritance(const void* grpc_symbol) {
  if (grpc_symbol != nullptr && !InGrpcLibrary(grpc_symbol)) {
    const char* where = ObjectBaseName(grpc_symbol);
    return absl::FailedPreconditionError(absl::StrCat(
        "async=true is off: gRPC is linked statically (into ",
        where == nullptr ? "an unknown object" : where,
        "), so gls cannot tell gRPC's own threads from the program's and a "
        "gRPC thread could inherit a request's session. Link gRPC as shared "
        "libraries, or carry sessions explicitly (gls::Go, gls::Wrap, "
        "gls::ThreadPool)."));
  }
  g_inherit.store(true);
  return absl::OkStatus();
}

bool ThreadInheritanceEnabled() { return g_inherit.load(); }

}  // namespace session_internal
}  // namespace gls

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr,
                              void* (*routine)(void*), void* arg) {
  using namespace gls::session_internal;  // NOLINT(build/namespaces)
  PthreadCreateFn real = RealPthreadCreate();
  if (real == nullptr) return EAGAIN;
  if (!g_inherit.load(std::memory_order_relaxed) || InheritanceBlocked()) {
    return real(thread, attr, routine, arg);
  }
  const gls::Session& current = gls::CurSession();
  if (!current.IsValid() || InGrpcLibrary(__builtin_return_address(0))) {
    return real(thread, attr, routine, arg);
  }
  auto* start = new (std::nothrow) Start{routine, arg, current};
  if (start == nullptr) return EAGAIN;
  int rc = real(thread, attr, &RunInheriting, start);
  if (rc != 0) delete start;
  return rc;
}
