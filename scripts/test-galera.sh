#!/usr/bin/env bash
# A private three-node MariaDB Galera cluster for one test run, on 127.0.0.1:
# each node has its own data directory in a temporary directory and free
# ports for MySQL, group communication (gcomm), IST and SST. The first node
# bootstraps the cluster (--wsrep-new-cluster), the other two join it from a
# copy of its data (rsync SST when a node needs a whole copy); once all three are Synced in a cluster of three, crm_test is created
# and CMD runs. The nodes are stopped and their data removed when CMD ends,
# however it ends.
#
#   bash scripts/test-galera.sh run CMD ARGS...
#
# CMD gets TEST_GALERA_URLS (the three nodes' mysql:// URLs, comma-separated,
# node 1 first) and TEST_GALERA_CTL, an executable that controls one node:
#
#   "$TEST_GALERA_CTL" kill N     kill -9 node N (1-3) and wait until it is gone
#   "$TEST_GALERA_CTL" start N    start node N again (its position recovered
#                                 from InnoDB, so it catches up by IST) and
#                                 wait until it is Synced
#   "$TEST_GALERA_CTL" status     one line per node: its state, or "down"
#
# Needs mariadbd + mariadb-install-db, Debian's galera-4
# (/usr/lib/galera/libgalera_smm.so) and rsync (the SST method). As root the
# nodes run as the mysql user. A node's log is printed when it fails to start.
set -euo pipefail

script_name=scripts/test-galera.sh
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/lib/test-servers.sh
source "$here/lib/test-servers.sh"
PROVIDER="${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}"
NODES=(1 2 3)

usage() {
  echo "usage: bash scripts/test-galera.sh run CMD [ARGS...]" >&2
  exit 2
}

sql() { # node, statement
  local port
  port="$(node_var "$1" port)"
  mariadb --protocol=tcp -h 127.0.0.1 -P "$port" -u root -N -B -e "$2"
}

node_var() { # node, name: a value saved in the node's settings
  sed -n "s/^$2=//p" "$dir/node$1/settings"
}

status_of() { # node, variable: the value of a wsrep status variable
  sql "$1" "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2
}

# Node N's mariadbd command line, in the array `command`; extra arguments
# are appended (--wsrep-new-cluster, --wsrep-start-position=...).
node_command() { # node, extra args...
  local n=$1
  shift
  local nd="$dir/node$n" user=()
  [[ $EUID -ne 0 ]] || user=(--user=mysql)
  # Durability on disk is not what these tests measure (no flush per
  # commit); a committed write is on every node's memory before the commit
  # returns, which is what they do measure. Galera needs row-based events,
  # InnoDB and interleaved auto-increment locks. The group's timeouts are
  # shortened so that a killed node leaves the view within seconds.
  command=("$(mariadbd_bin)" --no-defaults --datadir="$nd/data" "${user[@]}"
    --port="$(node_var "$n" port)" --bind-address=127.0.0.1 --socket="$nd/mysqld.sock"
    --pid-file="$nd/mysqld.pid" --log-error="$nd/error.log" --tmpdir="$nd/tmp" --skip-name-resolve
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci
    --innodb-buffer-pool-size=64M --innodb-log-file-size=48M --innodb-flush-log-at-trx-commit=0
    --max-connections=300 --skip-log-bin --binlog-format=ROW --default-storage-engine=InnoDB
    --innodb-autoinc-lock-mode=2
    --wsrep-on=ON --wsrep-provider="$PROVIDER" --wsrep-cluster-name="$(cat "$dir/cluster-name")"
    --wsrep-cluster-address="gcomm://$(cat "$dir/cluster-peers")" --wsrep-node-name="node$n"
    --wsrep-node-address="127.0.0.1:$(node_var "$n" gcomm)"
    --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:$(node_var "$n" sst)"
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$(node_var "$n" gcomm);ist.recv_addr=127.0.0.1:$(node_var "$n" ist);gcache.size=64M;evs.keepalive_period=PT0.5S;evs.inactive_check_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S;evs.install_timeout=PT4S;pc.weight=1"
    "$@")
}

# Starts node N in the background, in a process group of its own (so that
# its SST helpers go with it), and records its pid.
launch() { # node, extra args...
  local n=$1 command=()
  node_command "$@"
  setsid "${command[@]}" >>"$dir/node$n/console.log" 2>&1 </dev/null &
  echo $! >"$dir/node$n/pid"
}

wait_synced() { # node
  local n=$1 state size
  for _ in $(seq 1 240); do
    if ! kill -0 "$(cat "$dir/node$n/pid")" 2>/dev/null; then break; fi
    state="$(status_of "$n" wsrep_local_state_comment || true)"
    size="$(status_of "$n" wsrep_cluster_size || true)"
    if [[ "$state" == Synced && "$(status_of "$n" wsrep_ready || true)" == ON ]]; then
      echo "node $n: Synced, cluster size ${size:-?}"
      return 0
    fi
    sleep 0.5
  done
  echo "scripts/test-galera.sh: node $n did not reach Synced within 120 s; its log:" >&2
  tail -n 60 "$dir/node$n/error.log" >&2 || true
  return 1
}

kill_node() { # node
  local n=$1 pid
  pid="$(cat "$dir/node$n/pid")"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { echo "node $n: killed"; return 0; }
    sleep 0.1
  done
  die "node $n (pid $pid) did not die"
}

stop_node() { # node: a clean shutdown (SIGTERM), which saves the node's position in grastate.dat
  local n=$1 pid
  pid="$(cat "$dir/node$n/pid")"
  kill -TERM "$pid"
  for _ in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  die "node $n (pid $pid) did not stop within 60 s"
}

# A node killed mid-work starts again from the position InnoDB recorded
# (mariadbd --wsrep-recover), so it asks the cluster for the writes it
# missed (IST) instead of a whole copy (SST).
restart_node() { # node
  local n=$1 position command=()
  local nd="$dir/node$n"
  node_command "$n" --log-error="$nd/recover.log" --wsrep-recover
  "${command[@]}" >"$nd/recover.out" 2>&1 || true
  position="$(sed -n 's/.*WSREP: Recovered position: //p' "$nd/recover.log" 2>/dev/null | tail -n1 || true)"
  if [[ -n "$position" ]]; then
    launch "$n" --wsrep-start-position="$position"
  else
    echo "node $n: no position recovered, it joins by SST" >&2
    launch "$n"
  fi
  wait_synced "$n"
}

ctl() { # dir, command, node
  dir=$1
  case "${2:-}" in
    kill) kill_node "${3:?node}" ;;
    start) restart_node "${3:?node}" ;;
    status)
      for n in "${NODES[@]}"; do
        echo "node $n: $(status_of "$n" wsrep_local_state_comment || echo down)"
      done
      ;;
    *) die "usage: TEST_GALERA_CTL kill|start N, or status" ;;
  esac
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  local n pid
  for n in "${NODES[@]}"; do
    [[ -f "$dir/node$n/pid" ]] || continue
    pid="$(cat "$dir/node$n/pid")"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  for n in "${NODES[@]}"; do
    [[ -f "$dir/node$n/pid" ]] || continue
    pid="$(cat "$dir/node$n/pid")"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$dir"
}

run() {
  [[ -x "$PROVIDER" || -f "$PROVIDER" ]] || die "the Galera provider $PROVIDER is missing (Debian: apt-get install -y galera-4)"
  mariadbd_bin >/dev/null # says how to install it when it is missing
  command -v rsync >/dev/null || die "rsync is not installed; it copies a joining node's data (Debian: apt-get install -y rsync)"

  dir="$(mktemp -d "${TMPDIR:-/tmp}/crm-galera.XXXXXX")"
  chmod 755 "$dir" # the mysql user must reach its directories
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  local started=$SECONDS n ports peers=() urls=()
  read -r -a ports <<<"$(free_ports $((4 * ${#NODES[@]})))"
  echo "crm-test-$$" >"$dir/cluster-name"
  for n in "${NODES[@]}"; do
    local i=$(((n - 1) * 4))
    mkdir -p "$dir/node$n/data" "$dir/node$n/tmp"
    printf 'port=%s\ngcomm=%s\nist=%s\nsst=%s\n' "${ports[i]}" "${ports[i + 1]}" "${ports[i + 2]}" "${ports[i + 3]}" >"$dir/node$n/settings"
    peers+=("127.0.0.1:${ports[i + 1]}")
    urls+=("mysql://root@127.0.0.1:${ports[i]}/crm_test")
  done
  (IFS=,; echo "${peers[*]}") >"$dir/cluster-peers"
  [[ $EUID -ne 0 ]] || chown -R mysql: "$dir"/node*

  # Only the first node gets a fresh system schema; the joiners receive a copy of it.
  local user=()
  [[ $EUID -ne 0 ]] || user=(--user=mysql)
  mariadb-install-db --no-defaults --datadir="$dir/node1/data" "${user[@]}" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; die "mariadb-install-db failed"; }

  # A joiner with no state would get a whole copy by SST, some 15 s a node
  # here. Instead node 1 bootstraps once and stops cleanly, so its
  # grastate.dat names the cluster's UUID and last seqno; the joiners start
  # from copies of that directory and are at that position already (nothing
  # to transfer). SST and IST stay configured for a node that falls behind.
  launch 1 --wsrep-new-cluster
  wait_synced 1
  stop_node 1
  for n in "${NODES[@]:1}"; do
    cp -a "$dir/node1/data/." "$dir/node$n/data/"
    rm -f "$dir/node$n/data/galera.cache"
  done
  local position
  position="$(sed -n 's/^uuid: *//p' "$dir/node1/data/grastate.dat"):$(sed -n 's/^seqno: *//p' "$dir/node1/data/grastate.dat")"
  launch 1 --wsrep-new-cluster
  wait_synced 1
  for n in "${NODES[@]:1}"; do launch "$n" --wsrep-start-position="$position"; done
  for n in "${NODES[@]:1}"; do wait_synced "$n"; done
  local size
  size="$(status_of 1 wsrep_cluster_size)"
  [[ "$size" == "${#NODES[@]}" ]] || die "the cluster has $size nodes, not ${#NODES[@]}"
  sql 1 'CREATE DATABASE crm_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin'

  printf '#!/usr/bin/env bash\nexec bash %q ctl %q "$@"\n' "$here/test-galera.sh" "$dir" >"$dir/ctl"
  chmod 755 "$dir/ctl"
  TEST_GALERA_URLS="$(IFS=,; echo "${urls[*]}")"
  export TEST_GALERA_URLS TEST_GALERA_CTL="$dir/ctl"
  echo "galera cluster of $size ready in $((SECONDS - started)) s: $TEST_GALERA_URLS"

  local status=0
  "$@" || status=$?
  return "$status"
}

case "${1:-}" in
  run)
    [[ $# -ge 2 ]] || usage
    shift
    run "$@"
    ;;
  ctl)
    shift
    ctl "$@"
    ;;
  *) usage ;;
esac
