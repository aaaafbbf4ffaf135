#!/usr/bin/env bash
# Init script of compose's `replica` service (profile "replica"; mounted into
# /docker-entrypoint-initdb.d, so it runs once, when the replica's data
# directory is first made, inside the image's init with networking off).
# It copies the application database from the primary `db` with its GTID
# position and makes this server a GTID replica of it; the server then starts
# replicating on its real start, read-only.
#
# The image is db's (`${DB_IMAGE:-mysql:8.4}`): MySQL 8.4, or MariaDB (the
# offline stand-in of scripts/containers), whose replication statements differ.
# Replicates as root over the compose network: a development profile, not a
# production replica (use the provider's replicas there: k8s/README.md).
set -euo pipefail

: "${MYSQL_ROOT_PASSWORD:?}" "${MYSQL_DATABASE:?}"
primary=db

# This server during init: its socket (the entrypoint's SOCKET, else the default).
local_sql() {
  if command -v mariadb >/dev/null 2>&1; then
    mariadb ${SOCKET:+--socket="$SOCKET"} -uroot -p"$MYSQL_ROOT_PASSWORD" "$@"
  else
    mysql ${SOCKET:+--socket="$SOCKET"} -uroot -p"$MYSQL_ROOT_PASSWORD" "$@"
  fi
}

echo "replica-init: waiting for $primary"
for _ in $(seq 1 60); do
  if mysqladmin -h "$primary" -uroot -p"$MYSQL_ROOT_PASSWORD" --silent ping >/dev/null 2>&1; then break; fi
  sleep 2
done

if command -v mariadb-dump >/dev/null 2>&1; then
  # MariaDB: --gtid --master-data=1 writes SET GLOBAL gtid_slave_pos to the dump's position.
  mariadb-dump -h "$primary" -uroot -p"$MYSQL_ROOT_PASSWORD" --single-transaction --gtid --master-data=1 \
    --routines --triggers --databases "$MYSQL_DATABASE" | local_sql
  local_sql -e "CHANGE MASTER TO MASTER_HOST='$primary', MASTER_USER='root', MASTER_PASSWORD='$MYSQL_ROOT_PASSWORD', MASTER_USE_GTID=slave_pos"
else
  # MySQL: --set-gtid-purged=ON adds the primary's executed GTIDs to this server's purged set.
  mysqldump -h "$primary" -uroot -p"$MYSQL_ROOT_PASSWORD" --single-transaction --set-gtid-purged=ON \
    --routines --triggers --databases "$MYSQL_DATABASE" | local_sql
  local_sql -e "CHANGE REPLICATION SOURCE TO SOURCE_HOST='$primary', SOURCE_USER='root', SOURCE_PASSWORD='$MYSQL_ROOT_PASSWORD', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1"
fi
echo "replica-init: a replica of $primary from the copy's GTID position; replication starts with the server"
