#include "catalog/store.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "catalog/sqlite_store.hpp"
#include "core/error.hpp"

namespace connctl::catalog {

std::string_view to_string(RunStatus status) {
  switch (status) {
    case RunStatus::running:
      return "running";
    case RunStatus::succeeded:
      return "succeeded";
    case RunStatus::partial:
      return "partial";
    case RunStatus::failed:
      return "failed";
    case RunStatus::interrupted:
      return "interrupted";
    case RunStatus::timed_out:
      return "timed_out";
  }
  return "failed";
}

std::optional<RunStatus> parse_run_status(std::string_view text) {
  for (auto s : {RunStatus::running, RunStatus::succeeded, RunStatus::partial, RunStatus::failed,
                 RunStatus::interrupted, RunStatus::timed_out}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

std::unique_ptr<CatalogStore> open_store(const std::string& url) {
  constexpr std::string_view k_sqlite = "sqlite://";
  std::string_view text = url;
  if (text.starts_with(k_sqlite)) {
    std::string path(text.substr(k_sqlite.size()));
    if (path.empty())
      core::throw_usage(fmt::format("catalog URL '{}' names no file", url),
                        "write sqlite:///absolute/path/catalog.db");
    return open_sqlite_store(path);
  }
  if (text.starts_with("postgresql://") || text.starts_with("postgres://")) {
    core::throw_usage("a PostgreSQL catalog is not supported by this build yet",
                      "use a SQLite catalog: --catalog sqlite:///path/catalog.db");
  }
  if (text.find("://") != std::string_view::npos) {
    core::throw_usage(fmt::format("unknown catalog URL '{}'", url),
                      "use sqlite:///path/catalog.db or a file path");
  }
  return open_sqlite_store(std::string(text));
}

std::string default_catalog_url() {
  std::filesystem::path base;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) {
    base = state;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    base = std::filesystem::path(home) / ".local" / "state";
  } else {
    core::throw_usage("no catalog location: neither XDG_STATE_HOME nor HOME is set",
                      "pass --catalog sqlite:///path/catalog.db or set [catalog] url");
  }
  return "sqlite://" + (base / "connctl" / "catalog.db").string();
}

}  // namespace connctl::catalog
