#pragma once
// A fixed number of threads that run syncs. Each task gets its own cancel
// token (so shutdown can cancel what runs), and each finished task is handed
// back through take_completed() after a write to an eventfd the scheduler
// loop polls, so the loop sleeps until there is something to do.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/cancel.hpp"

namespace connctl::daemon {

template <class Result>
class WorkerPool {
 public:
  using Work = std::function<Result(const core::CancelToken&)>;

  WorkerPool(int threads, int wake_fd);
  ~WorkerPool();  // cancels nothing: call cancel_all() first to hurry it
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // `cancel` is the task's token (the caller may keep it to cancel this one task).
  void submit(Work work,
              std::shared_ptr<core::CancelToken> cancel = std::make_shared<core::CancelToken>());
  std::vector<Result> take_completed();
  // Removes tasks that have not started; returns how many.
  std::size_t drop_queued();
  void cancel_all();
  // Tasks queued or running and not yet taken back.
  std::size_t outstanding() const;

 private:
  struct Task {
    Work work;
    std::shared_ptr<core::CancelToken> cancel;
  };
  void loop();

  int m_wake_fd;
  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<Task> m_queue;
  std::vector<std::shared_ptr<core::CancelToken>> m_running;
  std::vector<Result> m_completed;
  std::size_t m_outstanding = 0;
  bool m_stop = false;
  std::vector<std::thread> m_threads;
};

}  // namespace connctl::daemon

#include "daemon/worker_pool_inl.hpp"
