#pragma once
// Entities built on worker threads and handed back in the order their items
// were submitted, so that an extractor can stream a large catalog to its sink
// while the next rows are read.

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "schema/entity.hpp"

namespace connctl::schema {

using Entities = std::vector<Entity>;

// Builds items of entities on worker threads, and hands them back in the
// order they were submitted. An item, and so every entity in it, is freed by
// the thread that built it: a thread that frees another's allocations
// contends with it for its malloc arena, which cost more than the building.
class BuildPool {
 public:
  using Build = std::function<void(Entities&)>;

  explicit BuildPool(std::size_t threads) : m_freed(threads) {
    for (std::size_t i = 0; i < threads; ++i) m_threads.emplace_back([this, i] { work(i); });
  }
  ~BuildPool() {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_work.notify_all();
    for (auto& t : m_threads) t.join();
  }
  BuildPool(const BuildPool&) = delete;
  BuildPool& operator=(const BuildPool&) = delete;

  void submit(Build build) {
    auto task = std::make_unique<Task>();
    task->build = std::move(build);
    {
      std::lock_guard lock(m_mutex);
      m_queue.push_back(task.get());
      m_tasks.push_back(std::move(task));
    }
    m_work.notify_one();
  }
  // Items submitted and not yet handed back.
  std::size_t pending() const {
    std::lock_guard lock(m_mutex);
    return m_tasks.size();
  }
  // Passes the oldest item's entities to `fn`, once it is built (waiting for
  // it when `wait`); false when there is none, or it is not built and
  // `wait` is false. A build's exception is rethrown here.
  template <class Fn>
  bool deliver_next(bool wait, Fn&& fn) {
    std::unique_lock lock(m_mutex);
    if (m_tasks.empty()) return false;
    Task& task = *m_tasks.front();
    if (!task.done) {
      if (!wait) return false;
      m_built.wait(lock, [&] { return task.done; });
    }
    lock.unlock();
    if (task.error) std::rethrow_exception(task.error);
    fn(static_cast<const Entities&>(task.entities));
    lock.lock();
    m_freed[task.worker].push_back(std::move(m_tasks.front()));
    m_tasks.pop_front();
    lock.unlock();
    m_work.notify_all();
    return true;
  }

 private:
  struct Task {
    Build build;
    Entities entities;
    std::exception_ptr error;
    std::size_t worker = 0;
    bool done = false;
  };

  void work(std::size_t me) {
    std::unique_lock lock(m_mutex);
    while (true) {
      m_work.wait(lock, [&] { return m_stop || !m_queue.empty() || !m_freed[me].empty(); });
      if (!m_freed[me].empty()) {
        std::vector<std::unique_ptr<Task>> freed = std::move(m_freed[me]);
        m_freed[me].clear();
        lock.unlock();
        freed.clear();
        lock.lock();
        continue;
      }
      if (m_stop) return;
      Task* task = m_queue.front();
      m_queue.pop_front();
      lock.unlock();
      try {
        task->build(task->entities);
      } catch (...) {
        task->error = std::current_exception();
      }
      task->build = nullptr;
      lock.lock();
      task->worker = me;
      task->done = true;
      m_built.notify_all();
    }
  }

  mutable std::mutex m_mutex;
  std::condition_variable m_work;                           // a task queued, a task freed, or stop
  std::condition_variable m_built;                          // a task built
  std::deque<std::unique_ptr<Task>> m_tasks;                // submitted, not handed back, in order
  std::deque<Task*> m_queue;                                // not yet taken by a worker
  std::vector<std::vector<std::unique_ptr<Task>>> m_freed;  // to free, by worker
  std::vector<std::thread> m_threads;
  bool m_stop = false;
};

// Threads that build entities while the reader's thread reads and writes.
inline std::size_t build_threads() {
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
}

}  // namespace connctl::schema
