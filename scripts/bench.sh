#!/usr/bin/env bash
# Benchmarks at scale: builds Yunwei and the load generator in release mode, generates the data
# set (1,000,000 tickets over three years by default) on SQLite and on PostgreSQL, starts
# `yunwei serve` on 127.0.0.1, measures cold start and idle memory, drives it with
# `yunwei-load`, and writes the figures with the machine's facts into docs/benchmarks.md
# (between its bench:begin and bench:end markers; the rest of the file is left as it is).
#
#   bash scripts/bench.sh                 # the whole run, both stores (about an hour on 2 cores)
#   BENCH_TICKETS=100000 bash scripts/bench.sh
#   BENCH_STORES=sqlite BENCH_REUSE=1 bash scripts/bench.sh   # keep the generated data
#   bash scripts/bench.sh --smoke         # a few seconds on a small data set, debug build, no doc
#
# Settings (environment): BENCH_TICKETS, BENCH_STORES ("sqlite postgres"), BENCH_DURATION
# per operation (20s), BENCH_CONCURRENCY (8; a second pass always runs with 1 client), BENCH_REUSE (1: reuse data generated before),
# BENCH_DIR (target/bench), BENCH_PORT (18480). Traffic only goes to 127.0.0.1; every run
# stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1

if [ "$smoke" = 1 ]; then
  tickets=${BENCH_TICKETS:-2000}
  stores=${BENCH_STORES:-sqlite}
  duration=${BENCH_DURATION:-1s}
  dir=${BENCH_DIR:-target/bench-smoke}
  profile=debug
  gen_extra=(--tenants 3 --users-per-tenant 20)
  warmup=0s
  cargo build -q -p yunwei && cargo build -q -p yunwei-load
else
  tickets=${BENCH_TICKETS:-1000000}
  stores=${BENCH_STORES:-sqlite postgres}
  duration=${BENCH_DURATION:-20s}
  dir=${BENCH_DIR:-target/bench}
  profile=release
  gen_extra=()
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

for store in $stores; do
  echo "== $store: $tickets tickets" >&2
  case "$store" in
    sqlite)
      data="$dir/sqlite"
      args=(--data-dir "$data")
      fresh() { rm -rf "$data"; }
      size() { du -sb "$data" | cut -f1; }
      ;;
    postgres)
      bash scripts/ensure-postgres.sh
      db=yunwei_bench$([ "$smoke" = 1 ] && echo _smoke)
      args=(--database-url "postgres://postgres@127.0.0.1:5432/$db")
      psql_q() { psql -h 127.0.0.1 -U postgres -d test -Atqc "$1"; }
      fresh() { psql_q "DROP DATABASE IF EXISTS $db" && psql_q "CREATE DATABASE $db"; }
      size() { psql_q "SELECT pg_database_size('$db')"; }
      ;;
    *) echo "unknown store $store (sqlite or postgres)" >&2; exit 2 ;;
  esac

  gen_secs=reused
  if [ "${BENCH_REUSE:-0}" != 1 ] || [ ! -f "$dir/$store.generated" ] || [ "$(cat "$dir/$store.generated")" != "$tickets" ]; then
    fresh
    start=$(date +%s.%N)
    "$yunwei" generate --tickets "$tickets" "${gen_extra[@]}" "${args[@]}"
    gen_secs=$(awk "BEGIN { print $(date +%s.%N) - $start }")
    echo "$tickets" > "$dir/$store.generated"
  fi
  token=$("$yunwei" token create bench.admin --name bench "${args[@]}")

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
  "$load" "${common[@]}" --concurrency 1 --ops open,queue,search,dashboard,sla_report,breaching_soon \
    --json "$dir/$store-c1.json"
  stop_server

  cat > "$dir/$store.facts.json" <<EOF
{"store": "$store", "tickets": $tickets, "generate_secs": "$gen_secs", "cold_start_ms": $cold_ms,
 "idle_rss_kb": $idle_kb, "store_bytes": $(size)}
EOF
done

if [ "$smoke" = 1 ]; then
  echo "smoke run passed: $dir" >&2
else
  python3 scripts/bench_report.py "$dir" $stores
fi
