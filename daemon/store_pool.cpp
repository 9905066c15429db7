#include "daemon/store_pool.hpp"

namespace connctl::daemon {

std::unique_ptr<catalog::CatalogStore> StorePool::take() {
  {
    std::lock_guard lock(m_mutex);
    if (!m_idle.empty()) {
      auto store = std::move(m_idle.back());
      m_idle.pop_back();
      return store;
    }
  }
  return catalog::open_store(m_url);
}

void StorePool::give(std::unique_ptr<catalog::CatalogStore> store) {
  if (!store) return;
  std::lock_guard lock(m_mutex);
  m_idle.push_back(std::move(store));
}

}  // namespace connctl::daemon
