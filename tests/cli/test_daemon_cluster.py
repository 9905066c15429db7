"""Several connctl daemons on one PostgreSQL catalog (the throwaway server of
pg_server.py): every fire of a job is claimed once, so it runs exactly once
across them, and a daemon killed in the middle of a run has its fire taken
over by another once its lease expires. Real daemon processes, a real
catalog read back with psql, a SQLite source made slow by holding a lock on it."""

import json
import os
import signal
import time
import unittest
import urllib.request
from datetime import datetime, timedelta, timezone

from catalogs import PgCatalog
from pg_server import PgServer
from support import CliTestCase, build_sample, run
from test_daemon import Daemon, SourceLock, free_port, parse_time

SERVER = None
# The acceptance run lasts two minutes; the sanitizer build, ten times slower,
# runs a shorter one (tests/CMakeLists.txt sets it).
CLUSTER_SECONDS = int(os.environ.get("CONNCTL_CLUSTER_SECONDS", "120"))


def setUpModule():
    global SERVER
    SERVER = PgServer()


def tearDownModule():
    SERVER.stop()


def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    claims = {}
    for line in text.splitlines():
        if line.startswith("connctl_fire_claims_total{"):
            labels, value = line.rsplit(" ", 1)
            result = labels.split('result="', 1)[1].split('"', 1)[0]
            claims[result] = claims.get(result, 0) + int(value)
    return claims


class ClusterTestCase(CliTestCase):
    def setUp(self):
        super().setUp()
        self.source = build_sample(self.tmp)
        self.pg = PgCatalog(SERVER)
        self.catalog = self.pg.url  # what Daemon passes as --catalog

    def config(self, job, daemon=""):
        return f"""
[daemon]
shutdown_grace = "10s"
{daemon}

[[source]]
name = "sample"
type = "sqlite"
path = "{self.source}"
busy_timeout = "60s"

[[job]]
name = "j"
source = "sample"
timezone = "UTC"
{job}
"""

    def start_daemons(self, config, count=3):
        daemons = []
        for _ in range(count):
            port = free_port()
            daemon = Daemon(self, config, "--metrics-listen", f"127.0.0.1:{port}")
            daemon.port = port
            daemons.append(daemon)
        for daemon in daemons:
            daemon.wait_log("daemon started", timeout=60)
        return daemons

    def runs(self):
        rows = self.pg.query("SELECT id, trigger, scheduled_for, status, pid, error FROM runs "
                             "WHERE job = 'j' ORDER BY id")
        return [dict(zip(("id", "trigger", "scheduled_for", "status", "pid", "error"), row))
                for row in rows]

    def wait_runs(self, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.runs()
            if predicate(runs):
                return runs
            time.sleep(0.2)
        self.fail(f"runs never matched within {timeout}s: {self.runs()}")


class ExactlyOnceTest(ClusterTestCase):
    def test_three_daemons_run_every_fire_of_a_two_second_job_exactly_once(self):
        daemons = self.start_daemons(self.config('schedule = "*/2 * * * * *"'))
        begin = datetime.now(timezone.utc) + timedelta(seconds=0.5)
        time.sleep(CLUSTER_SECONDS)
        end = datetime.now(timezone.utc)
        for daemon in daemons:
            self.assertIsNone(daemon.proc.poll(), daemon.log_text()[-3000:])
        claims = [metrics(d.port) for d in daemons]
        for daemon in daemons:
            daemon.signal(signal.SIGTERM)
        for daemon in daemons:
            self.assertEqual(0, daemon.proc.wait(timeout=60), daemon.log_text()[-3000:])

        # The fires the schedule had between begin and a moment before the end.
        count = CLUSTER_SECONDS // 2 + 2
        proc = run("schedule", "next", "--cron", "*/2 * * * * *", "--tz", "UTC",
                   "--from", begin.isoformat(), "--count", str(count), "--format", "json")
        self.assertEqual(0, proc.returncode, proc.stderr)
        expected = [parse_time(t) for t in json.loads(proc.stdout)]
        expected = [t for t in expected if t <= end - timedelta(seconds=1)]
        self.assertGreaterEqual(len(expected), CLUSTER_SECONDS // 2 - 2)

        runs = self.runs()
        self.assertTrue(all(r["status"] == "succeeded" for r in runs),
                        [r for r in runs if r["status"] != "succeeded"])
        by_fire = {}
        for r in runs:
            by_fire.setdefault(parse_time(r["scheduled_for"]), []).append(r)
        duplicates = {t: rs for t, rs in by_fire.items() if len(rs) > 1}
        self.assertEqual({}, duplicates, "a fire ran more than once")
        missing = [t.isoformat() for t in expected if t not in by_fire]
        self.assertEqual([], missing, "fires that never ran")
        self.assertTrue(all(r["trigger"] == "schedule" for r in runs), runs)
        # Each fire was claimed once: the daemons' wins add up to the runs,
        # and every other daemon found it taken.
        won = sum(c.get("won", 0) for c in claims)
        lost = sum(c.get("lost", 0) for c in claims)
        self.assertLessEqual(abs(won - len(runs)), 3, (claims, len(runs)))
        self.assertGreaterEqual(lost, len(expected), claims)
        self.assertGreater(len({r["pid"] for r in runs}), 1, "one daemon ran everything")
        # One claim row per fire, every one done.
        states = self.pg.query("SELECT state, count(*) FROM job_claims GROUP BY state")
        self.assertEqual([("done", len(runs))], states)


class TakeoverTest(ClusterTestCase):
    def test_a_killed_daemons_fire_is_taken_over_and_completes_once(self):
        lock = SourceLock(self.source)
        self.addCleanup(lock.release)
        # One fire a minute, a few seconds from now; a short lease.
        second = (datetime.now(timezone.utc) + timedelta(seconds=8)).second
        daemons = self.start_daemons(
            self.config(f'schedule = "{second} * * * * *"', daemon='lease = "3s"'))
        runs = self.wait_runs(lambda runs: len(runs) == 1, timeout=90)
        first = runs[0]
        self.assertEqual(("schedule", "running"), (first["trigger"], first["status"]))
        holder = next(d for d in daemons if d.proc.pid == first["pid"])
        others = [d for d in daemons if d is not holder]
        time.sleep(4)  # longer than the lease: renewed, nobody takes it over
        self.assertEqual(1, len(self.runs()), self.runs())
        self.assertEqual("running", self.runs()[0]["status"])

        holder.proc.kill()
        holder.proc.wait()
        lock.release()
        runs = self.wait_runs(lambda runs: len(runs) == 2 and runs[1]["status"] == "succeeded",
                              timeout=60)
        dead, taken = runs
        self.assertEqual("interrupted", dead["status"], dead)
        self.assertEqual(("takeover", "succeeded"), (taken["trigger"], taken["status"]))
        self.assertEqual(dead["scheduled_for"], taken["scheduled_for"])
        taker = next(d for d in others if d.proc.pid == taken["pid"])
        self.assertIn("fire taken over", taker.log_text())
        self.assertEqual(1, metrics(taker.port).get("taken_over"))
        claim = self.pg.query("SELECT daemon_id, state, takeovers, run_id FROM job_claims")
        self.assertEqual(1, len(claim), claim)
        daemon_id, state, takeovers, run_id = claim[0]
        self.assertEqual(("done", 1, taken["id"]), (state, takeovers, run_id))
        self.assertIn(f":{taker.proc.pid}:", daemon_id)

        time.sleep(5)  # nobody runs it a third time
        self.assertEqual(2, len(self.runs()), self.runs())
        for daemon in others:
            self.assertEqual(0, daemon.stop())


if __name__ == "__main__":
    unittest.main()
