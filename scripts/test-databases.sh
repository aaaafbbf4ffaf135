#!/usr/bin/env bash
# Private database servers for one test run: MariaDB, PostgreSQL and Redis,
# each with its own data directory in a temporary directory and a free port
# on 127.0.0.1, started before CMD and stopped (and their data removed) when
# it ends, however it ends. A server the user already runs is never touched.
#
#   bash scripts/test-databases.sh run CMD ARGS...
#
# CMD gets TEST_MYSQL_URL, TEST_POSTGRES_URL and TEST_REDIS_URL (database
# crm_test on the first two); one already set is kept and its server is not
# started. Exits with CMD's status. Needs mariadbd + mariadb-install-db,
# PostgreSQL's initdb/pg_ctl (Debian: /usr/lib/postgresql/*/bin) and
# redis-server. As root the servers run as the mysql and postgres users
# (PostgreSQL refuses root). The server logs are printed when one fails to start.
set -euo pipefail

usage() {
  echo "usage: bash scripts/test-databases.sh run CMD [ARGS...]" >&2
  exit 2
}
[[ "${1:-}" == run && $# -ge 2 ]] || usage
shift

die() {
  echo "scripts/test-databases.sh: $*" >&2
  exit 1
}

# A port nothing listens on right now (the kernel's choice for port 0).
free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

wait_for() { # what, log file, command...
  local what=$1 log=$2
  shift 2
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "scripts/test-databases.sh: $what did not answer within 60 s; its log:" >&2
  cat "$log" >&2 || true
  return 1
}

# As root, a server runs as its own system user; otherwise as whoever runs this.
as_user() { # user, command...
  local user=$1
  shift
  if [[ $EUID -eq 0 ]]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

pg_bin() {
  local found
  found="$(command -v "$1" 2>/dev/null || true)"
  [[ -n "$found" ]] || found="$(printf '%s\n' /usr/lib/postgresql/*/bin/"$1" | sort -V | tail -n1)"
  [[ -x "$found" ]] || found=""
  [[ -n "$found" ]] || die "PostgreSQL's $1 is not installed (Debian: apt-get install -y postgresql)"
  echo "$found"
}

tmp="$(mktemp -d "${TMPDIR:-/tmp}/crm-test-servers.XXXXXX")"
chmod 755 "$tmp" # the mysql and postgres users must reach their directories
stoppers=()

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  local stop
  for stop in "${stoppers[@]}"; do eval "$stop" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_mariadb() {
  local dir="$tmp/mariadb" port user=()
  command -v mariadbd >/dev/null 2>&1 || [[ -x /usr/sbin/mariadbd ]] || die "mariadbd is not installed (Debian: apt-get install -y mariadb-server)"
  local mariadbd
  mariadbd="$(command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd)"
  mkdir -p "$dir"
  if [[ $EUID -eq 0 ]]; then chown mysql: "$dir"; user=(--user=mysql); fi
  mariadb-install-db --no-defaults --datadir="$dir/data" "${user[@]}" --auth-root-authentication-method=normal \
    --skip-test-db >"$tmp/mariadb-install.log" 2>&1 || { cat "$tmp/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
  port="$(free_port)"
  # Durability is not what these tests measure: no flush per commit, no binary log.
  "$mariadbd" --no-defaults --datadir="$dir/data" "${user[@]}" --port="$port" --bind-address=127.0.0.1 \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci --innodb-buffer-pool-size=128M \
    --innodb-flush-log-at-trx-commit=0 --skip-log-bin --max-connections=500 >"$dir/console.log" 2>&1 &
  local pid=$!
  stoppers+=("kill $pid; wait $pid")
  wait_for MariaDB "$dir/error.log" mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$port" -u root ping
  mariadb --protocol=tcp -h 127.0.0.1 -P "$port" -u root -e \
    'CREATE DATABASE crm_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin'
  export TEST_MYSQL_URL="mysql://root@127.0.0.1:$port/crm_test"
}

start_postgres() {
  local dir="$tmp/postgres" port initdb pg_ctl
  initdb="$(pg_bin initdb)"
  pg_ctl="$(pg_bin pg_ctl)"
  mkdir -p "$dir"
  [[ $EUID -ne 0 ]] || chown postgres: "$dir"
  as_user postgres "$initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$tmp/initdb.log" 2>&1 ||
    { cat "$tmp/initdb.log" >&2; die "initdb failed"; }
  port="$(free_port)"
  as_user postgres "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    >/dev/null || { cat "$dir/server.log" >&2; die "PostgreSQL did not start"; }
  stoppers+=("as_user postgres '$pg_ctl' -D '$dir/data' -m immediate stop")
  "$(pg_bin psql)" -h 127.0.0.1 -p "$port" -U postgres -qc 'CREATE DATABASE crm_test' >/dev/null
  export TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/crm_test"
}

start_redis() {
  local port
  command -v redis-server >/dev/null 2>&1 || die "redis-server is not installed (Debian: apt-get install -y redis-server)"
  port="$(free_port)"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" --logfile "$tmp/redis.log" >/dev/null 2>&1 &
  local pid=$!
  stoppers+=("kill $pid; wait $pid")
  wait_for Redis "$tmp/redis.log" redis-cli -h 127.0.0.1 -p "$port" ping
  export TEST_REDIS_URL="redis://127.0.0.1:$port"
}

started=$SECONDS
[[ -n "${TEST_MYSQL_URL:-}" ]] || start_mariadb
[[ -n "${TEST_POSTGRES_URL:-}" ]] || start_postgres
[[ -n "${TEST_REDIS_URL:-}" ]] || start_redis
echo "test servers ready in $((SECONDS - started)) s: ${TEST_MYSQL_URL:-} ${TEST_POSTGRES_URL:-} ${TEST_REDIS_URL:-}"

status=0
"$@" || status=$?
exit "$status"
