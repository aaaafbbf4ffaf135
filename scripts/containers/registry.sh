#!/usr/bin/env bash
# A throw-away image registry for the push/pull test: Debian's docker-registry
# (distribution 2.8) as a host process on 127.0.0.1:<free port>, with
# htpasswd (bcrypt) authentication, so `docker login` is a real login.
# Basic auth needs TLS, so it serves HTTPS with a self-signed certificate;
# the daemon treats 127.0.0.0/8 as an insecure registry and accepts it.
#
#   scripts/containers/registry.sh start DIR USER PASSWORD   # prints the port
#   scripts/containers/registry.sh stop DIR
#
# Everything (config, htpasswd, certificate, blobs, log, pid) lives in DIR.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

start() {
  local dir="$1" user="$2" password="$3" port
  mkdir -p "$dir/storage"
  port="$(free_port)"
  # bcrypt, as the registry requires; the password goes through stdin.
  printf '%s\n' "$password" | htpasswd -niB "$user" > "$dir/htpasswd" 2>/dev/null \
    || die "htpasswd could not hash the registry password"
  openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  cat > "$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  tls:
    certificate: $dir/cert.pem
    key: $dir/key.pem
auth:
  htpasswd:
    realm: globo-crm-test-registry
    path: $dir/htpasswd
EOF
  setsid docker-registry serve "$dir/config.yml" </dev/null >"$dir/registry.log" 2>&1 &
  echo $! > "$dir/registry.pid"
  for _ in $(seq 1 30); do
    # 401 without credentials: up, and asking for a login.
    if [ "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/v2/" || true)" = 401 ]; then
      echo "$port"
      return 0
    fi
    sleep 0.5
  done
  cat "$dir/registry.log" >&2 || true
  die "docker-registry did not answer on 127.0.0.1:$port"
}

stop() {
  local dir="$1" pid
  pid="$(cat "$dir/registry.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -q registry "/proc/$pid/comm" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do [ -d "/proc/$pid" ] || break; sleep 0.25; done
    if [ -d "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$dir/registry.pid"
}

case "${1:-}" in
  start) [ $# -eq 4 ] || die "usage: $0 start DIR USER PASSWORD"; start "$2" "$3" "$4" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) echo "usage: $0 start DIR USER PASSWORD | stop DIR" >&2; exit 2 ;;
esac
