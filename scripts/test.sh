#!/usr/bin/env bash
# The whole test suite, from a fresh machine: makes PostgreSQL available, then runs every
# test of every crate (unit, property, store conformance on SQLite and PostgreSQL, API tests
# against a real server, command-line tests against the real binary).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-postgres.sh

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
