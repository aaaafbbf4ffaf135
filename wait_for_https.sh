#!/usr/bin/env bash
# Waits up to N seconds for the app to answer HTTPS, printing progress.
# Usage: ./wait_for_https.sh N [PID]   (target: $CRM_BASE_URL, default https://localhost:${PORT:-5000})
# With PID (the server's process), it gives up as soon as that process has exited.
# Exits 0 once it answers, 1 on timeout or when PID has exited, 2 on bad usage.
set -uo pipefail

limit="${1:-}"
pid="${2:-}"
if ! [[ "$limit" =~ ^[0-9]+$ ]] || ! [[ "$pid" =~ ^[0-9]*$ ]]; then
  echo "usage: $0 SECONDS [PID]" >&2
  exit 2
fi
url="${CRM_BASE_URL:-https://localhost:${PORT:-5000}}"
url="${url%/}/healthz"

start=$SECONDS
while (( SECONDS - start < limit )); do
  if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
    echo "process $pid has exited; $url will not come up" >&2
    exit 1
  fi
  # -k: the certificate is self-signed; we only ask whether HTTPS answers.
  if code=$(curl -ks -o /dev/null -w '%{http_code}' --max-time 3 "$url") && [[ "$code" == 2* ]]; then
    echo "HTTPS is up at $url after $((SECONDS - start))s"
    exit 0
  fi
  echo "waiting for $url ... $((SECONDS - start))/${limit}s"
  sleep 1
done
echo "timed out after ${limit}s waiting for $url" >&2
exit 1
