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

#include "gls/session/internal/session_access.h"
#include "gls/session/no_inherit.h"
#include "gls/session/session_manager.h"

namespace gls {
namespace session_internal {
namespace {

std::atomic<bool> g_inherit{false};

// Depth of NoInheritScopes on this thread.
thread_local int tls_no_inherit = 0;

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

// True if `caller` lies in one of gRPC's libraries: gRPC's own threads
// (pollers, executors, timers, sync-server workers) never inherit a request.
bool IsGrpcInternal(void* caller) {
  Dl_info info;
  if (dladdr(caller, &info) == 0 || info.dli_fname == nullptr) return false;
  const char* base = std::strrchr(info.dli_fname, '/');
  base = base == nullptr ? info.dli_fname : base + 1;
  return std::strncmp(base, "libgrpc", 7) == 0 ||
         std::strncmp(base, "libgpr", 6) == 0;
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

void EnableThreadInheritance() { g_inherit.store(true); }
bool ThreadInheritanceEnabled() { return g_inherit.load(); }

}  // namespace session_internal

NoInheritScope::NoInheritScope() { ++session_internal::tls_no_inherit; }
NoInheritScope::~NoInheritScope() { --session_internal::tls_no_inherit; }

}  // namespace gls

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr,
                              void* (*routine)(void*), void* arg) {
  using namespace gls::session_internal;  // NOLINT(build/namespaces)
  PthreadCreateFn real = RealPthreadCreate();
  if (real == nullptr) return EAGAIN;
  if (!g_inherit.load(std::memory_order_relaxed) || tls_no_inherit > 0) {
    return real(thread, attr, routine, arg);
  }
  const gls::Session& current = gls::CurSession();
  if (!current.IsValid() || IsGrpcInternal(__builtin_return_address(0))) {
    return real(thread, attr, routine, arg);
  }
  auto* start = new (std::nothrow) Start{routine, arg, current};
  if (start == nullptr) return EAGAIN;
  int rc = real(thread, attr, &RunInheriting, start);
  if (rc != 0) delete start;
  return rc;
}
