#include "catalog/store.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "catalog/postgres_store.hpp"
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

std::string_view to_string(ClaimResult result) {
  switch (result) {
    case ClaimResult::won:
      return "won";
    case ClaimResult::own:
      return "own";
    case ClaimResult::taken_over:
      return "taken_over";
    case ClaimResult::held:
      return "held";
    case ClaimResult::done:
      return "done";
  }
  return "held";
}

ClaimResult decide_existing_claim(const ExistingClaim& row, const std::string& daemon_id) {
  if (row.done) return ClaimResult::done;
  if (row.holder == daemon_id) return ClaimResult::own;
  if (!row.expired || row.run_alive) return ClaimResult::held;
  if (row.run_status == "succeeded" || row.run_status == "partial") return ClaimResult::done;
  return ClaimResult::taken_over;
}

std::vector<std::string> search_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80) {
      word += c;
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

const std::vector<CatalogTable>& catalog_tables() {
  static const std::vector<CatalogTable> k_tables = {
      {"runs",
       {"id", "source", "job", "trigger", "scheduled_for", "started_at", "finished_at", "status",
        "added", "changed", "removed", "unchanged", "error", "host", "pid", "seq", "signature"}},
      {"entities", {"id", "source", "kind", "fqn", "first_run"}},
      {"versions",
       {"entity", "valid_from_run", "valid_to_run", "valid_from_seq", "valid_to_seq", "fingerprint",
        "body"}},
      {"lineage",
       {"source", "from_fqn", "to_fqn", "kind", "columns", "valid_from_run", "valid_to_run",
        "valid_from_seq", "valid_to_seq"}},
      {"observations", {"entity", "run", "body"}},
  };
  return k_tables;
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
    return open_postgres_store(url);
  }
  if (text.find("://") != std::string_view::npos) {
    core::throw_usage(fmt::format("unknown catalog URL '{}'", url),
                      "use sqlite:///path/catalog.db, a file path or postgresql://host/db");
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
