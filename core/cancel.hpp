#pragma once
// Cooperative cancellation: signal handlers and timeouts set the token, long
// loops poll it and stop at the next safe point.

#include <atomic>

namespace connctl::core {

class CancelToken {
 public:
  void cancel() { m_cancelled.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return m_cancelled.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> m_cancelled{false};
};

}  // namespace connctl::core
