#!/usr/bin/env bash
# The server's share of a MariaDB extraction, beside the floor and connctl:
# what the issue's 1.5x target can be held against. The queries connctl sends
# (tests/bench/mariadb_bound_queries.py) are sent by the server's own client
# with their rows thrown away, so that nothing but the server's work and the
# wire is timed:
#   - "required queries, whole database": each query once, one session;
#   - "required queries, sliced": connctl's slices (table_open_cache /
#     (sessions + 1) byte-ordered names) on `sessions` sessions at once;
# with the floor (limit_mariadb.sh) and `connctl extract`, interleaved,
# median of RUNS. Wall, client CPU (the client and its children) and the
# server's CPU (mariadbd's utime + stime from /proc) per tool; markdown on
# stdout. Uses the databases ../shared/bench/run.sh loads (WORK, default
# /tmp/connctl-bench; loaded here when missing).
#   tests/bench/mariadb_bound.sh > bound.md        # SIZES="S L" RUNS=5, ~1 min once loaded
#   SIZES=L SESSIONS=2 SLICE=1000 tests/bench/mariadb_bound.sh   # another arrangement
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bench=${BENCH_DIR:-$root/../shared/bench}
[ -x "$bench/run.sh" ] || bench=/work/shared/bench
WORK=${WORK:-/tmp/connctl-bench}; SIZES=${SIZES:-S L}; RUNS=${RUNS:-5}
SESSIONS=${SESSIONS:-3}; PORT=${MY_PORT:-53306}
scripts/build.sh release connctl >&2
connctl=$root/build/release/connctl
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
tck=$(getconf CLK_TCK)

# measure PIDFILE CMD...: "wall client server" in seconds
measure() {
  local pid=$(cat "$1") s0 s1 t0 t1; shift
  s0=$(awk '{print $14 + $15}' "/proc/$pid/stat"); t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$tmp/cpu" "$@" >/dev/null 2>"$tmp/err" \
    || { cat "$tmp/err" >&2; echo "mariadb_bound: failed: $*" >&2; exit 1; }
  t1=$(date +%s.%N); s1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  awk -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" -v tck="$tck" \
    '{printf "%.3f %.2f %.2f\n", t1 - t0, $(NF-1) + $NF, (s1 - s0) / tck}' "$tmp/cpu"
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "## The server's share of a MariaDB extraction ($(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "Median of $RUNS interleaved runs; client CPU is the client's and its children's, server CPU is mariadbd's."
for size in $SIZES; do
  dir=$WORK/mariadb_${size,,}
  [ -f "$dir/loaded" ] || RUNS=0 KEEP=1 ENGINES=mariadb SIZES=$size WORK=$WORK "$bench/run.sh" >/dev/null
  started=0
  [ -f "$dir/mariadbd.pid" ] && kill -0 "$(cat "$dir/mariadbd.pid")" 2>/dev/null || started=1
  "$bench/mariadb_up.sh" "$dir" "$PORT" >/dev/null 2>&1
  M="mariadb --no-defaults -S $dir/mysqld.sock -ubench -N -B"
  port=$($M -e 'SELECT @@port')
  url="mysql://bench@127.0.0.1:$port/sales"
  cache=$($M -e 'SELECT @@table_open_cache')
  slice=${SLICE:-$((cache / (SESSIONS + 1)))}; ((slice < 100)) && slice=100; ((slice > 4000)) && slice=4000
  plan="SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'sales'"
  # what connctl learns from a slice's TABLES and KEY_COLUMN_USAGE rows (untimed)
  $M -e "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'sales'" >"$tmp/names"
  $M -e "SELECT DISTINCT TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS
         WHERE CONSTRAINT_SCHEMA = 'sales'" >"$tmp/fk"
  python3 "$root/tests/bench/mariadb_bound_queries.py" sales "$tmp/names" "$tmp/fk" "$tmp/q" "$SESSIONS" "$slice"
  cli="mariadb --no-defaults -h127.0.0.1 -P$port -ubench -N -B"
  cat >"$tmp/sliced.sh" <<EOF
$cli -e "$plan" >/dev/null
for k in \$(seq 0 $((SESSIONS - 1))); do $cli <$tmp/q.\$k.sql >/dev/null & done
wait
EOF
  names=("floor: limit_mariadb.sh" "required queries, whole database, 1 session"
         "required queries, sliced ($slice tables), $SESSIONS sessions" "connctl extract")
  cmds=("$bench/limit_mariadb.sh 127.0.0.1 $port bench sales"
        "$cli -e \"source $tmp/q.whole.sql\""
        "bash $tmp/sliced.sh"
        "$connctl extract $url --format json")
  for ((r = 0; r < RUNS; r++)); do
    for i in "${!cmds[@]}"; do
      measure "$dir/mariadbd.pid" bash -c "${cmds[i]}" >>"$tmp/r.$size.$i"
    done
  done
  tables=$(wc -l <"$tmp/names")
  echo
  echo "### MariaDB $($M -e 'SELECT version()'), size $size: $tables tables and views, table_open_cache $cache"
  echo
  echo "| what | wall s | x floor | client CPU s | server CPU s |"
  echo "|---|---:|---:|---:|---:|"
  floor=$(cut -d' ' -f1 "$tmp/r.$size.0" | median)
  for i in "${!cmds[@]}"; do
    w=$(cut -d' ' -f1 "$tmp/r.$size.$i" | median)
    c=$(cut -d' ' -f2 "$tmp/r.$size.$i" | median)
    s=$(cut -d' ' -f3 "$tmp/r.$size.$i" | median)
    awk -v n="${names[i]}" -v w="$w" -v f="$floor" -v c="$c" -v s="$s" \
      'BEGIN {printf "| %s | %.2f | %.2f | %.2f | %.2f |\n", n, w, w / f, c, s}'
  done
  ((started)) && "$bench/mariadb_down.sh" "$dir" >/dev/null 2>&1
done
