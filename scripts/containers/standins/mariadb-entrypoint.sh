#!/bin/bash
# Entrypoint of the OFFLINE STAND-IN for the official mysql image (MariaDB from
# Debian). It honours the official image's variables: MYSQL_ROOT_PASSWORD (or
# MYSQL_ALLOW_EMPTY_PASSWORD / MYSQL_RANDOM_ROOT_PASSWORD), MYSQL_DATABASE,
# MYSQL_USER, MYSQL_PASSWORD, and /docker-entrypoint-initdb.d/*.sql|*.sh.
# Like the official image, it initialises an empty /var/lib/mysql with a
# server that listens on the socket only, so a TCP `mysqladmin ping` passes
# only once the real server is up with the users created.
set -euo pipefail

if [ "${1:0:1}" = '-' ]; then
  set -- mysqld "$@"
fi

case "$1" in
  mysqld|mariadbd) ;;
  *) exec "$@" ;;
esac

DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock
mkdir -p /run/mysqld "$DATADIR"
chown mysql:mysql /run/mysqld "$DATADIR"

sql_escape() { printf '%s' "$1" | sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/\\\\'/g"; }

if [ ! -d "$DATADIR/mysql" ]; then
  if [ -z "${MYSQL_ROOT_PASSWORD:-}" ] && [ -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ] && [ -z "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
    echo >&2 'error: database is uninitialized and password option is not specified'
    echo >&2 '  You need to specify one of MYSQL_ROOT_PASSWORD, MYSQL_ALLOW_EMPTY_PASSWORD and MYSQL_RANDOM_ROOT_PASSWORD'
    exit 1
  fi
  if [ -n "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
    MYSQL_ROOT_PASSWORD="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    echo "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
  fi
  echo 'stand-in: initializing database'
  mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db \
    --auth-root-authentication-method=normal >/dev/null
  mariadbd --user=mysql --datadir="$DATADIR" --skip-networking --socket="$SOCKET" &
  pid=$!
  for _ in $(seq 1 60); do
    mariadb-admin --socket="$SOCKET" -uroot ping >/dev/null 2>&1 && break
    sleep 1
  done
  mariadb-admin --socket="$SOCKET" -uroot ping >/dev/null

  rootpw="$(sql_escape "${MYSQL_ROOT_PASSWORD:-}")"
  {
    echo "DELETE FROM mysql.global_priv WHERE User='' OR (User='root' AND Host NOT IN ('localhost'));"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$rootpw';"
    echo "CREATE USER 'root'@'%' IDENTIFIED BY '$rootpw';"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "${MYSQL_DATABASE:-}" ]; then
      echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
    fi
    if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
      echo "CREATE USER '$(sql_escape "$MYSQL_USER")'@'%' IDENTIFIED BY '$(sql_escape "$MYSQL_PASSWORD")';"
      if [ -n "${MYSQL_DATABASE:-}" ]; then
        echo "GRANT ALL ON \`$MYSQL_DATABASE\`.* TO '$(sql_escape "$MYSQL_USER")'@'%';"
      fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --socket="$SOCKET" -uroot

  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)
        echo "stand-in: running $f"
        # shellcheck disable=SC1090 # the init scripts are the user's
        . "$f" ;;
      *.sql) echo "stand-in: running $f"; mariadb --socket="$SOCKET" -uroot -p"${MYSQL_ROOT_PASSWORD:-}" "${MYSQL_DATABASE:-}" < "$f" ;;
      *) echo "stand-in: ignoring $f" ;;
    esac
  done

  kill -TERM "$pid"
  wait "$pid" || true
  echo 'stand-in: init done'
fi

shift
exec mariadbd --user=mysql --datadir="$DATADIR" --socket="$SOCKET" --bind-address=0.0.0.0 --port=3306 "$@"
