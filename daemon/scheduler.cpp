#include "daemon/scheduler.hpp"

#include <algorithm>

#include "core/log.hpp"

namespace connctl::daemon {
namespace {

constexpr std::int64_t k_max_retry_delay_ms = 3'600'000;
// How many fires catch_up() walks to find the latest missed one; a seconds
// schedule down for a day is 86,400.
constexpr int k_max_catch_up_steps = 1'000'000;

}  // namespace

std::string_view to_string(Trigger trigger) {
  switch (trigger) {
    case Trigger::schedule:
      return "schedule";
    case Trigger::catch_up:
      return "catch_up";
    case Trigger::retry:
      return "retry";
    case Trigger::manual:
      return "manual";
    case Trigger::takeover:
      return "takeover";
  }
  return "manual";
}

std::chrono::milliseconds stable_splay(const std::string& job_name, std::int64_t splay_ms) {
  if (splay_ms <= 0) return std::chrono::milliseconds(0);
  // FNV-1a: stable across runs, builds and machines, unlike std::hash.
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : job_name) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(hash % static_cast<std::uint64_t>(splay_ms + 1)));
}

std::chrono::milliseconds retry_delay(std::int64_t base_ms, int attempt, std::mt19937_64& random) {
  std::int64_t delay = std::max<std::int64_t>(base_ms, 1);
  for (int i = 1; i < attempt && delay < k_max_retry_delay_ms; ++i) delay *= 2;
  delay = std::min(delay, k_max_retry_delay_ms);
  std::uniform_int_distribution<std::int64_t> jitter(0, delay / 2);
  return std::chrono::milliseconds(delay - delay / 2 + jitter(random));
}

Scheduler::Scheduler(const core::Clock& clock, std::uint64_t seed)
    : m_clock(clock), m_random(seed) {}

bool Scheduler::same_schedule(const core::JobConfig& a, const core::JobConfig& b) {
  return a.schedule == b.schedule && a.timezone == b.timezone && a.splay_ms == b.splay_ms &&
         a.enabled == b.enabled;
}

void Scheduler::set_jobs(const std::vector<core::JobConfig>& jobs) {
  const core::TimePoint now = m_clock.now();
  std::map<std::string, JobState> next;
  for (const auto& job : jobs) {
    if (!job.enabled) continue;
    auto old = m_jobs.find(job.name);
    if (old != m_jobs.end() && same_schedule(old->second.config, job)) {
      JobState state = std::move(old->second);
      state.config = job;  // timeout, retries, overlap … apply from the next run
      next.emplace(job.name, std::move(state));
      continue;
    }
    JobState state{
        job, schedule_of(job), stable_splay(job.name, job.splay_ms), {}, {}, {}, {}, false, 0};
    state.next_fire = state.schedule.next(now);
    if (old != m_jobs.end()) {
      // Rescheduled, but a run that is going on stays undisturbed and unique.
      state.is_running = old->second.is_running;
      state.skipped = old->second.skipped;
    }
    next.emplace(job.name, std::move(state));
  }
  m_jobs = std::move(next);
  ++m_fires_generation;
}

bool Scheduler::catch_up(const std::string& job, const std::optional<LastRun>& last) {
  auto it = m_jobs.find(job);
  if (it == m_jobs.end() || !last) return false;
  JobState& state = it->second;
  const core::TimePoint now = m_clock.now();

  std::optional<core::TimePoint> missed;
  if (state.config.catch_up == "latest") {
    core::TimePoint t = last->scheduled_for;
    for (int i = 0; i < k_max_catch_up_steps; ++i) {
      core::TimePoint fire = state.schedule.next(t);
      if (fire > now) break;
      missed = fire;
      t = fire;
    }
  }
  std::optional<core::TimePoint> target = missed;
  if (!target && last->interrupted) target = last->scheduled_for;
  if (!target) return false;
  if (state.config.catch_up_deadline_ms &&
      now - *target > std::chrono::milliseconds(*state.config.catch_up_deadline_ms)) {
    core::log_info("job '{}': not catching up the run due at {}: older than catch_up_deadline {}",
                   job, core::format_iso8601_utc(*target),
                   core::format_duration_ms(*state.config.catch_up_deadline_ms));
    return false;
  }
  state.pending = DueRun{job, Trigger::catch_up, *target, 0};
  state.pending_at = now;
  return true;
}

void Scheduler::skip(JobState& state, DueRun run) {
  ++state.skipped;
  m_skipped.push_back(std::move(run));
}

void Scheduler::offer(JobState& state, DueRun run, std::vector<DueRun>& due) {
  if (state.is_running) {
    if (state.config.overlap == "queue" && run.trigger == Trigger::schedule) {
      if (state.queued) skip(state, std::move(*state.queued));
      state.queued = std::move(run);
    } else {
      skip(state, std::move(run));
    }
    return;
  }
  state.is_running = true;
  due.push_back(std::move(run));
}

std::vector<DueRun> Scheduler::take_due() {
  const core::TimePoint now = m_clock.now();
  std::vector<DueRun> due;
  for (auto& [name, state] : m_jobs) {
    if (state.pending && *state.pending_at <= now) {
      DueRun run = std::move(*state.pending);
      state.pending.reset();
      state.pending_at.reset();
      offer(state, std::move(run), due);
    }
    if (state.next_fire + state.splay > now) continue;
    // Only the newest of several passed fires runs (the loop was held up, or
    // the machine slept); the older ones count as skipped.
    core::TimePoint fire = state.next_fire;
    while (true) {
      core::TimePoint after = state.schedule.next(fire);
      if (after + state.splay > now) {
        state.next_fire = after;
        ++m_fires_generation;
        break;
      }
      skip(state, DueRun{name, Trigger::schedule, fire, 0});
      fire = after;
    }
    // A fire supersedes a retry that has not started yet.
    if (!state.is_running) {
      state.pending.reset();
      state.pending_at.reset();
    }
    offer(state, DueRun{name, Trigger::schedule, fire, 0}, due);
  }
  return due;
}

std::vector<DueRun> Scheduler::take_skipped() {
  return std::exchange(m_skipped, {});
}

void Scheduler::finished(const DueRun& run, RunOutcome outcome) {
  auto it = m_jobs.find(run.job);
  if (it == m_jobs.end()) return;  // removed by a reload while it ran
  JobState& state = it->second;
  state.is_running = false;
  const core::TimePoint now = m_clock.now();
  if (state.queued) {
    state.pending = std::move(*state.queued);
    state.queued.reset();
    state.pending_at = now;
    return;
  }
  if (outcome == RunOutcome::failed && run.attempt < state.config.retries) {
    const int attempt = run.attempt + 1;
    state.pending = DueRun{run.job, Trigger::retry, run.scheduled_for, attempt};
    state.pending_at = now + retry_delay(state.config.retry_backoff_ms, attempt, m_random);
  }
}

bool Scheduler::start_now(const DueRun& run) {
  auto it = m_jobs.find(run.job);
  if (it == m_jobs.end() || it->second.is_running) return false;
  it->second.is_running = true;
  return true;
}

std::optional<DueRun> Scheduler::pending(const std::string& job) const {
  auto it = m_jobs.find(job);
  if (it == m_jobs.end()) return std::nullopt;
  return it->second.pending;
}

std::optional<core::TimePoint> Scheduler::next_wakeup() const {
  std::optional<core::TimePoint> wake;
  auto earliest = [&](core::TimePoint t) {
    if (!wake || t < *wake) wake = t;
  };
  for (const auto& [name, state] : m_jobs) {
    earliest(state.next_fire + state.splay);
    if (state.pending_at && !state.is_running) earliest(*state.pending_at);
  }
  return wake;
}

std::optional<core::TimePoint> Scheduler::next_fire(const std::string& job) const {
  auto it = m_jobs.find(job);
  if (it == m_jobs.end()) return std::nullopt;
  return it->second.next_fire;
}

Scheduler::Overview Scheduler::overview() const {
  Overview out;
  for (const auto& [name, state] : m_jobs) {
    if (state.is_running) out.running.push_back(name);
    if (!out.next || state.next_fire < out.next->second)
      out.next = std::pair(name, state.next_fire);
  }
  return out;
}

bool Scheduler::running(const std::string& job) const {
  auto it = m_jobs.find(job);
  return it != m_jobs.end() && it->second.is_running;
}

std::vector<std::string> Scheduler::job_names() const {
  std::vector<std::string> names;
  for (const auto& [name, state] : m_jobs) names.push_back(name);
  return names;
}

std::int64_t Scheduler::skipped(const std::string& job) const {
  auto it = m_jobs.find(job);
  return it == m_jobs.end() ? 0 : it->second.skipped;
}

}  // namespace connctl::daemon
