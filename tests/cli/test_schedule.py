"""connctl schedule next: DESIGN.md's JSON shape, job lookup, and a
differential test against python3-croniter on random expressions in UTC."""

import json
import random
import unittest
from datetime import datetime, timezone

from croniter import croniter

from support import CliTestCase, run


def random_field(rng, lo, hi, allow_step=True):
    kind = rng.choice(["star", "value", "range", "list", "step", "range_step"] if allow_step else
                      ["star", "value", "range", "list"])
    if kind == "star":
        return "*"
    if kind == "value":
        return str(rng.randint(lo, hi))
    if kind == "range":
        a = rng.randint(lo, hi)
        return f"{a}-{rng.randint(a, hi)}"
    if kind == "list":
        return ",".join(str(v) for v in sorted(set(rng.randint(lo, hi) for _ in range(rng.randint(2, 4)))))
    if kind == "step":
        return f"*/{rng.randint(2, max(2, (hi - lo) // 2))}"
    a = rng.randint(lo, hi)
    return f"{a}-{rng.randint(a, hi)}/{rng.randint(1, 5)}"


def random_expression(rng):
    minute = random_field(rng, 0, 59)
    hour = random_field(rng, 0, 23)
    month = random_field(rng, 1, 12)
    # Day fields: the OR/AND rule for '*/n' differs between cron dialects, so
    # keep one of them a plain '*' or both free of steps.
    if rng.random() < 0.5:
        dom, dow = random_field(rng, 1, 28), "*"
    elif rng.random() < 0.5:
        dom, dow = "*", random_field(rng, 0, 6)
    else:
        dom, dow = random_field(rng, 1, 28, allow_step=False), random_field(rng, 0, 6, allow_step=False)
    return f"{minute} {hour} {dom} {month} {dow}"


class ScheduleNextTest(CliTestCase):
    def test_json_is_an_array_of_times_with_offsets(self):
        proc = run("schedule", "next", "--cron", "30 2 * * *", "--tz", "Europe/Berlin", "--from",
                   "2026-03-28T12:00:00+01:00", "--count", "2", "--format", "json")
        self.assertExit(proc, 0)
        self.assertEqual(["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"], json.loads(proc.stdout))

    def test_a_job_from_the_config_in_its_time_zone(self):
        config = self.tmp / "connctl.toml"
        config.write_text('[[source]]\nname = "s"\ntype = "sqlite"\npath = "x.db"\n\n'
                          '[[job]]\nname = "nightly"\nsource = "s"\nschedule = "0 3 * * *"\n'
                          'timezone = "America/New_York"\n')
        proc = run("--config", str(config), "schedule", "next", "nightly", "--from", "2026-11-22T00:00:00Z",
                   "--count", "1")
        self.assertExit(proc, 0)
        self.assertEqual("2026-11-22T03:00:00-05:00\n", proc.stdout.decode())

    def test_a_job_that_can_never_fire_fails_config_validation(self):
        config = self.tmp / "connctl.toml"
        config.write_text('[[source]]\nname = "s"\ntype = "sqlite"\npath = "x.db"\n\n'
                          '[[job]]\nname = "never"\nsource = "s"\nschedule = "0 0 30 2 *"\n')
        proc = run("--config", str(config), "config", "validate")
        self.assertExit(proc, 2)
        message = proc.stderr.decode()
        self.assertIn(f"{config}:6:", message)
        self.assertIn("never fires", message)

    def test_bad_expression_zone_and_time_are_usage_errors(self):
        self.assertExit(run("schedule", "next", "--cron", "61 * * * *"), 2)
        self.assertExit(run("schedule", "next", "--cron", "* * * * *", "--tz", "Nowhere/Land"), 2)
        self.assertExit(run("schedule", "next", "--cron", "* * * * *", "--from", "soon"), 2)
        self.assertExit(run("schedule", "next"), 2)

    def test_agrees_with_croniter_on_random_expressions_in_utc(self):
        rng = random.Random(20261122)
        start = datetime(2026, 11, 22, 3, 14, 15, tzinfo=timezone.utc)
        for _ in range(150):
            expression = random_expression(rng)
            proc = run("schedule", "next", "--cron", expression, "--tz", "UTC", "--from", start.isoformat(),
                       "--count", "6", "--format", "json")
            self.assertExit(proc, 0)
            got = [datetime.fromisoformat(t) for t in json.loads(proc.stdout)]
            it = croniter(expression, start)
            expected = [it.get_next(datetime) for _ in range(6)]
            self.assertEqual(expected, got, expression)


if __name__ == "__main__":
    unittest.main()
