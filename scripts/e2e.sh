#!/usr/bin/env bash
# The browser tests (tests/e2e): Playwright (playwright-core from npm) driving Debian's
# Chromium against a real `yunwei serve`, on SQLite and on PostgreSQL. Installs what they need
# when it is missing: Chromium and a CJK font from apt, the npm packages from the committed
# lock file. Playwright never downloads a browser of its own here.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'noto.*cjk'; then
  echo "Installing Chromium and a CJK font from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
command -v node >/dev/null || { echo "node is needed for the browser tests" >&2; exit 1; }

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -d tests/e2e/node_modules/playwright-core ] \
  || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund)
fi

bash scripts/ensure-postgres.sh
cargo build -p yunwei
(cd tests/e2e && YUNWEI_BIN="$PWD/../../target/debug/yunwei" npm test)
