#pragma once
// One sync run: what `connctl sync` does and what the daemon runs for a job,
// in one place so that the two can never drift apart. The run is recorded in
// the catalog first, then the extractor streams into the catalog's sync engine,
// and the run ends succeeded, partial, failed, interrupted or timed out.

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>

#include "catalog/store.hpp"
#include "catalog/sync.hpp"
#include "core/cancel.hpp"
#include "core/error.hpp"
#include "extractors/extractor.hpp"
#include "extractors/source.hpp"
#include "schema/sink.hpp"

namespace connctl::daemon {

struct SyncRunOptions {
  catalog::RunStart run;  // job, trigger, scheduled_for; source is taken from the spec
  bool allow_mass_delete = false;
  // Extract even when the source's change signature says nothing changed
  // since its last successful run (`connctl sync --full`, a job's mode = full).
  bool full = false;
  // Cancels the run cooperatively once it has run this long; the run is then
  // recorded as timed_out.
  std::optional<std::chrono::milliseconds> timeout;
  // Lets the caller put sinks (a progress line, counters) in front of the
  // catalog's; they are destroyed before the run commits.
  std::function<std::unique_ptr<schema::EntitySink>(schema::EntitySink& next)> wrap_sink;
};

struct SyncRunResult {
  catalog::SyncSummary summary;  // status failed/interrupted/timed_out when no state was written
  core::ExitCode exit_code = core::ExitCode::ok;
  std::exception_ptr error;  // what made it fail, for the caller to report or rethrow
};

// Opens the extractor (a usage error there throws before any run is recorded),
// records the run, extracts and commits. Failures of the run itself are
// returned, not thrown, with the run recorded. `cancel` stops the run (status
// interrupted).
SyncRunResult run_sync(const extractors::SourceSpec& spec,
                       const extractors::ExtractRequest& request, catalog::CatalogStore& store,
                       const SyncRunOptions& options, const core::CancelToken& cancel);

}  // namespace connctl::daemon
