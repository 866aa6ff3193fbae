// gls/session/thread_pool.h
//
// `gls::ThreadPool`: a fixed-size pool of worker threads (Abseil mutex and
// absl::AnyInvocable tasks) whose tasks carry sessions. `Schedule(task)`
// captures the caller's current session when the task is submitted and binds
// it while the task runs; a task submitted with no session runs with the empty
// session bound, so nothing from an earlier task or an inherited binding is
// ever visible to it.
//
// Shutdown: the destructor stops accepting tasks, runs every task already
// queued to completion, then joins all worker threads; no pool thread is alive
// after it returns. `Schedule` after shutdown began returns false and drops
// the task. A task must not destroy its own pool.
//
// Example:
//
//   gls::ThreadPool pool(4);
//   // In a handler:
//   pool.Schedule([] { CallDownstream(); });  // sees the handler's session
//
// Thread-safety: thread-safe.

#ifndef GLS_SESSION_THREAD_POOL_H_
#define GLS_SESSION_THREAD_POOL_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "gls/session/session.h"

namespace gls {

// A fixed-size pool whose tasks run under the session of their submitter.
// Thread-safe.
class ThreadPool {
 public:
  // Starts `num_threads` worker threads (at least 1).
  explicit ThreadPool(int num_threads);
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool();

  // Queues `task` to run with the caller's current session bound.
  bool Schedule(absl::AnyInvocable<void()> task);
  // Queues `task` to run with `session` bound.
  bool ScheduleWithSession(Session session, absl::AnyInvocable<void()> task);

  // The number of worker threads.
  int num_threads() const { return static_cast<int>(threads_.size()); }

 private:
  struct Task {
    Session session;
    absl::AnyInvocable<void()> fn;
  };
  void WorkLoop();

  absl::Mutex mu_;
  absl::CondVar cv_;  // signalled on a new task and on shutdown
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace gls

#endif  // GLS_SESSION_THREAD_POOL_H_
