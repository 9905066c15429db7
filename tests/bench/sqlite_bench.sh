#!/usr/bin/env bash
# Benchmark of `connctl extract` on a generated 2,000-table SQLite database
# beside `sqlite3 DB .schema`; markdown on stdout (see docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup.sh
scripts/build.sh release connctl >&2
work=${WORK:-/tmp/connctl-bench-sqlite}
tables=${TABLES:-2000}
mkdir -p "$work"
db="$work/bench_${tables}.db"
if [ ! -f "$db" ]; then
  /usr/bin/python3 tests/tools/gen_sqlite_db.py "$db" --tables "$tables" >&2
fi
TABLES=$tables /usr/bin/python3 tests/bench/sqlite_bench.py "$PWD/build/release/connctl" "$db"
