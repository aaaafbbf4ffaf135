#!/usr/bin/env bash
# npm ci when node_modules is missing or older than package-lock.json, and a
# rebuild of better-sqlite3 when it was compiled for another Node. Run through
# scripts/with-node.sh, so both happen for the Node that will run the app.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
if ! node -e "new (require('better-sqlite3'))(':memory:').close()" 2>/dev/null; then
  echo "better-sqlite3 was built for another Node.js; rebuilding it for $(node --version)"
  npm rebuild better-sqlite3
fi
