#!/usr/bin/env bash
# The whole test suite, from a fresh machine: makes PostgreSQL available, then runs every
# test of every crate (unit, property, store conformance on SQLite and PostgreSQL, API and UI
# tests against a real server, command-line tests against the real binary), a smoke run of the
# benchmark, then the browser tests of the web UI (scripts/e2e.sh; YUNWEI_E2E=0 skips them).
# `cargo test --workspace` alone runs the Rust tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-postgres.sh

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi

# A few seconds of the benchmark on a small generated data set, so the generator, the load
# tool and scripts/bench.sh keep working (YUNWEI_BENCH_SMOKE=0 skips it).
if [ "${YUNWEI_BENCH_SMOKE:-1}" != "0" ]; then
  bash scripts/bench.sh --smoke
fi

if [ "${YUNWEI_E2E:-1}" != "0" ]; then
  bash scripts/e2e.sh
fi
