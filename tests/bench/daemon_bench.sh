#!/usr/bin/env bash
# Benchmark of connctl daemon: 1,000 jobs every minute on the bundled sample;
# see tests/bench/daemon_bench.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/build.sh release connctl >&2
exec python3 tests/bench/daemon_bench.py "$@"
