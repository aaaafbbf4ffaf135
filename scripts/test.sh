#!/usr/bin/env bash
# The second command: installs as scripts/start.sh does, starts private
# MariaDB, PostgreSQL and Redis servers for this run (scripts/test-databases.sh:
# own data directories in a temporary directory, free ports, stopped and
# removed at the end) and a replicated MariaDB and PostgreSQL pair
# (scripts/test-replication.sh), then runs the tests against them.
#
#   bash scripts/test.sh              every suite (npm test)
#   bash scripts/test.sh test:quick   unit and integration only (npm run test:quick)
#   bash scripts/test.sh test:unit    any other npm test script
#
# A TEST_MYSQL_URL, TEST_POSTGRES_URL or TEST_REDIS_URL already set is used
# as it is, and that server is not started.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/with-node.sh" bash "$here/install-if-needed.sh"
exec bash "$here/with-node.sh" bash "$here/test-databases.sh" run bash "$here/test-replication.sh" run npm run "${1:-test}"
