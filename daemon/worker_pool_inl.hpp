#pragma once
// WorkerPool's template definitions (see worker_pool.hpp).

#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace connctl::daemon {

template <class Result>
WorkerPool<Result>::WorkerPool(int threads, int wake_fd) : m_wake_fd(wake_fd) {
  for (int i = 0; i < threads; ++i) m_threads.emplace_back([this] { loop(); });
}

template <class Result>
WorkerPool<Result>::~WorkerPool() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
    m_queue.clear();
  }
  m_wake.notify_all();
  for (auto& t : m_threads) t.join();
}

template <class Result>
void WorkerPool<Result>::submit(Work work, std::shared_ptr<core::CancelToken> cancel) {
  {
    std::lock_guard lock(m_mutex);
    m_queue.push_back(Task{std::move(work), std::move(cancel)});
    ++m_outstanding;
  }
  m_wake.notify_one();
}

template <class Result>
std::vector<Result> WorkerPool<Result>::take_completed() {
  std::lock_guard lock(m_mutex);
  m_outstanding -= m_completed.size();
  return std::exchange(m_completed, {});
}

template <class Result>
std::size_t WorkerPool<Result>::drop_queued() {
  std::lock_guard lock(m_mutex);
  const std::size_t n = m_queue.size();
  m_queue.clear();
  m_outstanding -= n;
  return n;
}

template <class Result>
void WorkerPool<Result>::cancel_all() {
  std::lock_guard lock(m_mutex);
  for (auto& token : m_running) token->cancel();
  for (auto& task : m_queue) task.cancel->cancel();
}

template <class Result>
std::size_t WorkerPool<Result>::outstanding() const {
  std::lock_guard lock(m_mutex);
  return m_outstanding;
}

template <class Result>
void WorkerPool<Result>::loop() {
  std::unique_lock lock(m_mutex);
  while (true) {
    m_wake.wait(lock, [this] { return m_stop || !m_queue.empty(); });
    if (m_stop) return;
    Task task = std::move(m_queue.front());
    m_queue.pop_front();
    m_running.push_back(task.cancel);
    lock.unlock();
    Result result = task.work(*task.cancel);
    lock.lock();
    m_running.erase(std::find(m_running.begin(), m_running.end(), task.cancel));
    m_completed.push_back(std::move(result));
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(m_wake_fd, &one, sizeof one);
  }
}

}  // namespace connctl::daemon
