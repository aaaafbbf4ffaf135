#!/usr/bin/env bash
# The first command from a fresh clone: installs (on a Node that package.json
# "engines" accepts, see scripts/with-node.sh) and serves the app on SQLite at
# https://localhost:${PORT:-5000} (npm start: builds, makes a self-signed
# certificate if there is none). Ctrl-C stops it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/with-node.sh" bash "$here/install-if-needed.sh"
exec bash "$here/with-node.sh" npm start
