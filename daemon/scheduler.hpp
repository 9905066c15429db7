#pragma once
// The scheduling decisions of the daemon, and nothing else: when each job
// fires next (cron plus its stable splay), what a fire does while the job is
// still running (skip or queue), when a failed run is retried (exponential
// backoff with jitter), and which missed fire is caught up after downtime.
// Time comes from a core::Clock and nothing here sleeps or starts threads, so
// every decision is tested with a fake clock (tests/daemon/scheduler_test.cpp).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "daemon/cron.hpp"

namespace connctl::daemon {

// takeover: a fire whose daemon died (its claim's lease expired), run again
// by the daemon that took the claim over.
enum class Trigger { schedule, catch_up, retry, manual, takeover };
std::string_view to_string(Trigger trigger);

// One run the scheduler wants started now.
struct DueRun {
  std::string job;
  Trigger trigger = Trigger::schedule;
  core::TimePoint scheduled_for;  // the cron fire it belongs to (a retry keeps its fire's)
  int attempt = 0;                // 0 for the first try, n for the n-th retry
};

// How a run ended, as far as scheduling cares. not_run: the run was not
// started because another daemon holds its fire (no retry follows).
enum class RunOutcome { succeeded, failed, cancelled, not_run };

// What the catalog remembers of a job's newest run, for catching up at start.
struct LastRun {
  core::TimePoint scheduled_for;  // or its start, for a run without one
  bool interrupted = false;       // left running by a dead daemon
};

// The splay a job gets: a stable share of its `splay` derived from a hash of
// its name, so that restarts keep each job's offset and jobs spread out.
std::chrono::milliseconds stable_splay(const std::string& job_name, std::int64_t splay_ms);

// The delay before retry number `attempt` (1-based): base * 2^(attempt-1),
// capped at one hour, with "equal jitter" (half fixed, half random).
std::chrono::milliseconds retry_delay(std::int64_t base_ms, int attempt, std::mt19937_64& random);

class Scheduler {
 public:
  Scheduler(const core::Clock& clock, std::uint64_t seed);

  // Sets the jobs to schedule. A job whose schedule-relevant settings did not
  // change keeps its next fire, running state and queue; a new or changed job
  // is scheduled from now; a removed (or disabled) job is forgotten, though a
  // run of it that is still going finishes undisturbed.
  void set_jobs(const std::vector<core::JobConfig>& jobs);

  // At start: given the job's newest recorded run, queues one catch-up run for
  // the latest fire missed since then when the job has catch_up = "latest"
  // and that fire is within catch_up_deadline; a run a dead daemon left
  // behind (interrupted) is caught up the same way even if no fire was missed
  // since. Returns whether a catch-up was queued.
  bool catch_up(const std::string& job, const std::optional<LastRun>& last);

  // Runs to start now, and advances the schedule past every fire that is
  // due. A fire of a job that is running is skipped (overlap = "skip") or
  // queued, one at most (overlap = "queue"); a job never runs twice at once.
  std::vector<DueRun> take_due();

  // Fires skipped since the last call (overlap = "skip", or a queued fire
  // replaced by a newer one), for the log.
  std::vector<DueRun> take_skipped();

  // The caller finished a run returned by take_due(). A failed run with
  // retries left is retried after retry_delay(); a queued fire becomes due
  // at once.
  void finished(const DueRun& run, RunOutcome outcome);

  // Starts a run the scheduler did not choose (a fire taken over from a dead
  // daemon) if the job is known and not running; it then counts as running
  // until finished(). Returns whether it may start.
  bool start_now(const DueRun& run);

  // The retry or catch-up waiting for its time, if any.
  std::optional<DueRun> pending(const std::string& job) const;

  // When take_due() will next return something (nullopt: nothing scheduled).
  std::optional<core::TimePoint> next_wakeup() const;
  // The next cron fire of a job (without splay), for STATUS= and metrics.
  std::optional<core::TimePoint> next_fire(const std::string& job) const;
  bool running(const std::string& job) const;
  std::vector<std::string> job_names() const;
  // Fires skipped because the job was still running, per job.
  std::int64_t skipped(const std::string& job) const;

  // Counts the changes of any job's next fire (set_jobs, take_due), so that a
  // caller can refresh what it derives from them only when they moved.
  std::uint64_t fires_generation() const { return m_fires_generation; }
  // The running jobs and the job that fires next, in one pass over the jobs.
  struct Overview {
    std::vector<std::string> running;
    std::optional<std::pair<std::string, core::TimePoint>> next;
  };
  Overview overview() const;

 private:
  struct JobState {
    core::JobConfig config;
    CronSchedule schedule;
    std::chrono::milliseconds splay{0};
    core::TimePoint next_fire;      // cron time; due at next_fire + splay
    std::optional<DueRun> pending;  // a retry or catch-up waiting for its time
    std::optional<core::TimePoint> pending_at;
    std::optional<DueRun> queued;  // a fire waiting for the running run to end
    bool is_running = false;
    std::int64_t skipped = 0;
  };
  void skip(JobState& state, DueRun run);

  static bool same_schedule(const core::JobConfig& a, const core::JobConfig& b);
  void offer(JobState& state, DueRun run, std::vector<DueRun>& due);

  const core::Clock& m_clock;
  std::mt19937_64 m_random;
  std::map<std::string, JobState> m_jobs;
  std::vector<DueRun> m_skipped;
  std::uint64_t m_fires_generation = 0;
};

}  // namespace connctl::daemon
