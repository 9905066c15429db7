"""End-to-end tests of connctl daemon: a real daemon process, a real SQLite
catalog read back with Python's sqlite3, and SQLite sources made slow for real
by holding an exclusive lock on them (the extractor then waits on its busy
timeout), made to fail by pointing at a missing file."""

import http.server
import json
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from support import BINARY, CliTestCase, build_sample

STATUS_TIMED_OUT = "timed_out"


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def second_soon(delay):
    """The seconds field of a moment `delay` seconds from now (for a job that fires once a minute)."""
    return (datetime.now(timezone.utc) + timedelta(seconds=delay)).second


class SourceLock:
    """Holds an exclusive lock on a SQLite database, so a sync of it waits."""

    def __init__(self, path):
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN EXCLUSIVE")

    def release(self):
        if self.conn:
            self.conn.execute("COMMIT")
            self.conn.close()
            self.conn = None


class Daemon:
    def __init__(self, test, config_text, *args, env=None):
        self.test = test
        self.config = test.tmp / "connctl.toml"
        self.config.write_text(config_text)
        self.stderr_path = test.tmp / f"daemon-{time.monotonic_ns()}.log"
        self.stderr = open(self.stderr_path, "wb")
        full_env = {k: v for k, v in os.environ.items()
                    if not k.startswith("CONNCTL_CONFIG") and k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
        full_env["XDG_CONFIG_HOME"] = str(test.tmp / "no-xdg")
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [BINARY, "daemon", "--config", str(self.config), "--catalog", str(test.catalog),
             "--log-format", "json", *args],
            stdout=subprocess.DEVNULL, stderr=self.stderr, env=full_env, cwd=test.tmp)
        test.addCleanup(self.kill)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=60):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def log(self):
        lines = []
        for line in self.stderr_path.read_text(errors="replace").splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                lines.append({"msg": line})
        return lines

    def log_text(self):
        return self.stderr_path.read_text(errors="replace")

    def wait_log(self, needle, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log_text():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.test.fail(f"no log line with {needle!r} within {timeout}s; log:\n{self.log_text()}")


class DaemonTestCase(CliTestCase):
    def setUp(self):
        super().setUp()
        self.source = build_sample(self.tmp)
        self.catalog = self.tmp / "catalog.db"

    def config(self, job="", daemon="", source_path=None, busy_timeout="60s"):
        return f"""
[daemon]
shutdown_grace = "5s"
{daemon}

[[source]]
name = "sample"
type = "sqlite"
path = "{source_path or self.source}"
busy_timeout = "{busy_timeout}"

[[job]]
name = "j"
source = "sample"
timezone = "UTC"
{job}
"""

    def runs(self, job=None):
        if not self.catalog.exists():
            return []
        conn = sqlite3.connect(f"file:{self.catalog}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            rows = conn.execute("SELECT * FROM runs ORDER BY id").fetchall()
        except sqlite3.OperationalError:
            return []
        finally:
            conn.close()
        runs = [dict(r) for r in rows]
        return [r for r in runs if job is None or r["job"] == job]

    def wait_runs(self, predicate, timeout=30, job="j"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.runs(job)
            if predicate(runs):
                return runs
            time.sleep(0.1)
        self.fail(f"runs never matched within {timeout}s: {self.runs(job)}")

    def finished(self, runs):
        return [r for r in runs if r["status"] != "running"]


class ScheduleTest(DaemonTestCase):
    def test_seconds_schedule_fires_once_per_matching_second(self):
        daemon = Daemon(self, self.config('schedule = "*/2 * * * * *"'))
        self.wait_runs(lambda runs: len(self.finished(runs)) >= 4)
        self.assertEqual(0, daemon.stop())
        runs = self.runs("j")
        self.assertTrue(all(r["status"] == "succeeded" for r in runs), runs)
        self.assertTrue(all(r["trigger"] == "schedule" for r in runs), runs)
        fires = [parse_time(r["scheduled_for"]) for r in runs]
        # Every even second from the first fire on, each exactly once.
        self.assertTrue(all(f.second % 2 == 0 and f.microsecond == 0 for f in fires), fires)
        self.assertEqual([timedelta(seconds=2)] * (len(fires) - 1),
                         [b - a for a, b in zip(fires, fires[1:])])
        for r in runs:
            self.assertGreaterEqual(parse_time(r["started_at"]), parse_time(r["scheduled_for"]))
        # Structured lines for the start and the end of every run.
        log = daemon.log()
        ends = [line for line in log if line.get("msg") == "run finished"]
        self.assertEqual({r["id"] for r in runs}, {int(line["run_id"]) for line in ends})
        self.assertTrue(all(line["job"] == "j" and line["status"] == "succeeded" for line in ends))
        starts = [line for line in log if line.get("msg") == "run started"]
        self.assertEqual(len(runs), len(starts))

    def test_a_second_daemon_on_the_same_catalog_refuses_to_start(self):
        first = Daemon(self, self.config('schedule = "0 0 1 1 *"'))
        first.wait_log("daemon started")
        second = Daemon(self, self.config('schedule = "0 0 1 1 *"'))
        self.assertEqual(1, second.proc.wait(timeout=30))
        self.assertIn("another connctl daemon", second.log_text())
        self.assertIn(f"pid {first.proc.pid}", second.log_text())
        self.assertIsNone(first.proc.poll())
        self.assertEqual(0, first.stop())

    def test_a_config_without_jobs_or_with_a_bad_job_is_refused(self):
        daemon = Daemon(self, self.config('schedule = "0 0 30 2 *"'))
        self.assertEqual(2, daemon.proc.wait(timeout=30))
        self.assertIn("never", daemon.log_text())


class OverlapTest(DaemonTestCase):
    def slow_job(self, overlap):
        lock = SourceLock(self.source)
        self.addCleanup(lock.release)
        daemon = Daemon(self, self.config(f'schedule = "* * * * * *"\noverlap = "{overlap}"'))
        self.wait_runs(lambda runs: len(runs) >= 1)
        time.sleep(3.5)  # three or four more fires while the first run waits
        self.assertEqual(1, len(self.runs("j")), "a job never runs twice at once")
        lock.release()
        self.wait_runs(lambda runs: len(self.finished(runs)) >= 3)
        self.assertEqual(0, daemon.stop())
        runs = self.runs("j")
        # Never two runs of the job at once.
        for a, b in zip(runs, runs[1:]):
            self.assertLessEqual(parse_time(a["finished_at"]), parse_time(b["started_at"]), runs)
        return daemon, runs

    def test_skip_drops_fires_while_the_job_runs(self):
        daemon, runs = self.slow_job("skip")
        self.assertIn("fire skipped", daemon.log_text())
        first, second = runs[0], runs[1]
        # The next run is the first fire after the slow one ended, not one that came during it.
        self.assertGreaterEqual(parse_time(second["scheduled_for"]),
                                parse_time(first["finished_at"]) - timedelta(seconds=0.1))

    def test_queue_runs_the_newest_fire_as_soon_as_the_job_is_free(self):
        daemon, runs = self.slow_job("queue")
        first, second = runs[0], runs[1]
        # A fire that came while the first run waited, started as soon as it ended.
        self.assertLess(parse_time(second["scheduled_for"]), parse_time(first["finished_at"]))
        self.assertGreater(parse_time(second["scheduled_for"]), parse_time(first["scheduled_for"]))
        self.assertLess(parse_time(second["started_at"]) - parse_time(first["finished_at"]),
                        timedelta(seconds=0.5))


class TimeoutAndRetryTest(DaemonTestCase):
    def test_timeout_cancels_the_run_and_records_timed_out(self):
        lock = SourceLock(self.source)
        self.addCleanup(lock.release)
        daemon = Daemon(self, self.config(f'schedule = "{second_soon(2)} * * * * *"\ntimeout = "1s"'))
        runs = self.wait_runs(lambda runs: len(self.finished(runs)) >= 1)
        run = runs[0]
        self.assertEqual(STATUS_TIMED_OUT, run["status"], run)
        self.assertIn("timed out after 1s", run["error"])
        took = parse_time(run["finished_at"]) - parse_time(run["started_at"])
        self.assertGreaterEqual(took, timedelta(seconds=1))
        self.assertLess(took, timedelta(seconds=5))  # cancelled, not the 60 s busy timeout
        self.assertEqual(0, daemon.stop())

    def test_failing_source_retries_with_backoff_then_fails_and_notifies(self):
        notified = self.tmp / "notified.jsonl"
        job = f'''schedule = "{second_soon(2)} * * * * *"
retries = 2
retry_backoff = "1s"
on_failure = "cat >> {notified}"'''
        daemon = Daemon(self, self.config(job, daemon="failure_threshold = 1",
                                          source_path=self.tmp / "missing.db"))
        runs = self.wait_runs(lambda runs: len(self.finished(runs)) >= 3)
        self.assertEqual(["schedule", "retry", "retry"], [r["trigger"] for r in runs])
        self.assertEqual(["failed"] * 3, [r["status"] for r in runs])
        self.assertEqual(1, len({r["scheduled_for"] for r in runs}), "a retry keeps its fire's time")
        starts = [parse_time(r["started_at"]) for r in runs]
        # Backoff 1s then 2s, each with up to half of it as jitter.
        self.assertGreaterEqual(starts[1] - starts[0], timedelta(seconds=0.5))
        self.assertGreaterEqual(starts[2] - starts[1], timedelta(seconds=1))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (not notified.exists() or notified.read_text().count("\n") < 2):
            time.sleep(0.1)
        events = [json.loads(line) for line in notified.read_text().splitlines()]
        # Only the final failure notifies (not the retried ones), then the threshold of 1 is reached.
        self.assertEqual(["failed", "failing"], [e["event"] for e in events])
        self.assertEqual(str(runs[-1]["id"]), events[0]["run_id"])
        self.assertEqual("j", events[0]["job"])
        self.assertEqual("failed", events[0]["status"])
        self.assertEqual(2, events[0]["attempt"])
        self.assertIn("missing.db", events[0]["error"])
        self.assertEqual(0, daemon.stop())

    def start_hook(self):
        """A webhook receiver on loopback: (its port, the events it received)."""
        received = []

        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, self.headers["Content-Type"], json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return server.server_port, received

    def wait_events(self, received, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not predicate([e for _, _, e in received]):
            time.sleep(0.1)
        return [e for _, _, e in received]

    def test_webhook_is_posted_after_n_failures_in_a_row_and_on_recovery(self):
        port, received = self.start_hook()
        server_port = port
        missing = self.tmp / "later.db"
        job = f'''schedule = "*/2 * * * * *"
on_failure = "http://127.0.0.1:{server_port}/hooks/connctl?team=data"'''
        daemon = Daemon(self, self.config(job, daemon="failure_threshold = 2", source_path=missing))
        self.wait_runs(lambda runs: len([r for r in runs if r["status"] == "failed"]) >= 2)
        missing.write_bytes(self.source.read_bytes())
        self.wait_runs(lambda runs: any(r["status"] == "succeeded" for r in runs))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(e["event"] == "recovered" for _, _, e in received):
            time.sleep(0.1)
        self.assertEqual(0, daemon.stop())
        events = [e["event"] for _, _, e in received]
        self.assertEqual(["failed", "failed", "failing"], events[:3])
        self.assertEqual("recovered", events[-1])
        self.assertEqual("/hooks/connctl?team=data", received[0][0])
        self.assertEqual("application/json", received[0][1])
        self.assertEqual(2, received[2][2]["consecutive_failures"])

    def test_a_restart_keeps_the_failure_streak(self):
        port, received = self.start_hook()
        missing = self.tmp / "later.db"
        job = f'''schedule = "*/2 * * * * *"
on_failure = "http://127.0.0.1:{port}/"'''
        config = self.config(job, daemon="failure_threshold = 2", source_path=missing)
        daemon = Daemon(self, config)
        self.wait_runs(lambda runs: len([r for r in runs if r["status"] == "failed"]) >= 2)
        self.wait_events(received, lambda events: len(events) >= 3)
        self.assertEqual(0, daemon.stop())
        runs = self.finished(self.runs())
        streak = len([r for r in runs if r["status"] == "failed"])  # no retries: one run a fire
        self.assertEqual(streak, len(runs))
        before = [e for _, _, e in received]
        self.assertEqual(["failed", "failed", "failing"], [e["event"] for e in before[:3]])

        daemon = Daemon(self, config)
        self.wait_runs(lambda runs: len(self.finished(runs)) > streak)
        self.wait_events(received, lambda events: len(events) > len(before))
        missing.write_bytes(self.source.read_bytes())
        self.wait_runs(lambda runs: any(r["status"] == "succeeded" for r in runs))
        after = self.wait_events(received, lambda events: events[-1]["event"] == "recovered")
        self.assertEqual(0, daemon.stop())
        self.assertIn(f"failed {streak} times in a row before this start", daemon.log_text())
        resumed = after[len(before):]
        # The streak goes on from where it was; `failing` is not sent again.
        self.assertEqual("failed", resumed[0]["event"])
        self.assertEqual(streak + 1, resumed[0]["consecutive_failures"])
        self.assertNotIn("failing", [e["event"] for e in resumed])
        self.assertEqual("recovered", resumed[-1]["event"])
        self.assertGreater(resumed[-1]["consecutive_failures"], streak)


class CrashAndSignalTest(DaemonTestCase):
    def test_kill_9_then_restart_marks_the_run_interrupted_and_catches_up_once(self):
        lock = SourceLock(self.source)
        self.addCleanup(lock.release)
        config = self.config(f'schedule = "{second_soon(2)} * * * * *"\ncatch_up = "latest"')
        first = Daemon(self, config)
        self.wait_runs(lambda runs: len(runs) == 1)
        first.proc.kill()
        first.proc.wait()
        self.assertEqual("running", self.runs("j")[0]["status"])
        lock.release()
        second = Daemon(self, config)
        runs = self.wait_runs(lambda runs: len(self.finished(runs)) >= 2)
        time.sleep(2)  # no second catch-up
        self.assertEqual(0, second.stop())
        runs = self.runs("j")
        self.assertEqual(2, len(runs), runs)
        self.assertEqual(("schedule", "interrupted"), (runs[0]["trigger"], runs[0]["status"]))
        self.assertEqual(("catch_up", "succeeded"), (runs[1]["trigger"], runs[1]["status"]))
        self.assertEqual(runs[0]["scheduled_for"], runs[1]["scheduled_for"])

    def test_sighup_with_a_broken_config_keeps_the_old_schedule(self):
        daemon = Daemon(self, self.config('schedule = "*/2 * * * * *"'))
        self.wait_runs(lambda runs: len(self.finished(runs)) >= 1)
        daemon.config.write_text(self.config('schedule = "0 0 30 2 *"'))
        daemon.signal(signal.SIGHUP)
        daemon.wait_log("keeping the previous config")
        before = len(self.runs("j"))
        self.wait_runs(lambda runs: len(self.finished(runs)) >= before + 2)
        # A valid config is swapped in: the job renamed runs on its new schedule.
        daemon.config.write_text(self.config('schedule = "*/3 * * * * *"').replace('name = "j"', 'name = "k"'))
        daemon.signal(signal.SIGHUP)
        daemon.wait_log("config reloaded")
        runs_k = self.wait_runs(lambda runs: len(self.finished(runs)) >= 2, job="k")
        self.assertEqual(0, daemon.stop())
        self.assertTrue(all(parse_time(r["scheduled_for"]).second % 3 == 0 for r in runs_k), runs_k)
        self.assertTrue(all(r["status"] == "succeeded" for r in self.runs()))

    def test_sigterm_cancels_runs_after_the_grace_period_and_exits_0(self):
        lock = SourceLock(self.source)
        self.addCleanup(lock.release)
        daemon = Daemon(self, self.config('schedule = "* * * * * *"', daemon="").replace(
            'shutdown_grace = "5s"', 'shutdown_grace = "1s"'))
        self.wait_runs(lambda runs: len(runs) >= 1)
        started = time.monotonic()
        self.assertEqual(0, daemon.stop())
        self.assertGreaterEqual(time.monotonic() - started, 0.9)
        runs = self.runs()
        self.assertEqual(["interrupted"], [r["status"] for r in runs])
        self.assertIsNotNone(runs[0]["finished_at"])

    def test_sigterm_lets_a_run_finish_within_the_grace_period(self):
        lock = SourceLock(self.source)
        self.addCleanup(lock.release)
        daemon = Daemon(self, self.config('schedule = "* * * * * *"'))
        self.wait_runs(lambda runs: len(runs) >= 1)
        daemon.signal(signal.SIGTERM)
        daemon.wait_log("no new runs")
        time.sleep(1)
        lock.release()
        self.assertEqual(0, daemon.proc.wait(timeout=30))
        runs = self.runs()
        self.assertEqual(["succeeded"], [r["status"] for r in runs])


class ServiceTest(DaemonTestCase):
    def test_sd_notify_ready_status_watchdog_reloading_stopping(self):
        path = self.tmp / "notify.sock"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(path))
        sock.settimeout(0.2)
        self.addCleanup(sock.close)
        messages = []

        def receive_until(predicate, timeout=20):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    messages.append(sock.recv(4096).decode())
                except socket.timeout:
                    pass
                if any(predicate(m) for m in messages):
                    return
            self.fail(f"no such message within {timeout}s: {messages}")

        daemon = Daemon(self, self.config('schedule = "*/2 * * * * *"'),
                        env={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "1000000"})
        receive_until(lambda m: "READY=1" in m)
        ready = next(m for m in messages if "READY=1" in m)
        self.assertRegex(ready, r"STATUS=0 running; next: j at \d{4}-")
        receive_until(lambda m: m == "WATCHDOG=1")
        receive_until(lambda m: "STATUS=1 running (j)" in m)
        # Half of WATCHDOG_USEC: about two pings a second.
        count_from = len([m for m in messages if m == "WATCHDOG=1"])
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                messages.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
        pings = len([m for m in messages if m == "WATCHDOG=1"]) - count_from
        self.assertGreaterEqual(pings, 3, messages)
        self.assertLessEqual(pings, 6, messages)
        self.assertEqual(0, len([m for m in messages if "RELOADING=1" in m]))
        daemon.signal(signal.SIGHUP)
        receive_until(lambda m: "RELOADING=1" in m)
        reloading = next(m for m in messages if "RELOADING=1" in m)
        usec = int(reloading.split("MONOTONIC_USEC=")[1].split("\n")[0])
        self.assertLess(abs(usec - time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000), 5_000_000)
        index = messages.index(reloading)
        receive_until(lambda m: "READY=1" in m and messages.index(m) > index)
        daemon.signal(signal.SIGTERM)
        receive_until(lambda m: "STOPPING=1" in m)
        self.assertEqual(0, daemon.proc.wait(timeout=30))

    def test_metrics_and_healthz(self):
        port = free_port()
        daemon = Daemon(self, self.config('schedule = "* * * * * *"'), "--metrics-listen", f"127.0.0.1:{port}")
        self.wait_runs(lambda runs: len([r for r in runs if r["status"] == "succeeded"]) >= 2)
        time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            self.assertIn("text/plain", response.headers["Content-Type"])
            text = response.read().decode()
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                samples[name] = float(value)
        self.assertEqual(1, samples["connctl_up"])
        succeeded = len([r for r in self.runs("j") if r["status"] == "succeeded"])
        self.assertGreaterEqual(samples['connctl_runs_total{job="j",status="succeeded"}'], 2)
        self.assertLessEqual(samples['connctl_runs_total{job="j",status="succeeded"}'], succeeded)
        self.assertGreater(samples['connctl_entities_total{job="j",change="added"}'], 10)
        self.assertGreater(samples['connctl_entities_total{job="j",change="unchanged"}'], 10)
        self.assertGreater(samples['connctl_run_duration_seconds_count{job="j"}'], 1)
        now = time.time()
        self.assertLess(abs(samples['connctl_last_success_timestamp_seconds{job="j"}'] - now), 10)
        self.assertGreater(samples['connctl_next_fire_timestamp_seconds{job="j"}'], now - 1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            self.assertEqual(200, response.status)
        # A catalog that cannot be read: 503.
        self.catalog.unlink()
        self.catalog.mkdir()
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10)
        self.assertEqual(503, caught.exception.code)
        self.assertIn("catalog", caught.exception.read().decode())
        caught.exception.close()
        self.assertEqual(0, daemon.stop())


if __name__ == "__main__":
    unittest.main()
