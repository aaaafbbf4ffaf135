#!/usr/bin/env bash
# npm ci when node_modules is missing or does not match package.json and the
# lockfile (npm ls fails), and a rebuild of better-sqlite3 when it was
# compiled for another Node. Run through scripts/with-node.sh, so both happen
# for the Node that will run the app.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules ]] || ! npm ls --depth=0 >/dev/null 2>&1; then
  npm ci --no-audit --no-fund
fi
if ! node -e "new (require('better-sqlite3'))(':memory:').close()" 2>/dev/null; then
  echo "better-sqlite3 was built for another Node.js; rebuilding it for $(node --version)"
  npm rebuild better-sqlite3
fi
