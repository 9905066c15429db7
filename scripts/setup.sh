#!/usr/bin/env bash
# Installs what connctl needs to build and test, from Debian's packages.
# Idempotent and quick when everything is present: apt is only called for
# packages that dpkg does not already report as installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libcli11-dev libtomlplusplus-dev libsqlitecpp-dev libsqlite3-dev
  libssl-dev libfmt-dev libgtest-dev libgmock-dev rapidjson-dev libre2-dev
  libhowardhinnant-date-dev tzdata python3-croniter
  libpqxx-dev libpq-dev postgresql-15 postgresql-contrib
  unixodbc unixodbc-dev odbc-postgresql odbc-mariadb libsqliteodbc
  mariadb-server mariadb-client
  libsystemd-dev libcpp-httplib-dev systemd
  python3 python3-jsonschema sqlite3 clang-format
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
