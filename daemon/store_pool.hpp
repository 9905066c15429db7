#pragma once

// Catalog connections that the daemon's runs reuse, one per run at a time:
// opening a store reads its schema and checks its migrations, and closing
// SQLite's last connection checkpoints the WAL with an fsync, which a
// thousand runs a minute would otherwise each pay.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "catalog/store.hpp"

namespace connctl::daemon {

class StorePool {
 public:
  explicit StorePool(std::string url) : m_url(std::move(url)) {}

  // An idle connection, or a new one (throws like catalog::open_store).
  std::unique_ptr<catalog::CatalogStore> take();
  // Back for the next run; only a store whose last run ended cleanly (a run
  // that failed may have left it in any state: it is closed instead).
  void give(std::unique_ptr<catalog::CatalogStore> store);

 private:
  std::string m_url;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<catalog::CatalogStore>> m_idle;
};

}  // namespace connctl::daemon
