#include "catalog/sync.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"
#include "core/log.hpp"
#include "schema/fqn.hpp"

namespace connctl::catalog {
namespace {

bool at_or_below(const std::vector<std::string>& path, const std::vector<std::string>& container) {
  if (container.empty() || container.size() > path.size()) return false;
  for (std::size_t i = 0; i < container.size(); ++i) {
    if (path[i] != container[i]) return false;
  }
  return true;
}

std::vector<std::string> components_of(const std::string& fqn) {
  try {
    return schema::Fqn::parse(fqn).components();
  } catch (const std::exception&) {
    return {};  // an unparsable name is never removable
  }
}

}  // namespace

bool removable(const std::string& fqn, const std::vector<schema::ContainerStatus>& completeness,
               const std::vector<schema::Warning>& warnings, const ScopeFn& in_scope) {
  auto path = components_of(fqn);
  if (path.size() < 2) return false;
  if (in_scope && !in_scope(std::vector<std::string>(path.begin() + 1, path.end()))) return false;
  bool inside_complete = false;
  for (const auto& c : completeness) {
    if (!at_or_below(path, components_of(c.fqn))) continue;
    if (!c.complete) return false;
    inside_complete = true;
  }
  if (!inside_complete) return false;
  for (const auto& w : warnings) {
    if (w.skipped && at_or_below(path, components_of(w.object))) return false;
  }
  return true;
}

Sync::Sync(CatalogStore& store, SyncOptions options)
    : m_store(store), m_options(std::move(options)), m_started(std::chrono::steady_clock::now()) {
  m_run_id = m_store.start_run(m_options.run);
}

void Sync::begin_stage() {
  // Not in the constructor: a run recorded by its change signature never
  // reads the source's live state.
  if (m_stage_begun) return;
  m_store.begin_stage(m_options.run.source);
  m_stage_begun = true;
}

void Sync::on_entity(const schema::Entity& entity) {
  begin_stage();
  m_store.stage_entity(entity);
}

void Sync::on_lineage(const schema::LineageEdge& edge) {
  begin_stage();
  m_store.stage_edge(edge);
}

void Sync::on_warning(const schema::Warning& warning) {
  m_warnings.push_back(warning);
}

SyncSummary Sync::commit(const std::vector<schema::ContainerStatus>& completeness,
                         const ScopeFn& in_scope) {
  std::size_t skipped = 0;
  for (const auto& w : m_warnings) skipped += w.skipped ? 1 : 0;
  std::size_t incomplete = 0;
  for (const auto& c : completeness) incomplete += c.complete ? 0 : 1;
  const RunStatus status =
      skipped > 0 || incomplete > 0 ? RunStatus::partial : RunStatus::succeeded;
  std::string note;
  if (status == RunStatus::partial) {
    note = fmt::format("{} objects skipped, {} containers incomplete; nothing removed there",
                       skipped, incomplete);
  }

  ApplyPolicy policy;
  policy.lineage = m_options.lineage;
  policy.signature = m_signature;
  policy.removable = [&](std::string_view fqn) {
    return removable(std::string(fqn), completeness, m_warnings, in_scope);
  };
  const std::string& source = m_options.run.source;
  std::string refusal;
  policy.check_removals = [&](std::int64_t removals, std::int64_t live) {
    if (m_options.allow_mass_delete || removals == 0) return;
    const double limit = std::floor(m_options.max_remove_share * static_cast<double>(live));
    if (static_cast<double>(removals) > limit) {
      refusal = fmt::format(
          "refusing to remove {} of the {} live entities of source '{}' (more than {:.0f}%)",
          removals, live, source, m_options.max_remove_share * 100);
      core::throw_runtime(refusal,
                          "if the source really lost them, run again with --allow-mass-delete");
    }
  };
  try {
    begin_stage();
    ApplyCounts counts = m_store.apply(m_run_id, source, status, note, policy);
    m_done = true;
    return summary(status, counts, note);
  } catch (const core::Error& e) {
    abandon(RunStatus::failed, e.what());
    throw;
  } catch (const std::exception& e) {
    abandon(RunStatus::failed, e.what());
    core::throw_runtime(
        fmt::format("sync of source '{}' failed writing the catalog: {}", source, e.what()));
  }
}

bool Sync::use_signature(const std::string& signature) {
  m_signature = signature;
  auto last = m_store.last_committed_run(m_options.run.source, std::nullopt);
  return last && last->status == RunStatus::succeeded && last->signature == signature;
}

SyncSummary Sync::commit_unchanged() {
  if (!m_signature) core::throw_runtime("commit_unchanged without a signature");
  try {
    ApplyCounts counts = m_store.apply_unchanged(m_run_id, m_options.run.source, *m_signature);
    m_done = true;
    return summary(RunStatus::succeeded, counts, {});
  } catch (const core::Error& e) {
    abandon(RunStatus::failed, e.what());
    throw;
  } catch (const std::exception& e) {
    abandon(RunStatus::failed, e.what());
    core::throw_runtime(fmt::format("sync of source '{}' failed writing the catalog: {}",
                                    m_options.run.source, e.what()));
  }
}

SyncSummary Sync::abandon(RunStatus status, const std::string& error) {
  if (!m_done) {
    m_done = true;
    m_store.finish_run(m_run_id, status, error);
  }
  return summary(status, {}, error);
}

SyncSummary Sync::summary(RunStatus status, const ApplyCounts& counts, std::string error) const {
  SyncSummary s;
  s.run_id = m_run_id;
  s.source = m_options.run.source;
  s.status = status;
  s.counts = counts;
  s.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - m_started)
                      .count();
  s.warnings = m_warnings;
  s.error = std::move(error);
  return s;
}

}  // namespace connctl::catalog
