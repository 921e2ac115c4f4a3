#!/usr/bin/env bash
# Benchmarks at scale: builds Yunwei and the load generator in release mode, generates the data
# set (1,000,000 tickets over three years, 100,000 CIs and 500,000 relationships by default) on
# SQLite and on PostgreSQL, starts
# `yunwei serve` on 127.0.0.1, measures cold start and idle memory, drives it with
# `yunwei-load`, and writes the figures with the machine's facts into docs/benchmarks.md
# (between its bench:begin and bench:end markers; the rest of the file is left as it is).
#
#   bash scripts/bench.sh                 # the whole run, both stores (about an hour on 2 cores)
#   BENCH_TICKETS=100000 bash scripts/bench.sh
#   BENCH_STORES=sqlite BENCH_REUSE=1 bash scripts/bench.sh   # keep the generated data
#   bash scripts/bench.sh --generate-only   # only generate (then measure with BENCH_REUSE=1)
#   bash scripts/bench.sh --smoke         # a few seconds on a small data set, debug build, no doc
#
# After the load, `yunwei import cis` loads a CSV of BENCH_IMPORT_ROWS (100,000) new servers
# into a copy of the data (so the data set stays as generated), then the same file again (every
# row unchanged).
#
# Settings (environment): BENCH_TICKETS, BENCH_STORES ("sqlite postgres"), BENCH_DURATION
# per operation (20s), BENCH_CONCURRENCY (8; a second pass always runs with 1 client), BENCH_REUSE (1: reuse data generated before),
# BENCH_DIR (target/bench), BENCH_PORT (18480). Traffic only goes to 127.0.0.1; every run
# stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0
generate_only=0
[ "${1:-}" = "--smoke" ] && smoke=1
[ "${1:-}" = "--generate-only" ] && generate_only=1

if [ "$smoke" = 1 ]; then
  tickets=${BENCH_TICKETS:-2000}
  stores=${BENCH_STORES:-sqlite}
  duration=${BENCH_DURATION:-1s}
  dir=${BENCH_DIR:-target/bench-smoke}
  profile=debug
  gen_extra=(--tenants 3 --users-per-tenant 20 --cis 3000 --relationships 15000)
  import_rows=${BENCH_IMPORT_ROWS:-500}
  warmup=0s
  cargo build -q -p yunwei && cargo build -q -p yunwei-load
else
  tickets=${BENCH_TICKETS:-1000000}
  stores=${BENCH_STORES:-sqlite postgres}
  duration=${BENCH_DURATION:-20s}
  dir=${BENCH_DIR:-target/bench}
  profile=release
  gen_extra=()
  import_rows=${BENCH_IMPORT_ROWS:-100000}
  warmup=2s
  # One package at a time, so each is built with its own features, as a user builds it.
  cargo build --release -p yunwei && cargo build --release -p yunwei-load
fi
concurrency=${BENCH_CONCURRENCY:-8}
port=${BENCH_PORT:-18480}
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
yunwei="$target_dir/$profile/yunwei"
load="$target_dir/$profile/yunwei-load"
mkdir -p "$dir"

server_pid=
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=
}
trap stop_server EXIT

open_sql="SELECT COUNT(*) FROM tickets WHERE status NOT IN ('resolved', 'closed', 'cancelled')"
open_tickets() { count_sql "$open_sql"; }
cis_count() { count_sql "SELECT COUNT(*) FROM cis"; }
rels_count() { count_sql "SELECT COUNT(*) FROM ci_relations"; }
for store in $stores; do
  echo "== $store: $tickets tickets" >&2
  case "$store" in
    sqlite)
      data="$dir/sqlite"
      args=(--data-dir "$data")
      fresh() { rm -rf "$data"; }
      copy_args=(--data-dir "$data-import")
      copy() { rm -rf "$data-import" && cp -r "$data" "$data-import"; }
      drop_copy() { rm -rf "$data-import"; }
      size() { du -sb "$data" | cut -f1; }
      settle() { :; }
      count_sql() {
        python3 -c 'import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(db.execute(sys.argv[2]).fetchone()[0])' "$data/yunwei.db" "$1"
      }
      ;;
    postgres)
      bash scripts/ensure-postgres.sh
      db=yunwei_bench
      if [ "$smoke" = 1 ]; then db=yunwei_bench_smoke; fi
      args=(--database-url "postgres://postgres@127.0.0.1:5432/$db")
      psql_q() { psql -h 127.0.0.1 -U postgres -d test -Atqc "$1"; }
      fresh() { psql_q "DROP DATABASE IF EXISTS $db" && psql_q "CREATE DATABASE $db"; }
      copy_args=(--database-url "postgres://postgres@127.0.0.1:5432/${db}_import")
      copy() { psql_q "DROP DATABASE IF EXISTS ${db}_import" && psql_q "CREATE DATABASE ${db}_import TEMPLATE $db"; }
      drop_copy() { psql_q "DROP DATABASE IF EXISTS ${db}_import"; }
      size() { psql_q "SELECT pg_database_size('$db')"; }
      count_sql() { psql -h 127.0.0.1 -U postgres -d "$db" -Atqc "$1"; }
      # What autovacuum does for a running installation soon after a bulk load (this
      # machine's PostgreSQL runs with it off): without it no index-only scan is possible,
      # and a core switch's relationships took 6.8 ms to read instead of 1.6 ms.
      settle() { psql -h 127.0.0.1 -U postgres -d "$db" -qc "VACUUM (ANALYZE)"; }
      ;;
    *) echo "unknown store $store (sqlite or postgres)" >&2; exit 2 ;;
  esac

  if [ "${BENCH_REUSE:-0}" != 1 ] || [ ! -f "$dir/$store.generated" ] || [ "$(cat "$dir/$store.generated")" != "$tickets" ]; then
    fresh
    start=$(date +%s.%N)
    "$yunwei" generate --tickets "$tickets" "${gen_extra[@]}" "${args[@]}"
    awk "BEGIN { print $(date +%s.%N) - $start }" > "$dir/$store.generate_secs"
    echo "$tickets" > "$dir/$store.generated"
  fi
  # The generation time of the data measured, even when it was generated by an earlier run.
  gen_secs=$(cat "$dir/$store.generate_secs" 2>/dev/null || echo unknown)
  [ "$generate_only" = 1 ] && continue
  token=$("$yunwei" token create bench.admin --name bench "${args[@]}")
  settle

  # Cold start: from exec to the first answer of /healthz.
  start=$(date +%s%N)
  RUST_LOG=warn "$yunwei" serve --listen "127.0.0.1:$port" "${args[@]}" 2>"$dir/$store-server.log" &
  server_pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$dir/$store-server.log" >&2; exit 1; }
    sleep 0.005
  done
  cold_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  sleep 3
  idle_kb=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")

  common=(--url "http://127.0.0.1:$port" --token "$token" --duration "$duration" --warmup "$warmup"
    --ui-login bench.admin --ui-password bench-pass --server-pid "$server_pid")
  [ "$smoke" = 1 ] && common+=(--fail-on-errors)
  # Throughput and latency under load, then latency of one client alone.
  "$load" "${common[@]}" --concurrency "$concurrency" --json "$dir/$store.json"
  "$load" "${common[@]}" --concurrency 1 --ops open,queue,search,dashboard,sla_report,breaching_soon,impact,ci \
    --json "$dir/$store-c1.json"
  # The SLA escalation scans that ran through both loads, as the server counted them.
  metrics=$(curl -sf "http://127.0.0.1:$port/metrics")
  metric() { awk -v k="$1" '$1 == k { print $2 }' <<<"$metrics"; }
  scans=$(metric yunwei_sla_scan_duration_seconds_count)
  scan_mean_ms=$(awk -v s="$(metric yunwei_sla_scan_duration_seconds_sum)" -v n="$scans" 'BEGIN { print (n > 0 ? 1000 * s / n : 0) }')
  scan_max_ms=$(awk -v m="$(metric yunwei_sla_scan_duration_max_seconds)" 'BEGIN { print 1000 * m }')
  fired=$(metric yunwei_sla_thresholds_fired_total)
  scans=${scans:-0} fired=${fired:-0}
  # No scan counted: no figure (the report shows "–"), not a mean of nothing.
  [ "$scans" = 0 ] && scan_mean_ms=null scan_max_ms=null
  stop_server

  # Import: new servers from a CSV into a copy of the data, then the same file again.
  import_tenant=$(count_sql "SELECT code FROM tenants WHERE kind <> 'provider' ORDER BY id LIMIT 1")
  python3 - "$import_rows" > "$dir/import.csv" <<'PY'
import sys
print("class,name,status,serial_number,hostname,ip_addresses,os,os_version,cpu_cores,memory_gb,vendor,model,rack")
for i in range(int(sys.argv[1])):
    print(f"server,Imported server {i:06d},in_service,IMP-{i:08d},imp-{i:06d}.example.cn,"
          f"10.{100 + i // 65536}.{i // 256 % 256}.{i % 256},linux,8.{i % 10},{8 << (i % 3)},{16 << (i % 4)},"
          f"Inspur,NF5280M{5 + i % 2},R{i % 40:02d}-U{i % 42:02d}")
PY
  copy
  import_secs=() import_out=()
  for pass in insert unchanged; do
    start=$(date +%s.%N)
    "$yunwei" import cis "$dir/import.csv" --tenant "$import_tenant" "${copy_args[@]}" >"$dir/$store-import-$pass.log" 2>&1 ||
      { cat "$dir/$store-import-$pass.log" >&2; exit 1; }
    import_secs+=("$(awk "BEGIN { print $(date +%s.%N) - $start }")")
    import_out+=("$(tail -n 3 "$dir/$store-import-$pass.log" | tr '\n"' '  ')")
  done
  drop_copy
  echo "import of $import_rows rows: ${import_secs[0]} s, again unchanged: ${import_secs[1]} s" >&2

  cat > "$dir/$store.facts.json" <<EOF
{"store": "$store", "tickets": $tickets, "cis": $(cis_count), "relationships": $(rels_count), "generate_secs": "$gen_secs", "cold_start_ms": $cold_ms,
 "idle_rss_kb": $idle_kb, "store_bytes": $(size), "open_tickets": $(open_tickets), "sla_scans": $scans,
 "sla_scan_ms_mean": $scan_mean_ms, "sla_scan_ms_max": $scan_max_ms, "sla_fired": $fired,
 "import_rows": $import_rows, "import_secs": ${import_secs[0]}, "import_again_secs": ${import_secs[1]},
 "import_said": "${import_out[0]}", "import_again_said": "${import_out[1]}"}
EOF
done

if [ "$generate_only" = 1 ]; then
  echo "generated: $dir (measure with BENCH_REUSE=1)" >&2
elif [ "$smoke" = 1 ]; then
  echo "smoke run passed: $dir" >&2
else
  python3 scripts/bench_report.py "$dir" $stores
fi
