#pragma once
// One daemon per SQLite catalog: an exclusive flock on a file beside the
// catalog, held for the daemon's life. The kernel drops it when the process
// dies, even by kill -9, so a stale lock file never blocks a restart.

#include <string>

namespace connctl::daemon {

class InstanceLock {
 public:
  // Takes the lock for the catalog at `catalog_url` (sqlite:///path.db or a
  // path). Throws core::Error(runtime) naming the catalog and the holder's pid
  // when another daemon holds it.
  explicit InstanceLock(const std::string& catalog_url);
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

  const std::string& path() const { return m_path; }

  // Where the lock of a SQLite catalog lives: "<catalog>.daemon.lock".
  static std::string path_for(const std::string& catalog_url);

 private:
  std::string m_path;
  int m_fd = -1;
};

}  // namespace connctl::daemon
