#include "gls/session/thread_pool.h"

#include <utility>

#include "gls/session/internal/mutex_lock.h"
#include "gls/session/no_inherit.h"
#include "gls/session/session_manager.h"

namespace gls {

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads < 1) num_threads = 1;
  threads_.reserve(num_threads);
  for (int i = 0; i < num_threads; ++i) {
    // Pool threads serve every request: they inherit nothing (async=true),
    // and every task binds its own (possibly empty) session.
    NoInheritScope no_inherit;
    threads_.emplace_back([this] { WorkLoop(); });
  }
}

ThreadPool::~ThreadPool() {
  {
    session_internal::MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  for (std::thread& t : threads_) t.join();
}

bool ThreadPool::Schedule(absl::AnyInvocable<void()> task) {
  return ScheduleWithSession(CurSession(), std::move(task));
}

bool ThreadPool::ScheduleWithSession(Session session,
                                     absl::AnyInvocable<void()> task) {
  session_internal::MutexLock lock(&mu_);
  if (stopping_) return false;
  queue_.push_back(Task{std::move(session), std::move(task)});
  cv_.Signal();
  return true;
}

void ThreadPool::WorkLoop() {
  while (true) {
    Task task;
    {
      session_internal::MutexLock lock(&mu_);
      while (queue_.empty() && !stopping_) session_internal::Wait(&cv_, &mu_);
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    SessionScope scope(std::move(task.session));
    std::move(task.fn)();
  }
}

}  // namespace gls
