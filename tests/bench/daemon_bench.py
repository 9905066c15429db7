#!/usr/bin/env python3
"""Benchmark of `connctl daemon`: JOBS jobs (1,000 by default) on one
schedule (every minute by default) against the bundled sample SQLite
database, for MINUTES minutes. It reports

- the fire delay: how long after its scheduled instant each run started
  (`started_at - scheduled_for` from `connctl history`; no splay is set, so
  every job is due at the same instant and the later ones wait for a slot of
  `max_concurrent_runs`), p50, p99 and the largest;
- how long the burst of runs of one fire took (first start to last end);
- the daemon's CPU while idle: CPU time used between the end of one burst and
  the next fire, over that wall time, from /proc/PID/stat;
- the daemon's peak RSS (VmHWM).

Markdown on stdout (docs/benchmarks.md keeps a run).

  tests/bench/daemon_bench.sh                              # 1,000 jobs, 4 minutes
  JOBS=200 MINUTES=2 tests/bench/daemon_bench.sh           # quicker
  MAX_CONCURRENT_RUNS=8 SPLAY=30s tests/bench/daemon_bench.sh

Needs a release build (daemon_bench.sh builds it)."""

import datetime
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("CONNCTL_BINARY", ROOT / "build" / "release" / "connctl"))
JOBS = int(os.environ.get("JOBS", "1000"))
MINUTES = int(os.environ.get("MINUTES", "4"))
SCHEDULE = os.environ.get("SCHEDULE", "* * * * *")
MAX_CONCURRENT_RUNS = int(os.environ.get("MAX_CONCURRENT_RUNS", "4"))
SPLAY = os.environ.get("SPLAY", "0s")
TICK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"daemon_bench: {msg}", file=sys.stderr, flush=True)


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def peak_rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def write_config(work):
    db = work / "sample.db"
    conn = sqlite3.connect(db)
    conn.executescript((ROOT / "examples" / "sample.sql").read_text())
    conn.close()
    lines = [f'[catalog]\nurl = "sqlite://{work / "catalog.db"}"\n',
             f"[daemon]\nmax_concurrent_runs = {MAX_CONCURRENT_RUNS}\n",
             f'[[source]]\nname = "sample"\ntype = "sqlite"\npath = "{db}"\n']
    for i in range(JOBS):
        lines.append(f'[[job]]\nname = "job{i:04d}"\nsource = "sample"\nschedule = "{SCHEDULE}"\n'
                     f'splay = "{SPLAY}"\n')
    config = work / "connctl.toml"
    config.write_text("\n".join(lines))
    return config


def main():
    if not BINARY.exists():
        raise SystemExit(f"no binary at {BINARY}: scripts/build.sh release connctl")
    work = Path(tempfile.mkdtemp(prefix="connctl-daemonbench-"))
    try:
        config = write_config(work)
        log(f"{JOBS} jobs at '{SCHEDULE}' for {MINUTES} min, max_concurrent_runs={MAX_CONCURRENT_RUNS}")
        # Start just after a minute boundary so that the first fire is a whole minute away.
        time.sleep((60 - time.time() % 60 + 2) % 60)
        daemon = subprocess.Popen([str(BINARY), "daemon", "--config", str(config)],
                                  stdout=subprocess.DEVNULL, stderr=open(work / "daemon.log", "wb"))
        samples = []  # (wall time, CPU seconds)
        end = time.time() + MINUTES * 60
        while time.time() < end and daemon.poll() is None:
            samples.append((time.time(), cpu_seconds(daemon.pid)))
            time.sleep(0.5)
        if daemon.poll() is not None:
            raise SystemExit(f"the daemon exited ({daemon.returncode}): "
                             f"{(work / 'daemon.log').read_text()[-2000:]}")
        rss = peak_rss_mib(daemon.pid)
        daemon.terminate()
        code = daemon.wait(timeout=120)
        if code != 0:
            raise SystemExit(f"the daemon exited {code} on SIGTERM")

        out = subprocess.run([str(BINARY), "history", "--config", str(config), "--format", "json",
                              "--limit", str(JOBS * (MINUTES + 2))],
                             capture_output=True, check=True, text=True).stdout
        runs = [r for r in json.loads(out) if r.get("scheduled_for") and r.get("finished_at")]
        statuses = {}
        for r in runs:
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        delays = [parse_time(r["started_at"]) - parse_time(r["scheduled_for"]) for r in runs]
        bursts = {}
        for r in runs:
            start, finish = parse_time(r["started_at"]), parse_time(r["finished_at"])
            first, last = bursts.get(r["scheduled_for"], (start, finish))
            bursts[r["scheduled_for"]] = (min(first, start), max(last, finish))
        # Idle: from one burst's last end (plus a second) to the next fire
        # (less a second); CPU over those windows.
        fires = sorted((parse_time(k), v) for k, v in bursts.items())
        idle_cpu = idle_wall = 0.0
        for (_, (_, burst_end)), (next_fire, _) in zip(fires, fires[1:]):
            window = [s for s in samples if burst_end + 1 <= s[0] <= next_fire - 1]
            if len(window) >= 2:
                idle_cpu += window[-1][1] - window[0][1]
                idle_wall += window[-1][0] - window[0][0]
        expected = JOBS * len(bursts)

        print(f"## connctl daemon, {JOBS} jobs at `{SCHEDULE}` on the bundled sample\n")
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{platform.node()}, {os.cpu_count()} cores, load {load}, {time.strftime('%Y-%m-%d')}; "
              f"{MINUTES} minutes, `max_concurrent_runs = {MAX_CONCURRENT_RUNS}`, `splay = \"{SPLAY}\"`, "
              f"SQLite catalog. Command: `JOBS={JOBS} MINUTES={MINUTES} tests/bench/daemon_bench.sh`\n")
        print("| fires | runs (expected) | statuses | fire delay p50 | p99 | max | burst of one fire "
              "(first start to last end, median) | CPU while idle | peak RSS |")
        print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
        status_text = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        burst = statistics.median(v[1] - v[0] for v in bursts.values()) if bursts else float("nan")
        idle = f"{100 * idle_cpu / idle_wall:.2f}% of a core over {idle_wall:.0f} s" if idle_wall else "n/a"
        print(f"| {len(bursts)} | {len(runs)} ({expected}) | {status_text} | {percentile(delays, 0.5):.3f} s | "
              f"{percentile(delays, 0.99):.3f} s | {max(delays):.3f} s | {burst:.2f} s | {idle} | "
              f"{rss:.0f} MiB |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
