# shellcheck shell=bash
# Pieces shared by the scripts that start private database servers for a test
# run (scripts/test-databases.sh, scripts/test-replication.sh,
# scripts/test-galera.sh): free ports,
# waiting for a server, running it as its system user when root, and starting
# mariadbd / PostgreSQL in a directory of their own. Sourced, not run; the
# sourcing script sets `script_name` first (used in messages).

# A private temporary directory in $tmp, removed on exit after running the
# commands in $stoppers (each added by whoever starts a server), however the
# script ends.
run_dir() { # name prefix
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  chmod 755 "$tmp" # the mysql and postgres users must reach their directories
  stoppers=()
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  local stop
  # Side by side: each waits for its server to be gone.
  for stop in "${stoppers[@]}"; do (eval "$stop" >/dev/null 2>&1 || true) & done
  wait
  rm -rf "$tmp"
}

die() {
  echo "${script_name:-test servers}: $*" >&2
  exit 1
}

# N ports nothing listens on right now (the kernel's choice for port 0), held
# open together so that the N are distinct.
free_ports() { # count
  node -e '
    const net = require("node:net");
    const servers = Array.from({ length: Number(process.argv[1]) }, () => net.createServer());
    Promise.all(servers.map((s) => new Promise((ok) => s.listen(0, "127.0.0.1", ok)))).then(() => {
      console.log(servers.map((s) => s.address().port).join(" "));
      for (const s of servers) s.close();
    });' "$1"
}

free_port() { free_ports 1; }

wait_for() { # what, log file, command...
  local what=$1 log=$2
  shift 2
  for _ in $(seq 1 300); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "${script_name:-test servers}: $what did not answer within 60 s; its log:" >&2
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

mariadbd_bin() {
  local found
  found="$(command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd)"
  [[ -x "$found" ]] || die "mariadbd is not installed (Debian: apt-get install -y mariadb-server)"
  echo "$found"
}

# A MariaDB data directory in DIR/data, owned by mysql when root. EXTRA are
# server options for the files it creates (such as the redo log's size).
mariadb_install() { # dir, extra options...
  local dir=$1 user=()
  shift
  mkdir -p "$dir"
  if [[ $EUID -eq 0 ]]; then chown mysql: "$dir"; user=(--user=mysql); fi
  mariadb-install-db --no-defaults --datadir="$dir/data" "${user[@]}" --auth-root-authentication-method=normal \
    --skip-test-db "$@" >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; die "mariadb-install-db failed"; }
}

# Starts mariadbd on DIR/data in the background, detached from this shell's
# output (its pid is in DIR/mysqld.pid once it runs), and waits until it
# answers. Durability is not what tests measure: no flush per commit. EXTRA
# are further server options (binary log, server id, read_only, …).
mariadb_start() { # dir, port, extra options...
  local dir=$1 port=$2 user=()
  shift 2
  [[ $EUID -ne 0 ]] || user=(--user=mysql)
  echo "$port" >"$dir/port"
  setsid "$(mariadbd_bin)" --no-defaults --datadir="$dir/data" "${user[@]}" --port="$port" --bind-address=127.0.0.1 \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci --innodb-flush-log-at-trx-commit=0 \
    --max-connections=500 "$@" </dev/null >>"$dir/console.log" 2>&1 &
  wait_for "MariaDB on port $port" "$dir/error.log" mariadb-admin --no-defaults --protocol=tcp -h 127.0.0.1 -P "$port" -u root ping
}

# Whether PID runs. A process that has ended but was not yet reaped (a zombie:
# the server outlived the shell that started it, and init reaps it only every
# few seconds) counts as gone, though kill -0 still finds it.
process_alive() { # pid
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# Ends the process whose pid FILE names with SIGKILL (a server whose data is
# removed next needs no clean shutdown, which takes mariadbd about 2 s) and
# waits until it is gone; nothing when the file or the process is missing.
stop_pidfile() { # file
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 0
  [[ -n "$pid" ]] || return 0
  kill -9 "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    process_alive "$pid" || return 0
    sleep 0.1
  done
}

# A PostgreSQL cluster in DIR/data (trust authentication, no fsync), owned by
# postgres when root.
postgres_init() { # dir
  local dir=$1
  mkdir -p "$dir"
  [[ $EUID -ne 0 ]] || chown postgres: "$dir"
  as_user postgres "$(pg_bin initdb)" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "initdb failed"; }
}

# Starts PostgreSQL on DIR/data and waits until it accepts connections. EXTRA
# are further `-c name=value` settings.
postgres_start() { # dir, port, extra settings...
  local dir=$1 port=$2
  shift 2
  echo "$port" >"$dir/port"
  as_user postgres "$(pg_bin pg_ctl)" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off $*" \
    >/dev/null || { cat "$dir/server.log" >&2; die "PostgreSQL on port $port did not start"; }
}

postgres_stop() { # dir
  [[ -f "$1/data/postmaster.pid" ]] || return 0
  as_user postgres "$(pg_bin pg_ctl)" -D "$1/data" -m immediate stop
}
