#!/usr/bin/env bash
# Fails when clang-format would change a C++ file of the project.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find cli core schema extractors catalog daemon tests -name '*.[ch]pp')
[ ${#files[@]} -eq 0 ] && exit 0
clang-format --dry-run -Werror "${files[@]}"
