#!/usr/bin/env bash
# npm audit of the production dependencies, failing on high or critical
# advisories. Where the registry has no audit endpoint (this offline
# machine's mirror answers 405), it says so and does not fail.
set -uo pipefail
out=$(npm audit --omit=dev --audit-level=high 2>&1)
rc=$?
echo "$out"
if (( rc == 0 )); then exit 0; fi
if grep -qE 'audit endpoint returned an error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|405 Method Not Allowed' <<<"$out"; then
  echo "npm audit: the registry did not answer the audit request; skipped (not a finding)" >&2
  exit 0
fi
exit "$rc"
