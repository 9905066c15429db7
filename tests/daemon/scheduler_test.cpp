// The daemon's scheduling decisions on a fake clock: next fire, splay, overlap
// skip/queue, retries with backoff and jitter, catch-up after downtime, and
// reloads that keep or reschedule jobs. Nothing here sleeps.
#include "daemon/scheduler.hpp"

#include <gtest/gtest.h>

#include <set>

namespace connctl::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

core::TimePoint at(const char* iso) {
  return parse_time(iso, find_zone("UTC"));
}

core::JobConfig job(std::string name, std::string schedule) {
  core::JobConfig j;
  j.name = std::move(name);
  j.source = "sample";
  j.schedule = std::move(schedule);
  j.timezone = "UTC";
  return j;
}

class SchedulerTest : public ::testing::Test {
 protected:
  core::FixedClock clock{at("2026-01-01T00:00:00Z")};
  Scheduler scheduler{clock, 42};

  std::vector<DueRun> advance_to(const char* iso) {
    clock.set(at(iso));
    return scheduler.take_due();
  }
};

TEST_F(SchedulerTest, FiresAtEachCronTimeAndNotBefore) {
  scheduler.set_jobs({job("a", "*/10 * * * * *")});
  EXPECT_EQ(at("2026-01-01T00:00:10Z"), scheduler.next_wakeup());
  EXPECT_TRUE(advance_to("2026-01-01T00:00:09.999Z").empty());
  auto due = advance_to("2026-01-01T00:00:10Z");
  ASSERT_EQ(1u, due.size());
  EXPECT_EQ("a", due[0].job);
  EXPECT_EQ(Trigger::schedule, due[0].trigger);
  EXPECT_EQ(at("2026-01-01T00:00:10Z"), due[0].scheduled_for);
  EXPECT_EQ(at("2026-01-01T00:00:20Z"), scheduler.next_fire("a"));
  scheduler.finished(due[0], RunOutcome::succeeded);
  EXPECT_TRUE(advance_to("2026-01-01T00:00:15Z").empty());
  EXPECT_EQ(1u, advance_to("2026-01-01T00:00:20Z").size());
}

TEST_F(SchedulerTest, OverviewAndFiresGenerationFollowTheJobs) {
  scheduler.set_jobs({job("a", "*/10 * * * * *"), job("b", "*/15 * * * * *")});
  const auto generation = scheduler.fires_generation();
  auto overview = scheduler.overview();
  EXPECT_TRUE(overview.running.empty());
  ASSERT_TRUE(overview.next);
  EXPECT_EQ("a", overview.next->first);
  EXPECT_EQ(at("2026-01-01T00:00:10Z"), overview.next->second);
  // Nothing due: no fire moved.
  EXPECT_TRUE(advance_to("2026-01-01T00:00:05Z").empty());
  EXPECT_EQ(generation, scheduler.fires_generation());
  auto due = advance_to("2026-01-01T00:00:10Z");
  ASSERT_EQ(1u, due.size());
  EXPECT_NE(generation, scheduler.fires_generation());
  overview = scheduler.overview();
  EXPECT_EQ(std::vector<std::string>{"a"}, overview.running);
  EXPECT_EQ("b", overview.next->first);
  EXPECT_EQ(at("2026-01-01T00:00:15Z"), overview.next->second);
  // A run ending moves no fire.
  const auto before_finish = scheduler.fires_generation();
  scheduler.finished(due[0], RunOutcome::succeeded);
  EXPECT_EQ(before_finish, scheduler.fires_generation());
  EXPECT_TRUE(scheduler.overview().running.empty());
}

TEST_F(SchedulerTest, DisabledJobsAreNotScheduled) {
  auto off = job("off", "* * * * * *");
  off.enabled = false;
  scheduler.set_jobs({off});
  EXPECT_FALSE(scheduler.next_wakeup());
  EXPECT_TRUE(advance_to("2026-01-01T01:00:00Z").empty());
}

TEST_F(SchedulerTest, SplayIsStableWithinBoundsAndDelaysTheFire) {
  EXPECT_EQ(stable_splay("nightly", 60'000), stable_splay("nightly", 60'000));
  EXPECT_EQ(milliseconds(0), stable_splay("nightly", 0));
  std::set<std::int64_t> offsets;
  for (int i = 0; i < 50; ++i) {
    auto s = stable_splay("job-" + std::to_string(i), 60'000);
    EXPECT_GE(s.count(), 0);
    EXPECT_LE(s.count(), 60'000);
    offsets.insert(s.count());
  }
  EXPECT_GT(offsets.size(), 40u);  // spread out, not all in the same second

  auto j = job("nightly", "0 * * * *");
  j.splay_ms = 60'000;
  scheduler.set_jobs({j});
  const auto splay = stable_splay("nightly", 60'000);
  EXPECT_EQ(at("2026-01-01T01:00:00Z") + splay, scheduler.next_wakeup());
  clock.set(at("2026-01-01T01:00:00Z") + splay - milliseconds(1));
  EXPECT_TRUE(scheduler.take_due().empty());
  clock.set(at("2026-01-01T01:00:00Z") + splay);
  auto due = scheduler.take_due();
  ASSERT_EQ(1u, due.size());
  // scheduled_for is the cron time; the splay only delays the start.
  EXPECT_EQ(at("2026-01-01T01:00:00Z"), due[0].scheduled_for);
}

TEST_F(SchedulerTest, OverlapSkipDropsFiresWhileRunning) {
  scheduler.set_jobs({job("a", "* * * * * *")});
  auto first = advance_to("2026-01-01T00:00:01Z");
  ASSERT_EQ(1u, first.size());
  EXPECT_TRUE(scheduler.running("a"));
  EXPECT_TRUE(advance_to("2026-01-01T00:00:02Z").empty());
  EXPECT_TRUE(advance_to("2026-01-01T00:00:03Z").empty());
  EXPECT_EQ(2, scheduler.skipped("a"));
  auto skipped = scheduler.take_skipped();
  ASSERT_EQ(2u, skipped.size());
  EXPECT_EQ(at("2026-01-01T00:00:02Z"), skipped[0].scheduled_for);
  scheduler.finished(first[0], RunOutcome::succeeded);
  EXPECT_TRUE(advance_to("2026-01-01T00:00:03.500Z").empty());
  auto next = advance_to("2026-01-01T00:00:04Z");
  ASSERT_EQ(1u, next.size());
  EXPECT_EQ(at("2026-01-01T00:00:04Z"), next[0].scheduled_for);
}

TEST_F(SchedulerTest, OverlapQueueRunsTheNewestFireWhenTheRunEnds) {
  auto j = job("a", "* * * * * *");
  j.overlap = "queue";
  scheduler.set_jobs({j});
  auto first = advance_to("2026-01-01T00:00:01Z");
  ASSERT_EQ(1u, first.size());
  EXPECT_TRUE(advance_to("2026-01-01T00:00:02Z").empty());
  EXPECT_TRUE(advance_to("2026-01-01T00:00:03Z").empty());
  // One queued at most: the fire at :02 gave way to :03.
  EXPECT_EQ(1, scheduler.skipped("a"));
  clock.set(at("2026-01-01T00:00:03.400Z"));
  scheduler.finished(first[0], RunOutcome::succeeded);
  EXPECT_EQ(at("2026-01-01T00:00:03.400Z"), scheduler.next_wakeup());
  auto queued = scheduler.take_due();
  ASSERT_EQ(1u, queued.size());
  EXPECT_EQ(at("2026-01-01T00:00:03Z"), queued[0].scheduled_for);
  EXPECT_EQ(Trigger::schedule, queued[0].trigger);
  EXPECT_TRUE(scheduler.running("a"));
}

TEST_F(SchedulerTest, FailedRunsRetryWithGrowingBackoffThenStop) {
  auto j = job("a", "0 0 * * *");
  j.retries = 3;
  j.retry_backoff_ms = 10'000;
  scheduler.set_jobs({j});
  auto run = advance_to("2026-01-02T00:00:00Z");
  ASSERT_EQ(1u, run.size());
  std::vector<milliseconds> delays;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    scheduler.finished(run[0], RunOutcome::failed);
    auto wake = scheduler.next_wakeup();
    ASSERT_TRUE(wake);
    delays.push_back(std::chrono::duration_cast<milliseconds>(*wake - clock.now()));
    clock.set(*wake - milliseconds(1));
    EXPECT_TRUE(scheduler.take_due().empty());
    clock.set(*wake);
    run = scheduler.take_due();
    ASSERT_EQ(1u, run.size());
    EXPECT_EQ(Trigger::retry, run[0].trigger);
    EXPECT_EQ(attempt, run[0].attempt);
    EXPECT_EQ(at("2026-01-02T00:00:00Z"), run[0].scheduled_for);
  }
  // base * 2^(n-1), half of it fixed and half jitter.
  for (int i = 0; i < 3; ++i) {
    const std::int64_t full = 10'000LL << i;
    EXPECT_GE(delays[i].count(), full / 2) << i;
    EXPECT_LE(delays[i].count(), full) << i;
  }
  EXPECT_LT(delays[0], delays[2]);
  scheduler.finished(run[0], RunOutcome::failed);
  // No retries left: next is the next day's fire.
  EXPECT_EQ(at("2026-01-03T00:00:00Z"), scheduler.next_wakeup());
}

TEST_F(SchedulerTest, RetryJitterDiffersBetweenDraws) {
  std::mt19937_64 random(7);
  std::set<std::int64_t> delays;
  for (int i = 0; i < 20; ++i) delays.insert(retry_delay(60'000, 1, random).count());
  EXPECT_GT(delays.size(), 10u);
  // Capped at an hour, however many attempts.
  const auto capped = retry_delay(60'000, 30, random).count();
  EXPECT_GE(capped, 1'800'000);
  EXPECT_LE(capped, 3'600'000);
}

TEST_F(SchedulerTest, CancelledAndSucceededRunsAreNotRetried) {
  auto j = job("a", "0 0 * * *");
  j.retries = 2;
  scheduler.set_jobs({j});
  auto run = advance_to("2026-01-02T00:00:00Z");
  scheduler.finished(run[0], RunOutcome::cancelled);
  EXPECT_EQ(at("2026-01-03T00:00:00Z"), scheduler.next_wakeup());
}

TEST_F(SchedulerTest, CatchUpRunsTheLatestMissedFireOnceWithinTheDeadline) {
  auto j = job("a", "0 * * * *");
  j.catch_up = "latest";
  j.catch_up_deadline_ms = 2 * 3'600'000;
  clock.set(at("2026-01-01T10:30:00Z"));
  scheduler.set_jobs({j});
  // Last ran at 07:00: 08:00, 09:00 and 10:00 were missed; 10:00 runs once.
  EXPECT_TRUE(scheduler.catch_up("a", LastRun{at("2026-01-01T07:00:00Z"), false}));
  auto due = scheduler.take_due();
  ASSERT_EQ(1u, due.size());
  EXPECT_EQ(Trigger::catch_up, due[0].trigger);
  EXPECT_EQ(at("2026-01-01T10:00:00Z"), due[0].scheduled_for);
  scheduler.finished(due[0], RunOutcome::succeeded);
  EXPECT_TRUE(scheduler.take_due().empty());
  EXPECT_EQ(at("2026-01-01T11:00:00Z"), scheduler.next_wakeup());
}

TEST_F(SchedulerTest, CatchUpRespectsDeadlineAndSetting) {
  auto late = job("late", "0 0 * * *");
  late.catch_up = "latest";
  late.catch_up_deadline_ms = 3'600'000;
  auto none = job("none", "0 0 * * *");
  clock.set(at("2026-01-05T06:00:00Z"));
  scheduler.set_jobs({late, none});
  // The missed fire (05T00:00) is 6 h old, beyond the 1 h deadline.
  EXPECT_FALSE(scheduler.catch_up("late", LastRun{at("2026-01-01T00:00:00Z"), false}));
  EXPECT_FALSE(scheduler.catch_up("none", LastRun{at("2026-01-01T00:00:00Z"), false}));
  // Never ran: nothing was missed.
  EXPECT_FALSE(scheduler.catch_up("late", std::nullopt));
  // Nothing missed since the last run.
  EXPECT_FALSE(scheduler.catch_up("late", LastRun{at("2026-01-05T00:00:00Z"), false}));
  EXPECT_TRUE(scheduler.take_due().empty());
}

TEST_F(SchedulerTest, AnInterruptedRunIsCaughtUpOnceEvenWithoutAMissedFire) {
  auto j = job("a", "0 0 * * *");
  clock.set(at("2026-01-05T00:00:30Z"));
  scheduler.set_jobs({j});
  EXPECT_TRUE(scheduler.catch_up("a", LastRun{at("2026-01-05T00:00:00Z"), true}));
  auto due = scheduler.take_due();
  ASSERT_EQ(1u, due.size());
  EXPECT_EQ(Trigger::catch_up, due[0].trigger);
  EXPECT_EQ(at("2026-01-05T00:00:00Z"), due[0].scheduled_for);
  scheduler.finished(due[0], RunOutcome::succeeded);
  EXPECT_TRUE(scheduler.take_due().empty());
}

TEST_F(SchedulerTest, AFireLongPassedRunsOnlyTheNewest) {
  scheduler.set_jobs({job("a", "* * * * * *")});
  auto due = advance_to("2026-01-01T00:00:05.500Z");  // the loop was held up
  ASSERT_EQ(1u, due.size());
  EXPECT_EQ(at("2026-01-01T00:00:05Z"), due[0].scheduled_for);
  EXPECT_EQ(4, scheduler.skipped("a"));
}

TEST_F(SchedulerTest, ReloadKeepsUnchangedJobsAndReschedulesChangedOnes) {
  auto a = job("a", "*/10 * * * * *");
  auto b = job("b", "0 * * * *");
  scheduler.set_jobs({a, b});
  auto running = advance_to("2026-01-01T00:00:10Z");
  ASSERT_EQ(1u, running.size());
  clock.set(at("2026-01-01T00:00:12Z"));
  // a changes its schedule while running; b only its timeout; c is new.
  a.schedule = "*/7 * * * * *";
  b.timeout_ms = 5'000;
  scheduler.set_jobs({a, b, job("c", "30 * * * * *")});
  EXPECT_TRUE(scheduler.running("a"));  // the run goes on undisturbed
  EXPECT_EQ(at("2026-01-01T00:00:14Z"), scheduler.next_fire("a"));
  EXPECT_EQ(at("2026-01-01T01:00:00Z"), scheduler.next_fire("b"));
  EXPECT_EQ(at("2026-01-01T00:00:30Z"), scheduler.next_fire("c"));
  // The running a still excludes a second a.
  EXPECT_TRUE(advance_to("2026-01-01T00:00:14Z").empty());
  scheduler.finished(running[0], RunOutcome::succeeded);
  EXPECT_EQ(1u, advance_to("2026-01-01T00:00:21Z").size());
  // Removing a job forgets it; its finish is still accepted.
  scheduler.set_jobs({b});
  EXPECT_EQ(std::vector<std::string>{"b"}, scheduler.job_names());
  scheduler.finished(DueRun{"a", Trigger::schedule, at("2026-01-01T00:00:21Z"), 0},
                     RunOutcome::succeeded);
}

}  // namespace
TEST_F(SchedulerTest, AFireClaimedByAnotherDaemonIsNotRunAndNotRetried) {
  scheduler.set_jobs({job("a", "*/10 * * * * *")});
  auto due = advance_to("2026-01-01T00:00:10Z");
  ASSERT_EQ(1u, due.size());
  EXPECT_TRUE(scheduler.running("a"));
  scheduler.finished(due[0], RunOutcome::not_run);
  EXPECT_FALSE(scheduler.running("a"));
  EXPECT_FALSE(scheduler.pending("a"));
  EXPECT_EQ(1u, advance_to("2026-01-01T00:00:20Z").size());
}

TEST_F(SchedulerTest, ATakenOverFireStartsOnlyWhenTheJobIsFreeAndRetriesWithItsFire) {
  auto j = job("a", "0 0 * * * *");
  j.retries = 1;
  scheduler.set_jobs({j});
  const DueRun takeover{"a", Trigger::takeover, at("2025-12-31T23:00:00Z"), 0};
  EXPECT_FALSE(
      scheduler.start_now(DueRun{"unknown", Trigger::takeover, takeover.scheduled_for, 0}));
  ASSERT_TRUE(scheduler.start_now(takeover));
  EXPECT_FALSE(scheduler.start_now(takeover));  // a job never runs twice at once
  scheduler.finished(takeover, RunOutcome::failed);
  auto retry = scheduler.pending("a");
  ASSERT_TRUE(retry);
  EXPECT_EQ(Trigger::retry, retry->trigger);
  EXPECT_EQ(takeover.scheduled_for, retry->scheduled_for);
}

}  // namespace connctl::daemon
