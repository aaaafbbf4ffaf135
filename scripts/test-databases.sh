#!/usr/bin/env bash
# Makes sure the local MariaDB, PostgreSQL and Redis are running and have the
# crm_test databases the integration tests use. Safe to run repeatedly.
set -euo pipefail

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 30); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "$name did not come up within 30 s" >&2
  return 1
}

if ! mariadb-admin --protocol=tcp -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
  echo "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_for MariaDB mariadb-admin --protocol=tcp -h 127.0.0.1 -u root ping
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  wait_for PostgreSQL pg_isready -h 127.0.0.1 -p 5432 -q
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping
fi

mariadb --protocol=tcp -h 127.0.0.1 -u root -e \
  'CREATE DATABASE IF NOT EXISTS crm_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; CREATE DATABASE IF NOT EXISTS crm_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;'
if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'crm_test'" | grep -x 1 >/dev/null; then
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE crm_test"
fi
echo "MariaDB, PostgreSQL and Redis are up; databases crm_test and crm_bench exist"
