#!/usr/bin/env bash
# Real replication for one test run: a MariaDB primary and a replica (GTID
# replication, replica read_only) and a PostgreSQL primary and a streaming hot
# standby (pg_basebackup -R), each server with its own data directory in a
# temporary directory and a free port on 127.0.0.1, started before CMD and
# stopped (and their data removed) when it ends, however it ends.
#
#   bash scripts/test-replication.sh run CMD ARGS...
#
# CMD gets (database crm_test, created on the primary and replicated):
#   TEST_MYSQL_PRIMARY_URL, TEST_MYSQL_REPLICA_URL   user crm: every privilege
#     on crm_test and nothing global, so the replica's read_only binds it
#     (MariaDB 10.11's SUPER still carries READ ONLY ADMIN, root's ALL too)
#   TEST_POSTGRES_PRIMARY_URL, TEST_POSTGRES_STANDBY_URL
#   TEST_REPLICATION_CTL   a command: `$TEST_REPLICATION_CTL mysql|postgres OP`
#     pause   stop applying changes (STOP SLAVE SQL_THREAD / pg_wal_replay_pause(),
#             returns once replay is paused); the replica still answers
#     resume  apply again
#     kill    kill -9 the replica / standby (all its processes), returns once gone
#     start   start it again on the same data and port; replication resumes
# Exits with CMD's status. Needs what scripts/test-databases.sh needs plus
# PostgreSQL's pg_basebackup. As root the servers run as the mysql and
# postgres users.
set -euo pipefail

script_name=scripts/test-replication.sh
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/lib/test-servers.sh
source "$here/lib/test-servers.sh"

usage() {
  echo "usage: bash scripts/test-replication.sh run CMD [ARGS...]" >&2
  echo "       bash scripts/test-replication.sh ctl DIR mysql|postgres pause|resume|kill|start" >&2
  exit 2
}

# Small memory, no durability: the tests measure replication, not the disk.
mariadb_common=(--innodb-buffer-pool-size=64M --innodb-log-file-size=16M --binlog-format=ROW)

mariadb_replica_start() { # dir
  mariadb_start "$1" "$(cat "$1/port")" "${mariadb_common[@]}" --server-id=2 --skip-log-bin \
    --relay-log="$1/relay" --read-only=1
}

postgres_settings=(-c shared_buffers=32MB -c max_connections=100 -c max_wal_senders=4)

sql() { # dir of a MariaDB server, statements
  mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$(cat "$1/port")" -u root -e "$2"
}

psql_at() { # dir of a PostgreSQL server, statement
  "$(pg_bin psql)" -h 127.0.0.1 -p "$(cat "$1/port")" -U postgres -d postgres -qtAc "$2"
}

start_mariadb_pair() { # primary dir, replica dir, primary port, replica port
  local primary=$1 replica=$2
  mariadb_install "$primary" --innodb-log-file-size=16M
  # The replica starts from the same freshly installed files: nothing has
  # been written to a binary log yet, so GTID replication from the empty
  # position replays everything the primary does from here on.
  cp -a "$primary" "$replica"
  echo "$4" >"$replica/port"
  mariadb_start "$primary" "$3" "${mariadb_common[@]}" --server-id=1 --log-bin="$primary/binlog" &
  local started=$!
  mariadb_replica_start "$replica"
  wait "$started"
  sql "$primary" "
    CREATE USER repl@'%'; GRANT REPLICATION SLAVE ON *.* TO repl@'%';
    CREATE DATABASE crm_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
    CREATE USER crm@'%'; GRANT ALL PRIVILEGES ON crm_test.* TO crm@'%';"
  sql "$replica" "
    CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$3, MASTER_USER='repl',
      MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
    START SLAVE;"
  local position
  position="$(sql "$primary" 'SELECT @@gtid_binlog_pos' | tail -n1)"
  [[ "$(sql "$replica" "SELECT MASTER_GTID_WAIT('$position', 30)" | tail -n1)" == 0 ]] ||
    { sql "$replica" 'SHOW SLAVE STATUS\G' >&2; die "the MariaDB replica did not catch up within 30 s"; }
}

start_postgres_pair() { # primary dir, standby dir, primary port, standby port
  local primary=$1 standby=$2
  postgres_init "$primary"
  postgres_start "$primary" "$3" "${postgres_settings[@]}"
  psql_at "$primary" 'CREATE DATABASE crm_test'
  mkdir -p "$standby"
  [[ $EUID -ne 0 ]] || chown postgres: "$standby"
  # A replication slot keeps the WAL a killed standby still needs.
  as_user postgres "$(pg_bin pg_basebackup)" -h 127.0.0.1 -p "$3" -U postgres -D "$standby/data" -R \
    --checkpoint=fast --wal-method=stream --no-sync --create-slot --slot=standby >"$standby/basebackup.log" 2>&1 ||
    { cat "$standby/basebackup.log" >&2; die "pg_basebackup failed"; }
  postgres_start "$standby" "$4" "${postgres_settings[@]}" -c hot_standby=on
  [[ "$(psql_at "$standby" 'SELECT pg_is_in_recovery()')" == t ]] || die "the PostgreSQL standby is not in recovery"
}

# Kills a process and its direct children with SIGKILL and waits until they are gone.
kill_hard() { # pid
  local pids
  pids="$1 $(pgrep -P "$1" | tr '\n' ' ' || true)"
  # shellcheck disable=SC2086 # a list of pids
  kill -9 $pids 2>/dev/null || true
  local pid running
  for _ in $(seq 1 100); do
    running=0
    for pid in $pids; do process_alive "$pid" && running=1; done
    [[ $running -eq 1 ]] || return 0
    sleep 0.1
  done
  die "processes $pids still run after SIGKILL"
}

ctl() { # state dir, mysql|postgres, operation
  local dir=$1 engine=$2 op=$3
  case "$engine:$op" in
    mysql:pause) sql "$dir/mysql-replica" 'STOP SLAVE SQL_THREAD' ;;
    mysql:resume) sql "$dir/mysql-replica" 'START SLAVE SQL_THREAD' ;;
    mysql:kill) kill_hard "$(cat "$dir/mysql-replica/mysqld.pid")" ;;
    mysql:start)
      ! sql "$dir/mysql-replica" 'SELECT 1' >/dev/null 2>&1 || die "the MariaDB replica is already running"
      mariadb_replica_start "$dir/mysql-replica"
      ;;
    postgres:pause)
      psql_at "$dir/postgres-standby" 'SELECT pg_wal_replay_pause()' >/dev/null
      for _ in $(seq 1 100); do
        [[ "$(psql_at "$dir/postgres-standby" 'SELECT pg_get_wal_replay_pause_state()')" == paused ]] && return 0
        sleep 0.1
      done
      die "the standby's replay did not pause within 10 s"
      ;;
    postgres:resume) psql_at "$dir/postgres-standby" 'SELECT pg_wal_replay_resume()' >/dev/null ;;
    postgres:kill)
      kill_hard "$(head -n1 "$dir/postgres-standby/data/postmaster.pid")"
      # Its pid may still be a zombie that init has not reaped, which
      # PostgreSQL's check of a leftover lock file takes for a live postmaster:
      # the data directory's lock and the socket's (.s.PGSQL.PORT.lock) both.
      rm -f "$dir/postgres-standby/data/postmaster.pid" "$dir"/postgres-standby/.s.PGSQL.*
      ;;
    postgres:start)
      ! psql_at "$dir/postgres-standby" 'SELECT 1' >/dev/null 2>&1 || die "the PostgreSQL standby is already running"
      postgres_start "$dir/postgres-standby" "$(cat "$dir/postgres-standby/port")" "${postgres_settings[@]}" -c hot_standby=on
      ;;
    *) usage ;;
  esac
}

case "${1:-}" in
  ctl)
    [[ $# -eq 4 ]] || usage
    ctl "$2" "$3" "$4"
    exit 0
    ;;
  run) [[ $# -ge 2 ]] || usage ;;
  *) usage ;;
esac
shift

started=$SECONDS
run_dir crm-test-replication
read -r my_primary my_replica pg_primary pg_standby <<<"$(free_ports 4)"
stoppers+=("stop_pidfile '$tmp/mysql-replica/mysqld.pid'" "stop_pidfile '$tmp/mysql-primary/mysqld.pid'"
  "postgres_stop '$tmp/postgres-standby'" "postgres_stop '$tmp/postgres-primary'")

# The two pairs start side by side: most of the time is spent waiting on servers.
start_mariadb_pair "$tmp/mysql-primary" "$tmp/mysql-replica" "$my_primary" "$my_replica" &
mariadb_started=$!
start_postgres_pair "$tmp/postgres-primary" "$tmp/postgres-standby" "$pg_primary" "$pg_standby"
wait "$mariadb_started"

printf '#!/usr/bin/env bash\nexec bash %q ctl %q "$@"\n' "$here/test-replication.sh" "$tmp" >"$tmp/ctl"
chmod 755 "$tmp/ctl"
export TEST_MYSQL_PRIMARY_URL="mysql://crm@127.0.0.1:$my_primary/crm_test"
export TEST_MYSQL_REPLICA_URL="mysql://crm@127.0.0.1:$my_replica/crm_test"
export TEST_POSTGRES_PRIMARY_URL="postgres://postgres@127.0.0.1:$pg_primary/crm_test"
export TEST_POSTGRES_STANDBY_URL="postgres://postgres@127.0.0.1:$pg_standby/crm_test"
export TEST_REPLICATION_CTL="$tmp/ctl"
echo "replication servers ready in $((SECONDS - started)) s: MariaDB $my_primary → $my_replica, PostgreSQL $pg_primary → $pg_standby"

status=0
"$@" || status=$?
exit "$status"
