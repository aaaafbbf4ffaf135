#!/usr/bin/env bash
# The container stage (npm run test:containers): builds the image and runs the
# app with docker compose against MySQL and Redis, on a private Docker engine.
#
#   bash scripts/containers/test.sh
#
# 1. installs what is missing (docker.io, debootstrap, docker-registry,
#    docker-compose, apache2-utils), starts a private dockerd (daemon.sh),
#    builds the offline stand-ins for node:24-bookworm-slim, mysql:8.4 and
#    redis when they are not cached (build-standins.sh; compose gets the
#    redis one through REDIS_IMAGE), builds the image and checks it:
#    non-root, no key/certificate/.env/secret inside, exec-form CMD, health
#    check, Node of the base image;
# 2. docker compose up --build (with the development mail catcher, profile
#    mailcatcher) and waits for every health check, checks that Redis is
#    private, read-only, non-root, without persistence and reachable from
#    web, that a message sent to SMTP_URL from the app's container arrives
#    at the mail catcher, that a statement queued with `crm statements
#    --email` is sent by the worker service (heartbeat, outbox row "sent",
#    the same Message-ID, the PDF attached) and arrives at the mail catcher,
#    waits for HTTPS, runs the system suite against it
#    (CRM_BASE_URL, CRM_CA_FILE), then checks that data survives
#    `restart web` and `down` + `up`;
# 3. pushes the image with k8s/push_to_dockerhub.sh to a local registry
#    with a real login (registry.sh), removes the local tags, pulls it back;
# 4. on exit, success or not: compose down -v, the registry, the daemon and
#    the bridges it made (trap).
#
# Must run as root. Caches (between runs): see lib.sh, GLOBO_CACHE_DIR.
# Environment: KEEP_RUNNING=1 leaves the compose project and daemon up for a
# look (cleanup then is `scripts/containers/daemon.sh stop`).
# $COMPOSE is "docker compose" or "docker-compose": split on purpose.
# shellcheck disable=SC2086
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_root
cd "$REPO_ROOT"

# One container stage at a time on this machine: they share the private Docker
# daemon, and one's teardown (or its "nothing left running" check) would break
# another's build or compose project. A second stage waits for the first.
exec 9>/run/globo-crm-containers.lock
if ! flock -n 9; then
  echo "another container stage is running on this machine; waiting for it (lock /run/globo-crm-containers.lock)" >&2
  flock 9
fi

T0=$(date +%s)
RUN_DIR="$(mktemp -d /tmp/globo-crm-containers.XXXXXX)"
chmod 0755 "$RUN_DIR"
PROJECT="${CONTAINERS_PROJECT:-globocrm-containers-test}"
WEB_IMAGE="${WEB_IMAGE:-globomantics-crm:local}"
export WEB_IMAGE
export DOCKER_CONFIG="$RUN_DIR/docker-config"   # never the user's ~/.docker
mkdir -p "$DOCKER_CONFIG"
REGISTRY_DIR="$RUN_DIR/registry"
declare -A FIG=()

# The profiles in use: the mail catcher throughout, and the read replica once its step starts.
export PROFILE_ARGS="--profile mailcatcher"
compose() {
  # shellcheck disable=SC2086
  $COMPOSE -f "$REPO_ROOT/docker-compose.yml" -p "$PROJECT" --env-file "$RUN_DIR/compose.env" $PROFILE_ARGS "$@"
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ -n "${KEEP_RUNNING:-}" ]; then
    log "KEEP_RUNNING set: leaving project $PROJECT and the daemon up (DOCKER_HOST=$DOCKER_HOST)"
    exit "$rc"
  fi
  log "tearing down"
  if docker_up; then
    if [ "$rc" -ne 0 ] && [ -n "${COMPOSE:-}" ] && [ -f "$RUN_DIR/compose.env" ]; then
      log "logs of the compose project (last 60 lines per service)"
      timeout 60 $COMPOSE -f "$REPO_ROOT/docker-compose.yml" -p "$PROJECT" --env-file "$RUN_DIR/compose.env" $PROFILE_ARGS logs --no-color --tail 60 >&2 || true
    fi
    if [ -n "${COMPOSE:-}" ] && [ -f "$RUN_DIR/compose.env" ]; then
      timeout 120 $COMPOSE -f "$REPO_ROOT/docker-compose.yml" -p "$PROJECT" --env-file "$RUN_DIR/compose.env" $PROFILE_ARGS \
        down -v --remove-orphans --timeout 20 >/dev/null 2>&1 || true
    fi
    # Anything else that runs on this private daemon is ours.
    ids="$(docker ps -aq 2>/dev/null)"
    [ -n "$ids" ] && timeout 60 docker rm -f $ids >/dev/null 2>&1
    timeout 60 docker network prune -f >/dev/null 2>&1
    timeout 60 docker volume prune -f >/dev/null 2>&1
    # Registry tags of this run, and images that later builds made obsolete.
    docker image ls --format '{{.Repository}}:{{.Tag}}' | grep '^127\.0\.0\.1:' | xargs -r docker rmi >/dev/null 2>&1
    # Untagged images are the build stages' layer cache: keep recent ones,
    # unless the cache has grown past GLOBO_CACHE_MAX_GB (default 8).
    if [ "$(du -s --block-size=1G "$GLOBO_DOCKER_DATA_ROOT" | cut -f1)" -gt "${GLOBO_CACHE_MAX_GB:-8}" ]; then
      timeout 300 docker image prune -f >/dev/null 2>&1
    else
      timeout 120 docker image prune -f --filter until=168h >/dev/null 2>&1
    fi
  fi
  "$CONTAINERS_DIR/registry.sh" stop "$REGISTRY_DIR" 2>/dev/null
  "$CONTAINERS_DIR/daemon.sh" stop
  rm -rf "$RUN_DIR"
  log "container stage $([ "$rc" -eq 0 ] && echo passed || echo FAILED) after $(( $(date +%s) - T0 ))s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- 1. prepare
for f in make_cert.sh wait_for_https.sh k8s/push_to_dockerhub.sh Dockerfile docker-compose.yml; do
  [ -f "$REPO_ROOT/$f" ] || die "missing $f"
done
[ -d "$REPO_ROOT/node_modules" ] || die "node_modules is missing: run npm ci first (the system suite runs on the host)"

ensure_packages
COMPOSE="$(compose_cli)" || die "no compose CLI (docker compose v2 or docker-compose)"
log "compose CLI: $COMPOSE ($($COMPOSE version 2>/dev/null | head -n1))"

step 90 "start the private docker daemon" "$CONTAINERS_DIR/daemon.sh" start
step 1800 "stand-in base images (cached after the first run)" "$CONTAINERS_DIR/build-standins.sh" all

EXTRA_CA_CERTS="$(host_extra_ca_pem)"
export EXTRA_CA_CERTS
build_image() {
  # The host's network: this daemon gives containers no route out (see daemon.sh).
  if ! docker build --network host --build-arg EXTRA_CA_CERTS --tag "$WEB_IMAGE" "$REPO_ROOT" >"$RUN_DIR/build.log" 2>&1; then
    tail -n 40 "$RUN_DIR/build.log" >&2
    return 1
  fi
  grep -c -- '---> Using cache' "$RUN_DIR/build.log" | sed 's/^/layers from cache: /'
}
export -f build_image
export WEB_IMAGE RUN_DIR REPO_ROOT
step 1500 "docker build $WEB_IMAGE" bash -c build_image
FIG[build]="${STEP_SECONDS}s"
FIG[size]="$(docker image inspect -f '{{.Size}}' "$WEB_IMAGE" | awk '{printf "%.0f MB", $1/1000/1000}')"
log "image $WEB_IMAGE: ${FIG[size]}, built in ${FIG[build]}"

check_image() {
  local user uid cmd hc found hist
  user="$(docker image inspect -f '{{.Config.User}}' "$WEB_IMAGE")"
  if [ -z "$user" ] || [ "$user" = root ] || [ "$user" = 0 ]; then die "image user is '$user', not a non-root user"; fi
  uid="$(docker run --rm --network none --entrypoint id "$WEB_IMAGE" -u)"
  [ "$uid" != 0 ] || die "the container runs as uid 0"
  cmd="$(docker image inspect -f '{{json .Config.Cmd}}' "$WEB_IMAGE")"
  [ "$cmd" = '["node","dist/server.js"]' ] || die "CMD is $cmd, expected [\"node\",\"dist/server.js\"]"
  hc="$(docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$WEB_IMAGE")"
  case "$hc" in *healthz*) ;; *) die "no HEALTHCHECK on /healthz in the image ($hc)";; esac
  docker image inspect -f '{{json .Config.ExposedPorts}}' "$WEB_IMAGE" | grep -q '"5000/tcp"' || die "port 5000 not exposed"
  docker image inspect -f '{{json .Config.Env}}' "$WEB_IMAGE" | grep -q '"NODE_ENV=production"' || die "NODE_ENV=production not set"
  # Certificates, keys, env files: none but the OS's CA bundle directories.
  found="$(docker run --rm --network none --user 0 --entrypoint find "$WEB_IMAGE" / -xdev \
      \( -path /proc -o -path /sys -o -path /etc/ssl/certs -o -path /usr/share/ca-certificates \) -prune -o \
      -type f \( -name '*.pem' -o -name '*.key' -o -name '*.crt' -o -name '*.p12' -o -name '*.pfx' \
        -o -name '.env' -o -name '.env.*' -o -name 'id_rsa*' -o -name 'id_ed25519*' -o -name '.npmrc' \) -print)"
  [ -z "$found" ] || die "key/certificate/secret-looking files in the image: $found"
  docker run --rm --network none --entrypoint sh "$WEB_IMAGE" -c \
    'test ! -e /app/ssl && test ! -e /app/src && test ! -e /app/.git && test -f /app/dist/server.js && test -f /app/data/initial.json' \
    || die "/app has ssl/, src/ or .git, or lacks dist/server.js or data/initial.json"
  # The app's user cannot write the app.
  if docker run --rm --network none --entrypoint node "$WEB_IMAGE" -e "require('fs').writeFileSync('/app/dist/x','x')" 2>/dev/null; then
    die "the node user can write /app/dist"
  fi
  # Nothing secret in the runtime image's history, labels or environment
  # (the CA text passed as a build argument included: build stages only).
  hist="$(docker history --no-trunc --format '{{.CreatedBy}}' "$WEB_IMAGE"; docker image inspect -f '{{json .Config.Env}} {{json .Config.Labels}}' "$WEB_IMAGE")"
  if printf '%s' "$hist" | grep -E -i -q 'BEGIN (CERTIFICATE|[A-Z ]*PRIVATE KEY)|(SECRET|PASSWORD|TOKEN)[A-Z_]*='; then
    die "the image history or environment holds a secret-looking value: $(printf '%s' "$hist" | grep -E -i -o '.{0,40}(BEGIN|SECRET|PASSWORD|TOKEN).{0,40}' | head -n3)"
  fi
  local node_v expected_major
  node_v="$(docker run --rm --network none --entrypoint node "$WEB_IMAGE" -v)"
  expected_major="$(dockerfile_node_image | sed -n 's/^node:\([0-9]*\).*/\1/p')"
  case "$node_v" in "v$expected_major".*) ;; *) die "the image runs Node $node_v, the Dockerfile's base is Node $expected_major";; esac
  echo "user=$user uid=$uid node=$node_v cmd=$cmd: no key, certificate, .env or secret found"
}
export -f check_image die log dockerfile_node_image
export WEB_IMAGE REPO_ROOT
step 120 "image checks (non-root, no secrets, CMD, HEALTHCHECK)" bash -c check_image

# ------------------------------------------------------- 2. compose + system
free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
WEB_PORT="$(free_port)"
MAILCATCHER_HTTP_PORT="$(free_port)"
MAILCATCHER_SMTP_PORT="$(free_port)"
DB_USER=crm
DB_NAME=crm
DB_PASSWORD="$(openssl rand -hex 16)"
REDIS_IMAGE="$(standin_redis_image)" || die "cannot read the redis image from docker-compose.yml"
# The group that may read the TLS key: not the image's own group (1000), so
# only compose's group_add can let the web container read it.
TLS_KEY_GID=2000
cat > "$RUN_DIR/compose.env" <<EOF
MYSQL_ROOT_PASSWORD=$(openssl rand -hex 16)
MYSQL_DATABASE=$DB_NAME
MYSQL_USER=$DB_USER
MYSQL_PASSWORD=$DB_PASSWORD
SESSION_SECRET=$(openssl rand -hex 32)
WEB_PORT=$WEB_PORT
TLS_DIR=$RUN_DIR/ssl
TLS_KEY_GID=$TLS_KEY_GID
REDIS_IMAGE=$REDIS_IMAGE
WEB_IMAGE=$WEB_IMAGE
BUILD_NETWORK=host
MIGRATE_ON_START=true
# The system suite looks up far more than a visitor would; the limiter stays on, out of its way.
LOOKUP_RATE_LIMIT=100000
# Mail goes to the development mail catcher, as docker-compose.yml describes.
SMTP_URL=smtp://mailcatcher:1025
SMTP_REQUIRE_TLS=false
MAIL_FROM=Globomantics Billing <billing@crm.test>
PUBLIC_BASE_URL=https://localhost:$WEB_PORT
MAILCATCHER_HTTP_PORT=$MAILCATCHER_HTTP_PORT
MAILCATCHER_SMTP_PORT=$MAILCATCHER_SMTP_PORT
EOF
# As docs/operations.md tells Docker users: the key stays with its owner, mode 0640, and
# the web container reads it through the group compose adds (TLS_KEY_GID).
step 30 "self-signed certificate (make_cert.sh)" "$REPO_ROOT/make_cert.sh" "$RUN_DIR/ssl"
chgrp "$TLS_KEY_GID" "$RUN_DIR/ssl/key.pem"
chmod 0640 "$RUN_DIR/ssl/key.pem"
BASE_URL="https://localhost:$WEB_PORT"
CA_FILE="$RUN_DIR/ssl/cert.pem"

# wait_healthy SECONDS: until every service of the project reports healthy.
wait_healthy() {
  local deadline=$(( $(date +%s) + $1 )) svc id state all
  while :; do
    all=1
    for svc in db redis web mailcatcher; do
      id="$(compose ps -q "$svc" 2>/dev/null)"
      state="$( [ -n "$id" ] && docker inspect -f '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id" 2>/dev/null || echo missing)"
      case "$state" in
        running/healthy) ;;
        exited/*|dead/*|*/unhealthy) echo "service $svc is $state" >&2; return 1 ;;
        *) all=0 ;;
      esac
    done
    [ "$all" = 1 ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || { echo "not healthy after $1s" >&2; return 1; }
    sleep 1
  done
}

compose_up() {
  if [ "$COMPOSE" = "docker compose" ]; then
    compose up --build --detach --wait --wait-timeout 240
  else
    # docker-compose v1 has no --wait: up --detach, then poll health.
    compose up --build --detach && wait_healthy 240
  fi
}
export -f compose compose_up wait_healthy
export COMPOSE PROJECT RUN_DIR

step 360 "compose up --build, until db, redis, web and the mail catcher are healthy" bash -c compose_up
FIG[up]="${STEP_SECONDS}s"

# Redis holds rate-limit counters only: private to the project's network,
# read-only, non-root, nothing written to disk, and web reaches it by name.
check_redis() {
  local redis web uid out
  redis="$(compose ps -q redis)"
  web="$(compose ps -q web)"
  if [ -z "$redis" ] || [ -z "$web" ]; then echo "no redis or web container" >&2; return 1; fi
  out="$(docker inspect -f '{{json .HostConfig.PortBindings}} {{.HostConfig.ReadonlyRootfs}}' "$redis")"
  case "$out" in "{} true"|"null true") ;; *) echo "redis port bindings / read-only root: $out" >&2; return 1 ;; esac
  uid="$(docker exec "$redis" id -u)"
  [ "$uid" != 0 ] || { echo "redis runs as root" >&2; return 1; }
  out="$(docker exec "$redis" redis-cli ping)"
  [ "$out" = PONG ] || { echo "redis-cli ping answered '$out'" >&2; return 1; }
  out="$(docker exec "$redis" redis-cli config get save | tail -n1)/$(docker exec "$redis" redis-cli config get appendonly | tail -n1)"
  [ "$out" = "/no" ] || { echo "redis persistence (save/appendonly) is '$out', expected '/no'" >&2; return 1; }
  docker inspect -f '{{json .Config.Env}}' "$web" | grep -q '"REDIS_URL=redis://redis:6379"' \
    || { echo "web has no REDIS_URL=redis://redis:6379" >&2; return 1; }
  docker exec "$web" node -e "const s=require('net').connect(6379,'redis',()=>{s.end();process.exit(0)});s.on('error',e=>{console.error(e.message);process.exit(1)});setTimeout(()=>process.exit(1),5000)" \
    || { echo "web cannot open a connection to redis:6379" >&2; return 1; }
  echo "redis ($REDIS_IMAGE) uid $uid, not published, read-only, no persistence; web reaches redis:6379"
}
export -f check_redis
export REDIS_IMAGE
step 30 "redis: private, read-only, non-root, no persistence, reachable from web" bash -c check_redis

# The development mail catcher: private but for its loopback ports, read-only,
# non-root, and what the app's container sends to its SMTP_URL arrives there.
check_mailcatcher() {
  local catcher web uid out marker t0 listed
  catcher="$(compose ps -q mailcatcher)"
  web="$(compose ps -q web)"
  if [ -z "$catcher" ] || [ -z "$web" ]; then echo "no mailcatcher or web container" >&2; return 1; fi
  out="$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}} {{range $p, $b := .HostConfig.PortBindings}}{{range $b}}{{.HostIp}} {{end}}{{end}}' "$catcher")"
  [ "$out" = "true 127.0.0.1 127.0.0.1 " ] || { echo "mailcatcher read-only / published addresses: '$out'" >&2; return 1; }
  uid="$(docker exec "$catcher" id -u)"
  [ "$uid" != 0 ] || { echo "the mail catcher runs as root" >&2; return 1; }
  marker="container-stage-$(openssl rand -hex 6)"
  t0="$(date +%s%N)"
  docker exec "$web" node -e "
    require('nodemailer').createTransport(process.env.SMTP_URL)
      .sendMail({ from: process.env.MAIL_FROM, to: 'ada@customer.test', subject: process.argv[1], text: 'sent from the web container' })
      .then((info) => console.log(info.response), (e) => { console.error(e.message); process.exit(1); });" "$marker" \
    || { echo "web could not send to its SMTP_URL" >&2; return 1; }
  listed="$(curl -sS --max-time 5 "http://127.0.0.1:$MAILCATCHER_HTTP_PORT/messages")" || { echo "no listing from the mail catcher" >&2; return 1; }
  printf '%s' "$listed" | node -e "
    const list = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const m = list.find((x) => x.subject === process.argv[1]);
    if (!m || m.envelope.to.join() !== 'ada@customer.test' || m.envelope.from !== 'billing@crm.test') { console.error(JSON.stringify(list).slice(0, 500)); process.exit(1); }" "$marker" \
    || { echo "the message sent from web is not in the mail catcher's listing" >&2; return 1; }
  echo "mail catcher uid $uid, read-only, on 127.0.0.1 only; web -> smtp://mailcatcher:1025 -> listing in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}
export -f check_mailcatcher
export MAILCATCHER_HTTP_PORT
step 30 "mail catcher: private, read-only, non-root, receives what web sends to SMTP_URL" bash -c check_mailcatcher

# Through the app: a statement queued with `crm statements --email` goes out
# through the worker service to the mail catcher, PDF attached (check-mail.sh,
# which CI's system job runs too). The worker itself: non-root, read-only, no ports.
check_worker() {
  local worker uid out
  worker="$(compose ps -q worker)"
  [ -n "$worker" ] || { echo "no worker container" >&2; return 1; }
  out="$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}} {{json .HostConfig.PortBindings}}' "$worker")"
  case "$out" in "true {}"|"true null") ;; *) echo "worker read-only / port bindings: $out" >&2; return 1 ;; esac
  uid="$(docker exec "$worker" id -u)"
  [ "$uid" != 0 ] || { echo "the worker runs as root" >&2; return 1; }
  echo "worker uid $uid, read-only, no ports"
  COMPOSE="$COMPOSE -f $REPO_ROOT/docker-compose.yml -p $PROJECT --env-file $RUN_DIR/compose.env --profile mailcatcher" \
    MAILCATCHER_URL="http://127.0.0.1:$MAILCATCHER_HTTP_PORT" "$CONTAINERS_DIR/check-mail.sh" >"$RUN_DIR/mail.txt" || return 1
  cat "$RUN_DIR/mail.txt"
}
export -f check_worker
export CONTAINERS_DIR
step 90 "worker: a statement queued with crm statements --email reaches the mail catcher" bash -c check_worker
FIG[mail]="$(grep -o 'in [0-9]* ms' "$RUN_DIR/mail.txt") from crm statements --email to the mail catcher's listing"
# What the worker holds after rendering and sending a statement PDF (its pod's limit is 256Mi).
FIG[worker]="$(docker stats --no-stream --format '{{.MemUsage}}' "$(compose ps -q worker)" 2>/dev/null || echo '?') memory after sending"
step 75 "wait_for_https.sh 60" env CRM_BASE_URL="$BASE_URL" "$REPO_ROOT/wait_for_https.sh" 60

SUITE_LOG="$RUN_DIR/system-suite.log"
set +e
log "system suite against $BASE_URL (timeout 600s)"
t=$(date +%s)
CRM_BASE_URL="$BASE_URL" CRM_CA_FILE="$CA_FILE" NODE_EXTRA_CA_CERTS="$CA_FILE" \
  timeout --kill-after=15 600 npm run --silent test:system 2>&1 | tee "$SUITE_LOG"
suite_rc=${PIPESTATUS[0]}
set -e
FIG[suite]="$(grep -E '^((ℹ|#) (tests|pass|fail|skipped) [0-9]+|tests: [0-9]+ passed)' "$SUITE_LOG" | sed -E 's/^(ℹ|#) //' | paste -sd' ' -) in $(( $(date +%s) - t ))s"
[ "$suite_rc" -eq 0 ] || die "system suite failed (exit $suite_rc): ${FIG[suite]}"
log "system suite: ${FIG[suite]}"
FIG[redis]="$(docker exec "$(compose ps -q redis)" redis-cli dbsize 2>/dev/null || echo '?') keys after the suite"

# Data survives `restart web` (which migrates and seeds again) and `down` + `up`.
sql() {
  compose exec -T db mysql -N -B -h127.0.0.1 -u"$DB_USER" -p"$DB_PASSWORD" "$DB_NAME" -e "$1" 2>/dev/null
}
export -f sql
export DB_USER DB_PASSWORD DB_NAME

lookup_page() {
  # The lookup form as a browser posts it: the page's CSRF token, its cookie, same origin.
  local jar="$RUN_DIR/cookies" token
  token="$(curl -sS --max-time 10 --cacert "$CA_FILE" -c "$jar" "$BASE_URL/" | grep -o 'name="csrf_token" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//')"
  [ -n "$token" ] || { echo "no csrf_token in GET /" >&2; return 1; }
  curl -sS --max-time 10 --cacert "$CA_FILE" -b "$jar" -H "Origin: $BASE_URL" \
    --data-urlencode "acctid=$1" --data-urlencode "csrf_token=$token" "$BASE_URL/"
}

check_data() {
  local accounts marker page
  accounts="$(sql "SELECT acctid FROM account WHERE acctid IN ('ACCT100','ACCT200','ACCT300') ORDER BY acctid" | paste -sd, -)"
  [ "$accounts" = "ACCT100,ACCT200,ACCT300" ] || die "$1: seed accounts are '$accounts'"
  marker="$(sql "SELECT paid_cents FROM account WHERE acctid='ACCT300'")"
  [ "$marker" = "$CHANGED_PAID_CENTS" ] || die "$1: ACCT300.paid_cents is '$marker', expected $CHANGED_PAID_CENTS (set directly in the db)"
  page="$(lookup_page ACCT300)" || die "$1: lookup of ACCT300 over HTTPS failed"
  printf '%s' "$page" | grep -q "$CHANGED_PAID_SHOWN" || die "$1: the ACCT300 page does not show $CHANGED_PAID_SHOWN"
  log "$1: seed accounts present, ACCT300 still has paid_cents=$marker (db and page)"
}

CHANGED_PAID_CENTS=987654
CHANGED_PAID_SHOWN="9,876.54\|9876.54"
step 30 "change ACCT300 directly in the db" bash -c "sql \"UPDATE account SET paid_cents=$CHANGED_PAID_CENTS WHERE acctid='ACCT300'\""
check_data "before restart"

step 180 "compose restart web" bash -c 'compose restart web && wait_healthy 150'
step 75 "wait_for_https.sh 60" env CRM_BASE_URL="$BASE_URL" "$REPO_ROOT/wait_for_https.sh" 60
check_data "after restart of web"

step 180 "compose down (keeping volumes)" bash -c 'compose down --timeout 20'
[ -z "$(docker ps -q)" ] || die "containers still running after compose down"
step 360 "compose up again" bash -c compose_up
step 75 "wait_for_https.sh 60" env CRM_BASE_URL="$BASE_URL" "$REPO_ROOT/wait_for_https.sh" 60
check_data "after down + up"

# The profile "replica", set up as docs/operations.md tells developers (the profile and
# DATABASE_REPLICA_URL in .env): scripts/compose/replica-init.sh copies db with its GTID
# position, the replica follows db, refuses the app user's writes (read-only), and web,
# recreated with DATABASE_REPLICA_URL, reports it healthy with its lag in /readyz.
check_replica() {
  local root state t0 out seen lag looks
  root="$(sed -n 's/^MYSQL_ROOT_PASSWORD=//p' "$RUN_DIR/compose.env")"
  replica_sql() { compose exec -T replica mysql -N -B -h127.0.0.1 -u"$1" -p"$2" "$DB_NAME" -e "$3" 2>&1; }
  t0=$(date +%s)
  until state="$(curl -sS --max-time 5 --cacert "$CA_FILE" "$BASE_URL/readyz" 2>/dev/null)" &&
    lag="$(printf '%s' "$state" | node -e "
      const r = JSON.parse(require('fs').readFileSync(0, 'utf8'));
      const [replica, ...more] = r.replicas ?? [];
      if (r.status !== 'ready' || !replica || more.length || replica.state !== 'healthy' || !/^mysql:\/\/[^:@]+@replica:3306\//.test(replica.url)) process.exit(1);
      console.log(replica.lagMs);" 2>/dev/null)"; do
    [ $(( $(date +%s) - t0 )) -lt 120 ] || { echo "/readyz did not report one healthy replica (replica:3306) within 120 s: $state" >&2; return 1; }
    sleep 1
  done
  echo "/readyz: ready, replica healthy, lag ${lag} ms (after $(( $(date +%s) - t0 )) s)"
  sql "UPDATE account SET paid_cents=424242 WHERE acctid='ACCT200'" || { echo "could not change ACCT200 on db" >&2; return 1; }
  t0="$(date +%s%N)"
  looks=1
  until [ "$(replica_sql root "$root" "SELECT paid_cents FROM account WHERE acctid='ACCT200'")" = 424242 ]; do
    [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt 30 ] || { echo "the replica did not follow db within 30 s" >&2; return 1; }
    looks=$((looks + 1))
    sleep 0.2
  done
  # Each look is a compose exec, which takes most of this time itself.
  seen="$(( ($(date +%s%N) - t0) / 1000000 )) ms, at look $looks"
  if out="$(replica_sql "$DB_USER" "$DB_PASSWORD" "UPDATE account SET paid_cents=1 WHERE acctid='ACCT200'")"; then
    echo "the replica accepted a write from the app's user $DB_USER" >&2; return 1
  fi
  printf '%s' "$out" | grep -qi 'read.only' || { echo "the replica refused the write for another reason: $out" >&2; return 1; }
  echo "a change on db was on the replica after ${seen}; the app user's write was refused: $(printf '%s' "$out" | tail -n1)"
}
export -f check_replica
export CA_FILE BASE_URL
printf 'DATABASE_REPLICA_URL=mysql://%s@replica:3306/%s\n' "$DB_USER" "$DB_NAME" >>"$RUN_DIR/compose.env"
PROFILE_ARGS="--profile mailcatcher --profile replica"
step 360 "compose up with the profile replica (web and the worker recreated with DATABASE_REPLICA_URL)" bash -c compose_up
run_check_replica() {
  local rc=0
  check_replica >"$RUN_DIR/replica.txt" || rc=$?
  cat "$RUN_DIR/replica.txt"
  return "$rc"
}
export -f run_check_replica
export RUN_DIR
step 150 "replica: follows db, read-only, healthy in web's /readyz" bash -c run_check_replica
FIG[replica]="$(paste -sd';' "$RUN_DIR/replica.txt")"

# ------------------------------------------------- 3. push to a registry and pull
REG_USER=ci-pusher
REG_PASSWORD="$(openssl rand -hex 16)"
REG_PORT="$("$CONTAINERS_DIR/registry.sh" start "$REGISTRY_DIR" "$REG_USER" "$REG_PASSWORD")"
REGISTRY="127.0.0.1:$REG_PORT"
REPO_NAME=globomantics/globomantics-crm
IMAGE_TAG="$(git -C "$REPO_ROOT" rev-parse HEAD 2>/dev/null || echo "uncommitted-$(date +%s)")"
log "local registry on $REGISTRY (htpasswd auth)"

step 300 "k8s/push_to_dockerhub.sh to $REGISTRY" env REGISTRY="$REGISTRY" IMAGE="$REPO_NAME" SOURCE_IMAGE="$WEB_IMAGE" \
  IMAGE_TAG="$IMAGE_TAG" DOCKER_USERNAME="$REG_USER" DOCKER_PASSWORD="$REG_PASSWORD" "$REPO_ROOT/k8s/push_to_dockerhub.sh"
LOCAL_ID="$(docker image inspect -f '{{.Id}}' "$WEB_IMAGE")"
# Remove the image itself, not just the tags, so the pull fetches every layer
# of the app from the registry (the base layers stay: they are the stand-in's).
step 120 "compose down -v, remove the image locally" bash -c \
  "compose down -v --timeout 20 && docker rmi '$WEB_IMAGE' '$REGISTRY/$REPO_NAME:$IMAGE_TAG' '$REGISTRY/$REPO_NAME:latest' >/dev/null"
if docker image inspect "$LOCAL_ID" >/dev/null 2>&1; then die "image $LOCAL_ID still present after docker rmi"; fi
if timeout 60 docker pull -q "$REGISTRY/$REPO_NAME:latest" >/dev/null 2>&1; then
  die "the registry let an anonymous client pull"
fi
printf '%s' "$REG_PASSWORD" | timeout 60 docker login -u "$REG_USER" --password-stdin "$REGISTRY" >/dev/null 2>&1 \
  || die "docker login to $REGISTRY failed"
step 300 "pull $REGISTRY/$REPO_NAME:$IMAGE_TAG and :latest" bash -c \
  "docker pull '$REGISTRY/$REPO_NAME:$IMAGE_TAG' | grep -c 'Pull complete' | sed 's/^/layers pulled: /' && docker pull -q '$REGISTRY/$REPO_NAME:latest'"
docker logout "$REGISTRY" >/dev/null 2>&1 || true
for tag in "$IMAGE_TAG" latest; do
  id="$(docker image inspect -f '{{.Id}}' "$REGISTRY/$REPO_NAME:$tag")"
  [ "$id" = "$LOCAL_ID" ] || die "pulled $REPO_NAME:$tag is $id, pushed $LOCAL_ID"
done
docker tag "$REGISTRY/$REPO_NAME:latest" "$WEB_IMAGE"
docker run --rm --network none --entrypoint sh "$WEB_IMAGE" -c 'node -v && test -f /app/dist/server.js' >/dev/null \
  || die "the pulled image does not run"
log "pushed and pulled back $REPO_NAME:{$IMAGE_TAG,latest}: same image $LOCAL_ID, runs"

# ------------------------------------------------------------------ summary
cat <<EOF

== container stage figures ==
image:               $WEB_IMAGE, ${FIG[size]}
image build:         ${FIG[build]} (docker build; layer cache under $GLOBO_DOCKER_DATA_ROOT)
compose up→healthy:  ${FIG[up]} (with --build, db + redis + web + mail catcher healthy, worker running)
mail:                ${FIG[mail]}
worker:              ${FIG[worker]}
system suite:        ${FIG[suite]}
redis:               ${FIG[redis]}
replica (profile):   ${FIG[replica]}
whole stage so far:  $(( $(date +%s) - T0 ))s
EOF
