#pragma once
// The incremental sync engine: an EntitySink that stages what an extractor
// streams, then has the store write only the differences in one transaction.
// It decides what may be removed (deletion safety); the store carries it out.
// It knows nothing of extractors: the CLI runs the extractor into sink().

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "catalog/store.hpp"
#include "schema/entity.hpp"
#include "schema/sink.hpp"

namespace connctl::catalog {

inline constexpr double k_default_max_remove_share = 0.20;

struct SyncOptions {
  RunStart run;  // run.source names the source
  bool allow_mass_delete = false;
  double max_remove_share = k_default_max_remove_share;
  bool lineage = true;  // whether the extraction computes lineage (else no edge is closed)
};

// Whether a path below the source (FQN components after the source name) is
// in the filter's scope. Filtered-out objects are never removed.
using ScopeFn = std::function<bool(const std::vector<std::string>& path)>;

struct SyncSummary {
  std::string run_id;
  std::string source;
  RunStatus status = RunStatus::running;
  ApplyCounts counts;
  std::int64_t duration_ms = 0;
  std::vector<schema::Warning> warnings;
  std::string error;
};

// Whether `fqn` may be removed when a run did not see it: in scope, inside a
// container reported complete, and not at or below an incomplete container or
// an object a warning says was skipped.
bool removable(const std::string& fqn, const std::vector<schema::ContainerStatus>& completeness,
               const std::vector<schema::Warning>& warnings, const ScopeFn& in_scope);

class Sync final : public schema::EntitySink {
 public:
  // Records the run as running at once.
  Sync(CatalogStore& store, SyncOptions options);

  void on_entity(const schema::Entity& entity) override;
  void on_lineage(const schema::LineageEdge& edge) override;
  void on_warning(const schema::Warning& warning) override;

  const std::string& run_id() const { return m_run_id; }

  // Applies the run: succeeded, or partial when something was skipped or a
  // container was incomplete. Throws core::Error (runtime) when the mass-delete
  // guard refuses; the run is then recorded as failed and nothing else written.
  SyncSummary commit(const std::vector<schema::ContainerStatus>& completeness,
                     const ScopeFn& in_scope);

  // Records a run that writes nothing (failed or interrupted).
  SyncSummary abandon(RunStatus status, const std::string& error);

  // The source's change signature, read before extracting (and recorded
  // with the run). Returns whether the source's newest committed run
  // succeeded under the same signature: then nothing need be extracted, and
  // commit_unchanged() records this run as finding everything unchanged.
  bool use_signature(const std::string& signature);
  SyncSummary commit_unchanged();

 private:
  SyncSummary summary(RunStatus status, const ApplyCounts& counts, std::string error) const;
  void begin_stage();  // once, before the first staged entity or edge, or at commit

  CatalogStore& m_store;
  SyncOptions m_options;
  std::string m_run_id;
  std::vector<schema::Warning> m_warnings;
  std::optional<std::string> m_signature;
  std::chrono::steady_clock::time_point m_started;
  bool m_done = false;
  bool m_stage_begun = false;
};

}  // namespace connctl::catalog
