#include "daemon/run_sync.hpp"

#include <fmt/format.h>

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include "core/log.hpp"
#include "core/version.hpp"
#include "schema/entity.hpp"

namespace connctl::daemon {
namespace {

// Forwards the caller's cancellation to the run's own token, and cancels it
// when the timeout passes, remembering which of the two it was.
class RunWatch {
 public:
  RunWatch(const core::CancelToken& parent, std::optional<std::chrono::milliseconds> timeout)
      : m_parent(parent) {
    if (parent.cancelled()) m_token.cancel();
    const auto deadline =
        timeout ? std::optional(std::chrono::steady_clock::now() + *timeout) : std::nullopt;
    m_thread = std::jthread([this, deadline](std::stop_token stop) {
      std::mutex mutex;
      std::condition_variable_any wake;
      std::unique_lock lock(mutex);
      while (!stop.stop_requested()) {
        if (m_parent.cancelled()) {
          m_token.cancel();
          return;
        }
        if (deadline && std::chrono::steady_clock::now() >= *deadline) {
          m_timed_out.store(true);
          m_token.cancel();
          return;
        }
        // The parent token is a plain flag, so it is polled; 50 ms is well
        // below what a person or a timeout notices.
        wake.wait_for(lock, stop, std::chrono::milliseconds(50), [] { return false; });
      }
    });
  }

  const core::CancelToken& token() const { return m_token; }
  bool timed_out() const { return m_timed_out.load(); }

 private:
  const core::CancelToken& m_parent;
  core::CancelToken m_token;
  std::atomic<bool> m_timed_out{false};
  std::jthread m_thread;  // last: joined before the members it uses go away
};

catalog::RunStatus status_for_cancel(const RunWatch& watch) {
  return watch.timed_out() ? catalog::RunStatus::timed_out : catalog::RunStatus::interrupted;
}

}  // namespace

SyncRunResult run_sync(const extractors::SourceSpec& spec,
                       const extractors::ExtractRequest& request, catalog::CatalogStore& store,
                       const SyncRunOptions& options, const core::CancelToken& cancel) {
  auto extractor = extractors::open_extractor(spec);

  catalog::SyncOptions sync_options;
  sync_options.run = options.run;
  sync_options.run.source = spec.name;
  sync_options.allow_mass_delete = options.allow_mass_delete;
  sync_options.lineage = request.lineage;
  catalog::Sync sync(store, sync_options);
  RunWatch watch(cancel, options.timeout);

  SyncRunResult result;
  auto fail = [&](catalog::RunStatus status, const std::string& message, core::ExitCode code) {
    result.summary = sync.abandon(status, message);
    result.exit_code = code;
    result.error = std::current_exception();
    return result;
  };
  auto cancelled_message = [&] {
    return watch.timed_out() ? fmt::format("timed out after {}",
                                           core::format_duration_ms(options.timeout->count()))
                             : std::string("interrupted by a signal");
  };

  // An unchanged source (same change signature, same scope, same connctl as
  // its newest successful run) is recorded without extracting it.
  try {
    if (!options.full) {
      if (auto signature = extractor->change_signature(request, watch.token())) {
        const std::string key =
            fmt::format("connctl {}\nlineage {}\n{}{}", core::k_version, request.lineage ? 1 : 0,
                        request.filter.describe(), *signature);
        if (sync.use_signature(schema::short_digest(key))) {
          core::log_info("source '{}' is unchanged since its last run (change signature)",
                         spec.name);
          result.summary = sync.commit_unchanged();
          return result;
        }
      }
    }
  } catch (const core::Error& e) {
    if (watch.token().cancelled()) {
      return fail(status_for_cancel(watch), cancelled_message(),
                  watch.timed_out() ? core::ExitCode::runtime : core::ExitCode::interrupted);
    }
    return fail(catalog::RunStatus::failed, e.what(), e.code());
  }

  extractors::ExtractResult extracted;
  try {
    std::unique_ptr<schema::EntitySink> front;
    if (options.wrap_sink) front = options.wrap_sink(sync);
    schema::EntitySink& sink = front ? *front : static_cast<schema::EntitySink&>(sync);
    core::log_debug("syncing source '{}' ({}) into {}", spec.name, spec.type, store.describe());
    extracted = extractor->extract(request, sink, watch.token());
  } catch (const core::Error& e) {
    // A failed extraction is recorded, and nothing else is written.
    if (watch.token().cancelled()) {
      return fail(status_for_cancel(watch), cancelled_message(),
                  watch.timed_out() ? core::ExitCode::runtime : core::ExitCode::interrupted);
    }
    return fail(catalog::RunStatus::failed, e.what(), e.code());
  } catch (const std::exception& e) {
    return fail(catalog::RunStatus::failed, e.what(), core::ExitCode::runtime);
  }
  if (watch.token().cancelled()) {
    result.summary = sync.abandon(status_for_cancel(watch), cancelled_message());
    result.exit_code = watch.timed_out() ? core::ExitCode::runtime : core::ExitCode::interrupted;
    return result;
  }
  const extractors::Filter filter = request.filter;
  try {
    result.summary = sync.commit(
        extracted.completeness,
        [&filter](const std::vector<std::string>& path) { return filter.matches(path); });
  } catch (const core::Error& e) {
    // commit recorded the run as failed (the mass-delete guard, a store error).
    return fail(catalog::RunStatus::failed, e.what(), e.code());
  }
  result.exit_code = result.summary.status == catalog::RunStatus::partial ? core::ExitCode::partial
                                                                          : core::ExitCode::ok;
  return result;
}

}  // namespace connctl::daemon
