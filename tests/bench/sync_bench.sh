#!/usr/bin/env bash
# Benchmark of connctl sync (first, no-change, after 10 changes) into SQLite
# and PostgreSQL catalogs beside extract alone; see tests/bench/sync_bench.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/build.sh release connctl >&2
exec python3 tests/bench/sync_bench.py "$@"
