#!/usr/bin/env bash
# The local regression run before a push: static analysis, unit and
# integration tests, the app itself over HTTPS with the system tests, then
# the same system tests against the container image under docker compose.
#
# The container stage (npm run test:containers: image, docker compose + the
# system suite, push/pull through a local registry) needs root; without root,
# set QUICK_SKIP_CONTAINERS=1 to skip it (quick.sh refuses to start otherwise).
# The app is started on ${PORT:-5000}; quick.sh refuses to start when
# something already answers there, so the system tests cannot pass against a
# stale server.
set -euo pipefail
cd "$(dirname "$0")"

port="${PORT:-5000}"
base_url="https://localhost:$port"

if [[ -z "${QUICK_SKIP_CONTAINERS:-}" && $EUID -ne 0 ]]; then
  echo "quick.sh: the container stage needs root; run as root, or set QUICK_SKIP_CONTAINERS=1 to skip it" >&2
  exit 1
fi

# Refuses when something accepts connections on localhost:PORT (IPv4 or IPv6):
# the system tests would pass against it while the server started here dies
# with EADDRINUSE. Checked now (fail fast) and again just before the start.
refuse_if_port_taken() {
  local host
  for host in 127.0.0.1 ::1; do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
      echo "quick.sh: something already answers on localhost:$port (a server left running?); stop it, or run with PORT=<a free port>" >&2
      exit 1
    fi
  done
}
refuse_if_port_taken

echo "== lint and static analysis"
npm run lint
bash scripts/audit.sh

echo "== unit and integration tests"
npm run test:unit
npm run test:integration

echo "== start the app on port $port"
refuse_if_port_taken
[[ -f ssl/cert.pem ]] || ./make_cert.sh
npm run build
log=$(mktemp)
PORT="$port" node dist/server.js >"$log" 2>&1 &
app=$!
trap 'kill "$app" 2>/dev/null || true; wait "$app" 2>/dev/null || true; rm -f "$log"' EXIT
# With the PID, wait_for_https.sh gives up as soon as the server dies.
if ! CRM_BASE_URL="$base_url" ./wait_for_https.sh 60 "$app"; then
  echo "quick.sh: the server did not come up; its log:" >&2
  cat "$log" >&2
  exit 1
fi
# What answered must be the server started here: a stale one that took the
# port in the meantime answers at once while ours dies with EADDRINUSE a
# moment later. With ss (iproute2), wait until our PID holds the listening
# socket; without it, give the new process a few seconds to fail.
ours_listens() { ss -Hltnp "sport = :$port" 2>/dev/null | grep -q "pid=$app,"; }
for _ in $(seq 1 20); do
  if ! kill -0 "$app" 2>/dev/null; then break; fi
  if command -v ss >/dev/null; then ours_listens && break; fi
  sleep 0.5
done
if ! kill -0 "$app" 2>/dev/null; then
  echo "quick.sh: the server it started (PID $app) is no longer running, so what answered on port $port was not it; its log:" >&2
  cat "$log" >&2
  exit 1
fi
if command -v ss >/dev/null && ! ours_listens; then
  echo "quick.sh: the server it started (PID $app) does not hold port $port; something else answers there. Its log:" >&2
  cat "$log" >&2
  exit 1
fi

echo "== system tests against $base_url"
CRM_BASE_URL="$base_url" CRM_CA_FILE=ssl/cert.pem npm run test:system
if ! kill -0 "$app" 2>/dev/null; then
  echo "quick.sh: the server (PID $app) died during the system tests; its log:" >&2
  cat "$log" >&2
  exit 1
fi
kill "$app" 2>/dev/null || true

# The container stages: image, docker compose + the system suite against it,
# push to a local registry and pull back (needs root; QUICK_SKIP_CONTAINERS=1 skips).
if [[ -z "${QUICK_SKIP_CONTAINERS:-}" ]]; then
  echo "== containers"
  npm run test:containers
else
  echo "== containers: skipped (QUICK_SKIP_CONTAINERS is set)"
fi
echo "quick.sh: all stages passed"
