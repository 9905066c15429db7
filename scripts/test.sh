#!/usr/bin/env bash
# Sets everything up and runs the whole test suite twice: in the release build
# and in the ASan+UBSan build, both with warnings as errors; then the gtest
# suites (every extractor against its real server, the catalog stores, the
# daemon) once more in the ThreadSanitizer build.
# CONNCTL_PRESETS="release" limits the builds (default: "release asan tsan").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/check-format.sh
for preset in ${CONNCTL_PRESETS:-release asan tsan}; do
  echo "== $preset: build" >&2
  scripts/build.sh "$preset"
  echo "== $preset: test" >&2
  if [ "$preset" = tsan ]; then
    # ThreadSanitizer wants the address layout it was built for: no ASLR.
    setarch "$(uname -m)" -R ctest --preset "$preset"
  else
    ctest --preset "$preset"
  fi
done
