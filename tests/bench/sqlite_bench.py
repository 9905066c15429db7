#!/usr/bin/env python3
"""Benchmark, on demand: `connctl extract` of a generated 2,000-table SQLite
database beside `sqlite3 DB .schema` (the floor: SQLite printing its own
schema text) on the same file. Tools run interleaved round-robin; the median
of RUNS runs is reported with the ratio to the floor, from one run.

    tests/bench/sqlite_bench.sh            # builds release, generates, measures
    RUNS=9 TABLES=2000 tests/bench/sqlite_bench.sh
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def measure(cmd):
    """Wall seconds and peak RSS (MB) of one run, output to /dev/null."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(cmd, stdout=devnull, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read()
        proc.stderr.close()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err.decode(errors='replace')}")
    return wall, usage.ru_maxrss / 1024.0


def output_size(cmd):
    return len(subprocess.run(cmd, capture_output=True, check=True).stdout)


def main():
    binary, db = sys.argv[1], sys.argv[2]
    runs = int(os.environ.get("RUNS", "7"))
    tools = [
        ("floor: sqlite3 DB .schema", ["sqlite3", db, ".schema"]),
        ("connctl extract", [binary, "--quiet", "extract", f"sqlite://{db}"]),
        ("connctl extract --no-lineage", [binary, "--quiet", "extract", f"sqlite://{db}", "--no-lineage"]),
        ("connctl extract --format ndjson", [binary, "--quiet", "extract", f"sqlite://{db}", "--format", "ndjson"]),
    ]
    results = {name: [] for name, _ in tools}
    for name, cmd in tools:  # warm the page cache once
        measure(cmd)
    for _ in range(runs):
        for name, cmd in tools:
            results[name].append(measure(cmd))
    floor = statistics.median(w for w, _ in results[tools[0][0]])
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"### SQLite, {Path(db).name}: {os.environ.get('TABLES', '?')} tables "
          f"({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, load {load}, median of {runs} runs)\n")
    print("| tool | wall ms (median) | x floor | peak RSS MB | output |")
    print("|---|---:|---:|---:|---:|")
    for name, cmd in tools:
        wall = statistics.median(w for w, _ in results[name])
        rss = max(r for _, r in results[name])
        size = output_size(cmd) / 1e6
        print(f"| {name} | {wall * 1000:.1f} | {wall / floor:.2f} | {rss:.0f} | {size:.1f} MB |")


if __name__ == "__main__":
    main()
