#!/usr/bin/env bash
# Sets everything up and runs the whole test suite twice: in the release build
# and in the ASan+UBSan build, both with warnings as errors.
# CONNCTL_PRESETS="release" limits the builds (default: "release asan").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/check-format.sh
for preset in ${CONNCTL_PRESETS:-release asan}; do
  echo "== $preset: build" >&2
  scripts/build.sh "$preset"
  echo "== $preset: test" >&2
  ctest --preset "$preset"
done
