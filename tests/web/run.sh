#!/usr/bin/env bash
# Runs the chat page's browser test (chat_page_test.mjs) for ctest: installs
# playwright-core from the lockfile when needed, then drives Debian's
# Chromium. Without node, npm or Chromium it fails under CI=true and skips
# (exit 77) otherwise, saying why.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

unavailable() {
  if [ "${CI:-}" = true ]; then
    echo "FAILED: $1; CI must run the browser test (scripts/deps.sh test installs it)" >&2
    exit 1
  fi
  echo "SKIPPED: $1 (scripts/deps.sh test installs it; under CI=true this fails)" >&2
  exit 77
}

command -v node >/dev/null || unavailable "node is not installed"
command -v npm >/dev/null || unavailable "npm is not installed"
[ -x /usr/bin/chromium ] || unavailable "/usr/bin/chromium is not installed"

# npm ci only when node_modules is missing or older than the lockfile.
stamp="$here/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$here/package-lock.json" -nt "$stamp" ]; then
  if ! (cd "$here" && timeout 300 npm ci --prefer-offline --no-audit --no-fund >&2); then
    unavailable "npm ci of tests/web (playwright-core) failed"
  fi
fi
exec node "$here/chat_page_test.mjs"
