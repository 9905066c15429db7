#include "daemon/service.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <random>
#include <set>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/secrets.hpp"
#include "daemon/instance_lock.hpp"
#include "daemon/metrics.hpp"
#include "daemon/notifier.hpp"
#include "daemon/run_sync.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/store_pool.hpp"
#include "daemon/systemd_notify.hpp"
#include "daemon/worker_pool.hpp"
#include "extractors/source.hpp"

namespace connctl::daemon {
namespace {

// The loop wakes at least this often, so /healthz sees it alive.
constexpr std::chrono::milliseconds k_max_sleep{1000};
// /healthz reports the loop dead when it has not turned for this long.
constexpr std::chrono::milliseconds k_loop_stall{10'000};
// How many of a source's newest runs are searched for a job's newest one.
constexpr std::size_t k_runs_searched = 200;
// Expired claims looked at per pass, and how long done claims are kept.
constexpr std::size_t k_expired_claims_per_pass = 32;
constexpr std::chrono::hours k_claim_retention{24};
constexpr std::chrono::hours k_prune_interval{1};

sigset_t daemon_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

std::string hostname() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "";
  return buffer;
}

// hostname:pid:random, stable for the process: the holder of its claims.
std::string make_daemon_id() {
  std::random_device random;
  return fmt::format("{}:{}:{:08x}", hostname(), ::getpid(), random());
}

using FireKey = std::pair<std::string, std::string>;  // job, scheduled_for (ISO 8601 UTC)

// A fire this daemon holds the claim of: its run is going on, or it waits
// for a retry. The lease is renewed until the fire is settled.
struct HeldClaim {
  bool running = false;
  std::shared_ptr<core::CancelToken> cancel;  // the run's, cancelled when the claim is lost
};

// What a worker hands back to the loop.
struct Completed {
  DueRun run;
  core::JobConfig job;  // as it was when the run started
  std::string run_id;   // empty when the run could not even be recorded
  catalog::RunStatus status = catalog::RunStatus::failed;
  catalog::ApplyCounts counts;
  std::int64_t duration_ms = 0;
  std::string error;
  core::TimePoint finished_at;
};

RunOutcome outcome_of(catalog::RunStatus status) {
  switch (status) {
    case catalog::RunStatus::succeeded:
    case catalog::RunStatus::partial:
      return RunOutcome::succeeded;
    case catalog::RunStatus::interrupted:
    case catalog::RunStatus::running:
      return RunOutcome::cancelled;
    default:
      return RunOutcome::failed;
  }
}

}  // namespace

SignalInbox::SignalInbox() {
  sigset_t blocked = daemon_signals();
  sigaddset(&blocked, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
  sigset_t read = daemon_signals();
  m_fd = ::signalfd(-1, &read, SFD_NONBLOCK | SFD_CLOEXEC);
  if (m_fd < 0) core::throw_runtime(fmt::format("signalfd: {}", std::strerror(errno)));
}

SignalInbox::~SignalInbox() {
  ::close(m_fd);
}

std::vector<int> SignalInbox::take() {
  std::vector<int> signals;
  signalfd_siginfo info{};
  while (::read(m_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    signals.push_back(static_cast<int>(info.ssi_signo));
  }
  return signals;
}

struct Service::Impl {
  Impl(ServiceOptions o, const core::Clock& c)
      : options(std::move(o)),
        clock(c),
        scheduler(clock, std::random_device{}()),
        wake_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
        stores(options.catalog_url) {
    if (wake_fd < 0) core::throw_runtime(fmt::format("eventfd: {}", std::strerror(errno)));
  }
  ~Impl() {
    metrics_server.reset();
    pool.reset();
    ::close(wake_fd);
  }

  // --- the loop and its steps ---------------------------------------------
  int run();
  void start();
  void handle_signals();
  void collect_finished_runs();
  void start_due_runs();
  void keep_claims();
  void report_status();
  void wait_for_work(std::chrono::milliseconds longest);
  void shut_down();

  // --- how ----------------------------------------------------------------
  void reload();
  void resume_from_history(catalog::CatalogStore& store);
  catalog::CatalogStore& claims_store();
  // Whether other daemons may share the catalog (PostgreSQL): fires are then
  // claimed. On SQLite the flock keeps this daemon alone and it claims nothing.
  bool shares_catalog() const { return !lock; }
  bool claim(const DueRun& run);
  void submit(const DueRun& run);
  void settle_claim(FireKey key, bool done);
  void renew_claims();
  void take_over_expired_claims();
  std::chrono::milliseconds lease() const {
    return std::chrono::milliseconds(config->daemon.lease_ms);
  }
  Completed execute(const DueRun& run, const std::shared_ptr<const core::Config>& config,
                    const core::CancelToken& cancel) const;
  bool still_holds(const DueRun& run, std::chrono::milliseconds lease) const;
  void notify(const Completed& done);
  void send_notification(const Completed& done, std::string_view event, std::int64_t failures);
  std::string status_line() const;
  std::string health_problem() const;

  ServiceOptions options;
  const core::Clock& clock;
  SignalInbox signals;  // first: blocks the signals before any thread starts
  Scheduler scheduler;
  int wake_fd;
  std::shared_ptr<const core::Config> config;
  std::optional<InstanceLock> lock;
  std::unique_ptr<WorkerPool<Completed>> pool;
  Notifier notifier;
  Metrics metrics;
  std::unique_ptr<MetricsServer> metrics_server;
  SystemdNotifier systemd;
  std::map<std::string, std::int64_t> consecutive_failures;
  const std::string daemon_id = make_daemon_id();
  std::unique_ptr<catalog::CatalogStore> claims_db;  // the loop's own session for claims
  std::map<FireKey, HeldClaim> held;
  std::chrono::steady_clock::time_point next_claims_pass{};
  std::chrono::steady_clock::time_point next_prune{};
  std::size_t running = 0;
  bool stop_requested = false;
  bool stop_now = false;  // a second SIGTERM: do not wait for the grace period
  std::atomic<std::int64_t> heartbeat_ms{0};
  std::uint64_t reported_generation = 0;  // the scheduler's fires_generation() last reported
  mutable StorePool stores;               // the runs' catalog connections, reused
};

int Service::Impl::run() {
  start();
  while (!stop_requested) {
    handle_signals();         // SIGHUP reloads; SIGTERM/SIGINT end the loop
    collect_finished_runs();  // record outcomes, schedule retries, notify
    if (stop_requested) break;
    start_due_runs();  // claim what the scheduler says is due; what is ours goes to the workers
    keep_claims();     // renew held leases; take over fires whose daemon died
    report_status();   // STATUS=, WATCHDOG=1, metrics gauges, heartbeat
    auto wake = scheduler.next_wakeup();
    auto until = wake ? std::chrono::duration_cast<std::chrono::milliseconds>(*wake - clock.now())
                      : k_max_sleep;
    // Leases are renewed on time however short they are (a daemon alone on
    // its catalog holds none).
    if (shares_catalog()) {
      until = std::min(until, std::chrono::ceil<std::chrono::milliseconds>(
                                  next_claims_pass - std::chrono::steady_clock::now()));
    }
    wait_for_work(std::clamp(until, std::chrono::milliseconds(0), k_max_sleep));
    systemd.watchdog_if_due(std::chrono::steady_clock::now());
  }
  shut_down();
  return 0;
}

void Service::Impl::start() {
  config = std::make_shared<const core::Config>(options.load_config());
  if (options.catalog_url.starts_with("sqlite://") ||
      options.catalog_url.find("://") == std::string::npos) {
    lock.emplace(options.catalog_url);
  }
  // Opening the store marks runs a dead daemon left `running` as interrupted.
  auto store = catalog::open_store(options.catalog_url);
  // Alone on the catalog (the flock): claims left by an earlier daemon are dead.
  if (!shares_catalog()) store->expire_claims_except(daemon_id);
  pool = std::make_unique<WorkerPool<Completed>>(
      static_cast<int>(config->daemon.max_concurrent_runs), wake_fd);
  scheduler.set_jobs(config->jobs);
  resume_from_history(*store);
  metrics.set_jobs(scheduler.job_names());
  if (options.metrics_listen) {
    metrics_server = std::make_unique<MetricsServer>(metrics, [this] { return health_problem(); });
    const int port = metrics_server->start(*options.metrics_listen);
    core::log_info("metrics on {} (port {}): /metrics, /healthz", *options.metrics_listen, port);
  }
  heartbeat_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now().time_since_epoch())
                     .count();
  core::log_info("daemon started: {} jobs scheduled, catalog {}, config {}, daemon id {}",
                 scheduler.job_names().size(), store->describe(), config->path, daemon_id);
  const auto now = std::chrono::steady_clock::now();
  next_claims_pass = now + lease() / 3;
  next_prune = now;
  systemd.ready(status_line());
  stores.give(std::move(store));  // kept open for the runs
}

void Service::Impl::handle_signals() {
  for (int signal : signals.take()) {
    if (signal == SIGHUP) {
      reload();
    } else if (!stop_requested) {
      core::log_info("received {}: no new runs; waiting up to {} for {} running",
                     signal == SIGTERM ? "SIGTERM" : "SIGINT",
                     core::format_duration_ms(config->daemon.shutdown_grace_ms), running);
      stop_requested = true;
    } else {
      stop_now = true;
    }
  }
}

void Service::Impl::collect_finished_runs() {
  for (Completed& done : pool->take_completed()) {
    --running;
    scheduler.finished(done.run, outcome_of(done.status));
    const FireKey key{done.run.job, core::format_iso8601_utc(done.run.scheduled_for)};
    if (auto it = held.find(key); it != held.end()) {
      it->second.running = false;
      const std::optional<DueRun> retry = scheduler.pending(done.run.job);
      const bool retrying = retry && retry->trigger == Trigger::retry &&
                            retry->scheduled_for == done.run.scheduled_for;
      // A run a shutdown cancelled is left for another daemon (or the next start).
      const bool cancelled = stop_requested && done.status == catalog::RunStatus::interrupted;
      if (!retrying) settle_claim(key, !cancelled);
    }
    metrics.run_finished(done.run.job, done.status, static_cast<double>(done.duration_ms) / 1000.0,
                         done.counts, done.finished_at);
    notify(done);
  }
}

void Service::Impl::start_due_runs() {
  for (const DueRun& skipped : scheduler.take_skipped()) {
    metrics.fire_skipped(skipped.job);
    core::log_line(
        core::LogLevel::info, "fire skipped: the job is still running",
        {{"job", skipped.job}, {"scheduled_for", core::format_iso8601_utc(skipped.scheduled_for)}});
  }
  for (DueRun& due : scheduler.take_due()) {
    if (!claim(due)) {
      scheduler.finished(due, RunOutcome::not_run);
      continue;
    }
    submit(due);
  }
}

void Service::Impl::submit(const DueRun& due) {
  ++running;
  auto cancel = std::make_shared<core::CancelToken>();
  held[{due.job, core::format_iso8601_utc(due.scheduled_for)}] = HeldClaim{true, cancel};
  pool->submit([this, due, snapshot = config](
                   const core::CancelToken& cancel) { return execute(due, snapshot, cancel); },
               cancel);
}

catalog::CatalogStore& Service::Impl::claims_store() {
  if (!claims_db) claims_db = catalog::open_store(options.catalog_url);
  return *claims_db;
}

// Claims the fire of `run` for this daemon; false when another daemon has it
// (or the catalog cannot say), and the run is then not started.
bool Service::Impl::claim(const DueRun& run) {
  if (!shares_catalog()) return true;
  const std::string scheduled_for = core::format_iso8601_utc(run.scheduled_for);
  catalog::ClaimOutcome outcome;
  try {
    outcome = claims_store().claim_fire({run.job, scheduled_for, daemon_id}, lease());
  } catch (const std::exception& e) {
    claims_db.reset();
    held.erase({run.job, scheduled_for});
    core::log_warn("job '{}': cannot claim the fire at {}, not running it: {}", run.job,
                   scheduled_for, core::redact(e.what()));
    return false;
  }
  switch (outcome.result) {
    case catalog::ClaimResult::won:
      metrics.fire_claimed(run.job, "won");
      return true;
    case catalog::ClaimResult::own:
      return true;
    case catalog::ClaimResult::taken_over:
      metrics.fire_claimed(run.job, "taken_over");
      core::log_line(core::LogLevel::info, "fire taken over: its daemon's lease expired",
                     {{"job", run.job},
                      {"scheduled_for", scheduled_for},
                      {"previous_daemon", outcome.holder},
                      {"previous_run", outcome.previous_run.value_or("")}});
      return true;
    case catalog::ClaimResult::held:
    case catalog::ClaimResult::done:
      break;
  }
  held.erase({run.job, scheduled_for});
  metrics.fire_claimed(run.job, "lost");
  core::log_line(core::LogLevel::debug, "fire claimed by another daemon",
                 {{"job", run.job},
                  {"scheduled_for", scheduled_for},
                  {"trigger", std::string(to_string(run.trigger))},
                  {"holder", outcome.holder},
                  {"claim", std::string(catalog::to_string(outcome.result))}});
  return false;
}

// The fire is settled for this daemon: done for good, or (a run a shutdown
// cancelled) released at once for another daemon to take over.
void Service::Impl::settle_claim(FireKey key, bool done) {
  held.erase(key);
  if (!shares_catalog()) return;
  try {
    claims_store().end_claim({key.first, key.second, daemon_id}, done);
  } catch (const std::exception& e) {
    claims_db.reset();
    core::log_warn(
        "job '{}': cannot settle the claim on the fire at {} (its lease will expire): {}",
        key.first, key.second, core::redact(e.what()));
  }
}

// Every third of the lease: renew what this daemon holds, settle retries that
// will not come (superseded by a newer fire, or the job removed), take over
// fires whose daemon stopped renewing, and now and then forget old claims.
void Service::Impl::keep_claims() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_claims_pass) return;
  next_claims_pass = now + lease() / 3;
  for (auto it = held.begin(); it != held.end();) {
    const auto& [key, entry] = *it;
    ++it;
    if (entry.running) continue;
    const std::optional<DueRun> retry = scheduler.pending(key.first);
    if (!retry || core::format_iso8601_utc(retry->scheduled_for) != key.second) {
      settle_claim(key, true);
    }
  }
  if (!shares_catalog()) return;
  renew_claims();
  take_over_expired_claims();
  if (now >= next_prune) {
    next_prune = now + k_prune_interval;
    try {
      if (auto pruned = claims_store().prune_claims(k_claim_retention); pruned > 0)
        core::log_debug("forgot {} claims of fires done more than a day ago", pruned);
    } catch (const std::exception& e) {
      claims_db.reset();
      core::log_warn("cannot prune old claims: {}", core::redact(e.what()));
    }
  }
}

void Service::Impl::renew_claims() {
  for (auto it = held.begin(); it != held.end();) {
    const auto& [key, entry] = *it;
    bool kept = true;
    try {
      kept = claims_store().renew_claim({key.first, key.second, daemon_id}, lease());
    } catch (const std::exception& e) {
      // Tried again at the next pass; the lease outlives two missed ones.
      claims_db.reset();
      core::log_warn("cannot renew the claims' leases: {}", core::redact(e.what()));
      return;
    }
    if (kept) {
      ++it;
      continue;
    }
    core::log_warn("job '{}': lost the claim on the fire at {} to another daemon{}", key.first,
                   key.second, entry.running ? "; cancelling its run" : "");
    if (entry.cancel) entry.cancel->cancel();
    it = held.erase(it);
  }
}

void Service::Impl::take_over_expired_claims() {
  if (stop_requested) return;
  std::vector<catalog::FireClaim> expired;
  try {
    expired = claims_store().expired_claims(k_expired_claims_per_pass);
  } catch (const std::exception& e) {
    claims_db.reset();
    core::log_warn("cannot look for expired claims: {}", core::redact(e.what()));
    return;
  }
  for (const auto& fire : expired) {
    const core::JobConfig* job = config->find_job(fire.job);
    // A job this daemon does not run, or runs right now, is left to another
    // daemon or to a later pass.
    if (!job || !job->enabled || scheduler.running(fire.job)) continue;
    if (held.contains({fire.job, fire.scheduled_for})) continue;
    core::TimePoint scheduled_for;
    try {
      scheduled_for = parse_time(fire.scheduled_for, find_zone("UTC"));
    } catch (const core::Error&) {
      continue;
    }
    const DueRun run{fire.job, Trigger::takeover, scheduled_for, 0};
    if (!scheduler.start_now(run)) continue;
    if (!claim(run)) {
      scheduler.finished(run, RunOutcome::not_run);
      continue;
    }
    if (job->catch_up_deadline_ms &&
        clock.now() - scheduled_for > std::chrono::milliseconds(*job->catch_up_deadline_ms)) {
      core::log_info(
          "job '{}': not running the fire at {} taken over: older than "
          "catch_up_deadline {}",
          fire.job, fire.scheduled_for, core::format_duration_ms(*job->catch_up_deadline_ms));
      scheduler.finished(run, RunOutcome::not_run);
      settle_claim({fire.job, fire.scheduled_for}, true);
      continue;
    }
    submit(run);
  }
}

void Service::Impl::report_status() {
  const auto now = std::chrono::steady_clock::now();
  heartbeat_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  metrics.set_running(static_cast<std::int64_t>(running));
  // Each job's next fire only when one moved: a burst of a thousand runs
  // ending wakes this loop a thousand times.
  if (const auto generation = scheduler.fires_generation(); generation != reported_generation) {
    for (const auto& job : scheduler.job_names())
      metrics.set_next_fire(job, scheduler.next_fire(job));
    reported_generation = generation;
  }
  systemd.status(status_line());
  systemd.watchdog_if_due(now);
}

void Service::Impl::wait_for_work(std::chrono::milliseconds longest) {
  if (auto ping = systemd.next_watchdog()) {
    const auto until_ping =
        std::chrono::ceil<std::chrono::milliseconds>(*ping - std::chrono::steady_clock::now());
    longest = std::clamp(until_ping, std::chrono::milliseconds(0), longest);
  }
  pollfd fds[2] = {{signals.fd(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
  // Rounded up, so that the scheduler is not woken a millisecond early.
  const int r = ::poll(fds, 2, static_cast<int>(longest.count()) + 1);
  if (r > 0 && (fds[1].revents & POLLIN)) {
    std::uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(wake_fd, &count, sizeof count);
  }
}

void Service::Impl::shut_down() {
  systemd.stopping(fmt::format("stopping: {} runs to finish", running));
  if (const std::size_t dropped = pool->drop_queued(); dropped > 0) {
    running -= dropped;
    core::log_info("dropped {} runs that had not started", dropped);
  }
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(config->daemon.shutdown_grace_ms);
  bool cancelled = false;
  while (running > 0) {
    handle_signals();
    if (!cancelled && (stop_now || std::chrono::steady_clock::now() >= deadline)) {
      core::log_warn("cancelling {} running syncs ({})", running,
                     stop_now ? "a second stop signal" : "shutdown_grace passed");
      pool->cancel_all();
      cancelled = true;
    }
    collect_finished_runs();
    keep_claims();  // the runs still going keep their leases
    if (running == 0) break;
    systemd.watchdog_if_due(std::chrono::steady_clock::now());
    wait_for_work(std::chrono::milliseconds(200));
  }
  // Retries that will not run here: another daemon may take them over now.
  while (!held.empty()) settle_claim(held.begin()->first, false);
  core::log_info("daemon stopped");
}

void Service::Impl::reload() {
  systemd.reloading();
  try {
    auto next = std::make_shared<const core::Config>(options.load_config());
    if (next->daemon.max_concurrent_runs != config->daemon.max_concurrent_runs) {
      core::log_warn("max_concurrent_runs changes only when the daemon restarts (still {})",
                     config->daemon.max_concurrent_runs);
    }
    scheduler.set_jobs(next->jobs);
    metrics.set_jobs(scheduler.job_names());
    config = std::move(next);
    core::log_info("config reloaded: {} jobs scheduled", scheduler.job_names().size());
  } catch (const std::exception& e) {
    const auto* error = dynamic_cast<const core::Error*>(&e);
    core::log_error("config reload failed, keeping the previous config: {}{}", e.what(),
                    error && !error->hint().empty() ? "; " + error->hint() : "");
  }
  systemd.ready(status_line());
}

// From each job's recorded runs, newest first: whether a fire was missed or
// interrupted (caught up once), and its streak of failed fires, so that a
// restart neither forgets a failing job nor announces it as `failing` again.
void Service::Impl::resume_from_history(catalog::CatalogStore& store) {
  for (const auto& name : scheduler.job_names()) {
    const core::JobConfig* job = config->find_job(name);
    catalog::RunQuery query;
    query.source = job->source;
    query.limit = k_runs_searched;
    std::optional<LastRun> last;
    std::set<std::string> failed_fires;  // a fire and its retries fail once
    bool streak_ended = false;
    for (const auto& run : store.runs(query)) {
      if (run.job != name) continue;
      const std::string& when = run.scheduled_for ? *run.scheduled_for : run.started_at;
      if (!last) {
        try {
          last = LastRun{parse_time(when, find_zone("UTC")),
                         run.status == catalog::RunStatus::interrupted};
        } catch (const core::Error&) {
        }
      }
      if (!streak_ended) {
        switch (outcome_of(run.status)) {
          case RunOutcome::failed:
            failed_fires.insert(when);
            break;
          case RunOutcome::succeeded:
            streak_ended = true;
            break;
          case RunOutcome::cancelled:  // interrupted: neither
          case RunOutcome::not_run:
            break;
        }
      }
      if (last && streak_ended) break;
    }
    if (scheduler.catch_up(name, last)) {
      core::log_info("job '{}': catching up once ({})", name,
                     last && last->interrupted ? "its last run was interrupted"
                                               : "runs were missed while the daemon was down");
    }
    if (!failed_fires.empty()) {
      consecutive_failures[name] = static_cast<std::int64_t>(failed_fires.size());
      core::log_info("job '{}': failed {} times in a row before this start", name,
                     failed_fires.size());
    }
  }
}

Completed Service::Impl::execute(const DueRun& run,
                                 const std::shared_ptr<const core::Config>& snapshot,
                                 const core::CancelToken& cancel) const {
  Completed done;
  done.run = run;
  const core::JobConfig* job = snapshot->find_job(run.job);
  if (job) done.job = *job;
  const std::string scheduled_for = core::format_iso8601_utc(run.scheduled_for);
  core::log_line(core::LogLevel::info, "run started",
                 {{"job", run.job},
                  {"source", done.job.source},
                  {"trigger", std::string(to_string(run.trigger))},
                  {"scheduled_for", scheduled_for},
                  {"attempt", std::to_string(run.attempt)}});
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<catalog::CatalogStore> store;
  try {
    store = stores.take();
    const extractors::SourceSpec spec = extractors::resolve_source(done.job.source, snapshot.get());
    extractors::ExtractRequest request = extractors::request_from_settings(spec);
    SyncRunOptions run_options;
    run_options.run.job = run.job;
    run_options.run.trigger = std::string(to_string(run.trigger));
    run_options.run.scheduled_for = scheduled_for;
    if (shares_catalog()) run_options.run.claimed_by = daemon_id;
    run_options.full = done.job.mode == "full";
    if (done.job.timeout_ms) run_options.timeout = std::chrono::milliseconds(*done.job.timeout_ms);
    SyncRunResult result = run_sync(spec, request, *store, run_options, cancel);
    done.run_id = result.summary.run_id;
    done.status = result.summary.status;
    done.counts = result.summary.counts;
    done.error = result.summary.error;
  } catch (const std::exception& e) {
    // Before the run could be recorded (the catalog or the source's settings).
    done.status = catalog::RunStatus::failed;
    done.error = e.what();
    if (store && still_holds(run, std::chrono::milliseconds(snapshot->daemon.lease_ms))) {
      try {
        catalog::RunStart start{done.job.source, run.job, std::string(to_string(run.trigger)),
                                scheduled_for};
        if (shares_catalog()) start.claimed_by = daemon_id;
        done.run_id = store->start_run(start);
        store->finish_run(done.run_id, done.status, done.error);
      } catch (const std::exception& again) {
        core::log_error("job '{}': cannot record the failed run: {}", run.job, again.what());
      }
    }
  }
  done.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count();
  done.finished_at = clock.now();
  core::LogFields fields = {{"job", run.job},
                            {"source", done.job.source},
                            {"trigger", std::string(to_string(run.trigger))},
                            {"scheduled_for", scheduled_for},
                            {"run_id", done.run_id},
                            {"status", std::string(catalog::to_string(done.status))},
                            {"duration_ms", std::to_string(done.duration_ms)},
                            {"added", std::to_string(done.counts.added)},
                            {"changed", std::to_string(done.counts.changed)},
                            {"removed", std::to_string(done.counts.removed)},
                            {"unchanged", std::to_string(done.counts.unchanged)}};
  if (!done.error.empty()) fields.emplace_back("error", done.error);
  const bool ok = outcome_of(done.status) == RunOutcome::succeeded;
  if (ok) stores.give(std::move(store));
  core::log_line(ok ? core::LogLevel::info : core::LogLevel::warn, "run finished", fields);
  return done;
}

// Whether this daemon still holds the claim of `run`'s fire (asked from a
// worker, on a session of its own).
bool Service::Impl::still_holds(const DueRun& run, std::chrono::milliseconds lease) const {
  if (!shares_catalog()) return true;
  try {
    auto store = catalog::open_store(options.catalog_url);
    return store->renew_claim({run.job, core::format_iso8601_utc(run.scheduled_for), daemon_id},
                              lease);
  } catch (const std::exception&) {
    return false;
  }
}

void Service::Impl::notify(const Completed& done) {
  const RunOutcome outcome = outcome_of(done.status);
  std::int64_t& failures = consecutive_failures[done.run.job];
  if (outcome == RunOutcome::succeeded) {
    if (failures > 0) send_notification(done, "recovered", failures);
    failures = 0;
    return;
  }
  if (outcome != RunOutcome::failed) return;
  // A failure that will be retried is not final yet.
  if (done.run.attempt < done.job.retries) return;
  ++failures;
  send_notification(done, "failed", failures);
  if (failures == config->daemon.failure_threshold) {
    send_notification(done, "failing", failures);
  }
}

void Service::Impl::send_notification(const Completed& done, std::string_view event,
                                      std::int64_t failures) {
  const std::optional<std::string>& target =
      done.job.on_failure ? done.job.on_failure : config->daemon.on_failure;
  if (!target) return;
  const std::string json = fmt::format(
      "{{\"event\":\"{}\",\"job\":\"{}\",\"source\":\"{}\",\"run_id\":\"{}\",\"status\":\"{}\","
      "\"trigger\":\"{}\",\"scheduled_for\":\"{}\",\"attempt\":{},\"consecutive_failures\":{},"
      "\"error\":\"{}\",\"duration_ms\":{},\"host\":\"{}\"}}\n",
      event, core::json_escape(done.run.job), core::json_escape(done.job.source),
      core::json_escape(done.run_id), catalog::to_string(done.status), to_string(done.run.trigger),
      core::format_iso8601_utc(done.run.scheduled_for), done.run.attempt, failures,
      core::json_escape(core::redact(done.error)), done.duration_ms, core::json_escape(hostname()));
  core::log_info("job '{}': notifying '{}' ({} in a row failed)", done.run.job, event, failures);
  notifier.send(Notification{*target, json, done.run.job});
}

std::string Service::Impl::status_line() const {
  std::string line = fmt::format("{} running", running);
  const Scheduler::Overview overview = scheduler.overview();
  if (!overview.running.empty()) line += fmt::format(" ({})", fmt::join(overview.running, ", "));
  if (const auto& next = overview.next)
    line += fmt::format("; next: {} at {}", next->first, core::format_iso8601_utc(next->second));
  return line;
}

std::string Service::Impl::health_problem() const {
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  if (now_ms - heartbeat_ms.load() > k_loop_stall.count()) {
    return fmt::format("scheduler loop stalled for {} ms", now_ms - heartbeat_ms.load());
  }
  try {
    auto store = catalog::open_store(options.catalog_url);
    catalog::RunQuery query;
    query.limit = 1;
    store->runs(query);
  } catch (const std::exception& e) {
    return fmt::format("catalog unreachable: {}", core::redact(e.what()));
  }
  return "";
}

Service::Service(ServiceOptions options, const core::Clock& clock)
    : m_impl(std::make_unique<Impl>(std::move(options), clock)) {}

Service::~Service() = default;

int Service::run() {
  return m_impl->run();
}

}  // namespace connctl::daemon
