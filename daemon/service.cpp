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

sigset_t daemon_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

std::string json_escape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::string hostname() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "";
  return buffer;
}

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
  void report_status();
  void wait_for_work(std::chrono::milliseconds longest);
  void shut_down();

  // --- how ----------------------------------------------------------------
  void reload();
  void catch_up_missed_runs(catalog::CatalogStore& store);
  Completed execute(const DueRun& run, const std::shared_ptr<const core::Config>& config,
                    const core::CancelToken& cancel) const;
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
    start_due_runs();  // what the scheduler says is due goes to the workers
    report_status();   // STATUS=, WATCHDOG=1, metrics gauges, heartbeat
    auto wake = scheduler.next_wakeup();
    auto until = wake ? std::chrono::duration_cast<std::chrono::milliseconds>(*wake - clock.now())
                      : k_max_sleep;
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
  pool = std::make_unique<WorkerPool<Completed>>(
      static_cast<int>(config->daemon.max_concurrent_runs), wake_fd);
  scheduler.set_jobs(config->jobs);
  catch_up_missed_runs(*store);
  metrics.set_jobs(scheduler.job_names());
  if (options.metrics_listen) {
    metrics_server = std::make_unique<MetricsServer>(metrics, [this] { return health_problem(); });
    const int port = metrics_server->start(*options.metrics_listen);
    core::log_info("metrics on {} (port {}): /metrics, /healthz", *options.metrics_listen, port);
  }
  heartbeat_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now().time_since_epoch())
                     .count();
  core::log_info("daemon started: {} jobs scheduled, catalog {}, config {}",
                 scheduler.job_names().size(), store->describe(), config->path);
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
    ++running;
    pool->submit([this, due, snapshot = config](const core::CancelToken& cancel) {
      return execute(due, snapshot, cancel);
    });
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
    if (running == 0) break;
    systemd.watchdog_if_due(std::chrono::steady_clock::now());
    wait_for_work(std::chrono::milliseconds(200));
  }
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

void Service::Impl::catch_up_missed_runs(catalog::CatalogStore& store) {
  const core::TimePoint now = clock.now();
  for (const auto& name : scheduler.job_names()) {
    const core::JobConfig* job = config->find_job(name);
    catalog::RunQuery query;
    query.source = job->source;
    query.limit = k_runs_searched;
    std::optional<LastRun> last;
    for (const auto& run : store.runs(query)) {
      if (run.job != name) continue;
      try {
        const std::string& when = run.scheduled_for ? *run.scheduled_for : run.started_at;
        last = LastRun{parse_time(when, find_zone("UTC")),
                       run.status == catalog::RunStatus::interrupted};
      } catch (const core::Error&) {
        continue;
      }
      break;
    }
    if (scheduler.catch_up(name, last)) {
      core::log_info("job '{}': catching up once ({})", name,
                     last && last->interrupted ? "its last run was interrupted"
                                               : "runs were missed while the daemon was down");
    }
  }
  (void)now;
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
    if (store) {
      try {
        catalog::RunStart start{done.job.source, run.job, std::string(to_string(run.trigger)),
                                scheduled_for};
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
      event, json_escape(done.run.job), json_escape(done.job.source), json_escape(done.run_id),
      catalog::to_string(done.status), to_string(done.run.trigger),
      core::format_iso8601_utc(done.run.scheduled_for), done.run.attempt, failures,
      json_escape(core::redact(done.error)), done.duration_ms, json_escape(hostname()));
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
