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

script_name=scripts/test-databases.sh
# shellcheck source=scripts/lib/test-servers.sh
source "$(dirname "$0")/lib/test-servers.sh"

run_dir crm-test-servers

start_mariadb() {
  local dir="$tmp/mariadb" port
  mariadb_install "$dir"
  port="$(free_port)"
  stoppers+=("stop_pidfile '$dir/mysqld.pid'")
  mariadb_start "$dir" "$port" --innodb-buffer-pool-size=128M --skip-log-bin
  mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$port" -u root -e \
    'CREATE DATABASE crm_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin'
  export TEST_MYSQL_URL="mysql://root@127.0.0.1:$port/crm_test"
}

start_postgres() {
  local dir="$tmp/postgres" port
  postgres_init "$dir"
  port="$(free_port)"
  stoppers+=("postgres_stop '$dir'")
  postgres_start "$dir" "$port" -c max_connections=300
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
