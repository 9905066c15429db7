#!/usr/bin/env bash
# Sets everything up, builds connctl, creates the bundled sample SQLite
# database from examples/sample.sql and prints `connctl extract` of it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release connctl >&2
rm -f examples/sample.db
sqlite3 examples/sample.db < examples/sample.sql
exec build/release/connctl extract "sqlite://$PWD/examples/sample.db" "$@"
