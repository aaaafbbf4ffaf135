#!/usr/bin/env bash
# Builds dist/ (npm run build) only when something it is built from changed
# since the last build here, so a repeated `npm run crm -- …`, `npm start` or
# `npm run migrate` starts at once. `npm run build` always builds.
#
# "Changed": a file or directory under src/ (an added or deleted file changes
# its directory), or a tsconfig, newer than dist/.build-stamp. The stamp takes
# the time the build started, so a file saved during a build makes the next
# run build again.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=dist/.build-stamp
if [[ -f "$stamp" && -z "$(find src tsconfig.json tsconfig.build.json -newer "$stamp" -print -quit)" ]]; then
  exit 0
fi
mkdir -p dist
touch "$stamp.next"
npm run --silent build
mv "$stamp.next" "$stamp"
