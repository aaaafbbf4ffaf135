#!/usr/bin/env bash
# Deploy Globomantics CRM to the current kubectl context.
#
#   1. render k8s/manifest with the image set to $REGISTRY/$IMAGE:$IMAGE_TAG and the
#      migration Job renamed to crm-migrate-<tag>
#   2. apply everything except the app (namespace, config, secrets, MySQL, Redis,
#      network policies, migration Job) and wait for MySQL, Redis and the migrations
#   3. apply the rest and wait for the rollouts of web and the outbox worker; print
#      pods and services
#
# Image:    REGISTRY (default docker.io), IMAGE (default $DOCKER_USERNAME/globomantics-crm),
#           IMAGE_TAG (default: git rev-parse HEAD) - the same defaults as push_to_dockerhub.sh.
# Secrets:  files in k8s/manifest/secrets/ (git-ignored), or these variables, which are
#           written to a private temporary copy (never into the checkout):
#           K8S_MYSQL_ROOT_PASSWORD, K8S_MYSQL_PASSWORD, K8S_SESSION_SECRET,
#           K8S_TLS_CRT, K8S_TLS_KEY (PEM text), K8S_BOOTSTRAP_ADMIN (the bootstrap-admin
#           file's text: username= and password= or password_hash=), and, optional,
#           K8S_SMTP_URL (smtp://user:pass@host:587; without it nothing is sent).
# Mail:     MAIL_FROM, PUBLIC_BASE_URL (optional, replace the base's placeholders; both
#           required with an SMTP URL), REMINDERS_AT (HH:MM: the worker's daily reminder
#           run; unset: never), SMTP_EGRESS_PORTS (default "587 465 25") and
#           SMTP_EGRESS_CIDR (default 0.0.0.0/0): where the worker may reach the SMTP server.
#           Refused before anything is applied: a missing value, a placeholder (change-me,
#           example, placeholder, ...), a session secret that is shorter than 32
#           characters or predictable (the same rules as the app's start-up check), and a
#           bootstrap-admin file without a username, or whose password is shorter than 12
#           characters or the one bootstrap-admin.example ships, unless it gives an
#           argon2id password_hash instead; an SMTP URL that is a placeholder, or set
#           while MAIL_FROM or PUBLIC_BASE_URL is still an example.com placeholder.
# Database: the base's MySQL StatefulSet, or K8S_OVERLAY=managed-database: k8s/overlays/
#           managed-database (RDS/Aurora, Cloud SQL; see k8s/README.md) with the writer and
#           reader URLs and the migrator's URL from K8S_DATABASE_URL, K8S_DATABASE_REPLICA_URL
#           (optional, comma-separated) and K8S_MIGRATE_DATABASE_URL, the provider's CA bundle
#           from K8S_DB_CA_BUNDLE (PEM text), or from the overlay's secrets/ and db-ca/ files;
#           DB_EGRESS_CIDR (required: the database's subnets) and DB_EGRESS_PORT (default: the
#           URL's port, else 3306 or 5432) for the database-egress NetworkPolicy. The
#           K8S_MYSQL_* passwords are then not needed. Refused before anything is applied: a
#           placeholder URL, one that is not mysql:// or postgres://, engines that differ, a
#           migrator on another host than the writer, a bundle without a PEM certificate,
#           and the placeholder CIDR 192.0.2.0/24.
# Timeouts: ROLLOUT_TIMEOUT (default 300s), MIGRATION_TIMEOUT (default 600s).
set -Eeuo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$script_dir/lib/common.sh"

MANIFEST_DIR="${MANIFEST_DIR:-$script_dir/manifest}"
OVERLAYS_DIR="${OVERLAYS_DIR:-$script_dir/overlays}"
K8S_OVERLAY="${K8S_OVERLAY:-}"
case "$K8S_OVERLAY" in
  '') managed='' ;;
  managed-database) managed=1 ;;
  *) die "K8S_OVERLAY '$K8S_OVERLAY' is not an overlay this script deploys (leave it empty for the base, or managed-database)" ;;
esac
NAMESPACE=globomantics-crm # must match "namespace:" in k8s/manifest/kustomization.yaml
ROLLOUT_TIMEOUT="${ROLLOUT_TIMEOUT:-300s}"
MIGRATION_TIMEOUT="${MIGRATION_TIMEOUT:-600s}"
REGISTRY="${REGISTRY:-docker.io}"

[[ -n "${IMAGE:-}" || -n "${DOCKER_USERNAME:-}" ]] ||
  die "missing required environment variable: IMAGE (or DOCKER_USERNAME)"
IMAGE="${IMAGE:-${DOCKER_USERNAME:-}/globomantics-crm}"
resolve_image_tag
command -v kubectl >/dev/null 2>&1 || die "kubectl is not on PATH (run k8s/install_k8s_pkgs.sh)"
[[ -f "$MANIFEST_DIR/kustomization.yaml" ]] || die "no kustomization.yaml in $MANIFEST_DIR"
[[ -z "$managed" || -f "$OVERLAYS_DIR/$K8S_OVERLAY/kustomization.yaml" ]] ||
  die "no kustomization.yaml in $OVERLAYS_DIR/$K8S_OVERLAY"

image_ref="$REGISTRY/$IMAGE:$IMAGE_TAG"
# Job names are DNS labels: lower case, [a-z0-9-], at most 63 characters.
job_suffix="$(printf '%s' "$IMAGE_TAG" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9-' '-' | cut -c1-40)"
while [[ "$job_suffix" == *- ]]; do job_suffix="${job_suffix%-}"; done
migrate_job="crm-migrate-${job_suffix}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
umask 077
# The overlay names the base as ../../manifest: the copies keep that layout.
cp -R "$MANIFEST_DIR" "$work/manifest"
if [[ -n "$managed" ]]; then
  mkdir "$work/overlays"
  cp -R "$OVERLAYS_DIR/$K8S_OVERLAY" "$work/overlays/$K8S_OVERLAY"
  overlay="$work/overlays/$K8S_OVERLAY"
fi

# --- secrets ------------------------------------------------------------------
write_secret() { # <file in secrets/> <environment variable> [directory, default the base's secrets/]
  if [[ -n "${!2:-}" ]]; then
    printf '%s' "${!2}" >"${3:-$work/manifest/secrets}/$1"
  fi
}
write_secret mysql-root-password K8S_MYSQL_ROOT_PASSWORD
write_secret mysql-password K8S_MYSQL_PASSWORD
write_secret session-secret K8S_SESSION_SECRET
write_secret tls.crt K8S_TLS_CRT
write_secret tls.key K8S_TLS_KEY
write_secret bootstrap-admin K8S_BOOTSTRAP_ADMIN
write_secret smtp-url K8S_SMTP_URL
make_bootstrap_admin="scripts/make-bootstrap-admin.sh $MANIFEST_DIR/secrets/bootstrap-admin"
required=(session-secret:K8S_SESSION_SECRET tls.crt:K8S_TLS_CRT tls.key:K8S_TLS_KEY bootstrap-admin:K8S_BOOTSTRAP_ADMIN)
if [[ -n "$managed" ]]; then
  # The overlay removes the MySQL Secret; kustomize still reads its files while rendering.
  for f in mysql-root-password mysql-password; do
    [[ -s "$work/manifest/secrets/$f" ]] || printf 'unused: the managed database has its own users' >"$work/manifest/secrets/$f"
  done
else
  required=(mysql-root-password:K8S_MYSQL_ROOT_PASSWORD mysql-password:K8S_MYSQL_PASSWORD "${required[@]}")
fi
missing=()
for f in "${required[@]}"; do
  [[ -s "$work/manifest/secrets/${f%%:*}" ]] || missing+=("secrets/${f%%:*} (or ${f##*:})")
done
if ((${#missing[@]} > 0)); then
  hint=''
  [[ -s "$work/manifest/secrets/bootstrap-admin" ]] ||
    hint="; make secrets/bootstrap-admin (the first staff admin, with a random password) with: $make_bootstrap_admin"
  die "missing secret value(s): ${missing[*]}; create the files in $MANIFEST_DIR/secrets/ (see the *.example files) or set the variables$hint"
fi

# SMTP is optional: the app runs without it, sends nothing and its pages say so.
if [[ -s "$work/manifest/secrets/smtp-url" ]]; then
  smtp_set=1
else
  smtp_set=''
  : >"$work/manifest/secrets/smtp-url"
  echo "No SMTP URL (secrets/smtp-url or K8S_SMTP_URL): the worker will send no e-mail" >&2
fi

# --- secret strength -------------------------------------------------------------
# Refuse what the app itself would refuse at start-up (src/platform/secret-strength.ts),
# before anything is applied, rather than leave crash-looping pods behind.
# Placeholders: the committed *.example files and .env.example all say change-me or
# Placeholder.
placeholder_re='change[-_ ]?me|placeholder|example|replace[-_ ]?(me|this)|your[-_ ]?secret|not[-_ ]?secret'
# PEM text may legitimately name example.com; only the placeholder marker counts there.
tls_placeholder_re='placeholder'
how_to_generate='generate one with: openssl rand -hex 32'

# refuse_placeholder <file in secrets/> <environment variable> <regex> <how to make one>
#                    [directory holding the file, default the base's secrets/ [its name in messages]]
refuse_placeholder() {
  local value
  value="$(<"${5:-$work/manifest/secrets}/$1")"
  shopt -s nocasematch
  if [[ "$value" =~ $3 ]]; then
    die "${6:-secrets}/$1 (or $2) is a placeholder (it contains \"${BASH_REMATCH[0]}\"), not a secret; $4"
  fi
  shopt -u nocasematch
}
if [[ -z "$managed" ]]; then
  refuse_placeholder mysql-root-password K8S_MYSQL_ROOT_PASSWORD "$placeholder_re" 'generate one with: openssl rand -hex 24'
  refuse_placeholder mysql-password K8S_MYSQL_PASSWORD "$placeholder_re" 'generate one with: openssl rand -hex 24'
fi
refuse_placeholder session-secret K8S_SESSION_SECRET "$placeholder_re" "$how_to_generate"
refuse_placeholder tls.crt K8S_TLS_CRT "$tls_placeholder_re" 'use the PEM certificate (chain) the web pods serve'
refuse_placeholder tls.key K8S_TLS_KEY "$tls_placeholder_re" 'use the PEM private key of tls.crt'
refuse_placeholder smtp-url K8S_SMTP_URL "$placeholder_re" 'use your SMTP server, e.g. smtp://user:password@smtp.your-provider.net:587'

# Predictable session secrets: the same estimate as the app, the characters' Shannon
# entropy (from their frequencies in the secret) times its length. A random hex
# string of 32 characters scores about 120 bits; 32 x "a" or 32 spaces score 0. The
# secret reaches awk through the environment, never on a command line.
session_secret="$(<"$work/manifest/secrets/session-secret")"
((${#session_secret} >= 32)) ||
  die "the session secret must be at least 32 characters long (it has ${#session_secret}); $how_to_generate"
rating="$(SECRET="$session_secret" LC_ALL=C awk 'BEGIN {
  s = ENVIRON["SECRET"]; n = length(s)
  for (i = 1; i <= n; i++) count[substr(s, i, 1)]++
  for (c in count) { distinct++; p = count[c] / n; h -= p * log(p) / log(2) }
  printf "%d %d\n", distinct, h * n
}')" || die "could not rate the session secret (awk failed)"
unset session_secret
read -r distinct bits <<<"$rating"
((distinct > 1)) ||
  die "the session secret is one character repeated, not a secret; $how_to_generate"
((distinct >= 8)) ||
  die "the session secret has only $distinct different characters (at least 8 needed), too predictable; $how_to_generate"
((bits >= 96)) ||
  die "the session secret is too predictable: about $bits bits by its character frequencies (at least 96 needed); $how_to_generate"

# --- bootstrap admin ---------------------------------------------------------------
# The app reads this file with Node's util.parseEnv; dotenv_value reads it the same way
# for one-line values: "KEY=value" lines (optionally "export KEY=value"), blank lines and
# "#" comments; a value in '...', "..." or `...` is taken as quoted ("\n" is a newline
# inside "..."), an unquoted one ends at the first "#" and is trimmed; the last line for
# a key wins. A quote left open on its line (a value over several lines) is refused
# rather than guessed at.
# dotenv_value <file> <key>: prints the value; exit 1 when the key is absent, exit 2 (and
# prints the line number) when a quoted value, of any key, does not close on its line.
dotenv_value() {
  LC_ALL=C awk -v want="$2" '
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    {
      line = $0; gsub(/\r/, "", line); line = trim(line)
      if (line == "" || substr(line, 1, 1) == "#") next
      eq = index(line, "="); if (eq == 0) next
      key = trim(substr(line, 1, eq - 1))
      if (substr(key, 1, 7) == "export ") key = trim(substr(key, 8))
      rest = trim(substr(line, eq + 1)); q = substr(rest, 1, 1)
      quoted = q == "\"" || q == "\047" || q == "`"
      # Any key: util.parseEnv would read the lines after an open quote into its value.
      if (quoted && index(substr(rest, 2), q) == 0) { bad = NR; exit }
      if (key != want) next
      if (quoted) {
        value = substr(rest, 2, index(substr(rest, 2), q) - 1)
        if (q == "\"") gsub(/\\n/, "\n", value)
      } else {
        hash = index(rest, "#"); if (hash > 0) rest = substr(rest, 1, hash - 1)
        value = trim(rest)
      }
      found = 1
    }
    END {
      if (bad) { printf "%d", bad; exit 2 }
      if (!found) exit 1
      printf "%s", value
    }' "$1"
}
bootstrap_file="$work/manifest/secrets/bootstrap-admin"
bootstrap_name='secrets/bootstrap-admin (or K8S_BOOTSTRAP_ADMIN)'
how_to_bootstrap="make one with: $make_bootstrap_admin (or give password_hash=\$argon2id\$... instead of password=)"
# read_bootstrap <key>: sets $value ("" when absent); dies on an unclosed quote.
read_bootstrap() {
  local rc=0
  value="$(dotenv_value "$bootstrap_file" "$1")" || rc=$?
  if ((rc == 2)); then
    die "$bootstrap_name: line $value opens a quote that does not close on that line; write each value on one line"
  elif ((rc != 0)); then
    value=''
  fi
}
read_bootstrap username
[[ -n "$value" ]] ||
  die "$bootstrap_name has no username= (the first staff admin's user name); $how_to_bootstrap"
read_bootstrap password_hash
if [[ -n "$value" ]]; then
  # Only its shape is checked: "$argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>".
  [[ "$value" =~ ^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$ ]] ||
    die "$bootstrap_name: password_hash is not an argon2id hash (\$argon2id\$v=19\$m=...,t=...,p=...\$<salt>\$<hash>)"
else
  read_bootstrap password
  [[ -n "$value" ]] ||
    die "$bootstrap_name has neither password= nor password_hash=; $how_to_bootstrap"
  bootstrap_password="$value"
  example_password="$(dotenv_value "$work/manifest/secrets/bootstrap-admin.example" password 2>/dev/null)" ||
    example_password=''
  [[ -z "$example_password" || "$bootstrap_password" != "$example_password" ]] ||
    die "$bootstrap_name still has the password of secrets/bootstrap-admin.example, a placeholder, not a secret; $how_to_bootstrap"
  shopt -s nocasematch
  if [[ "$bootstrap_password" =~ $placeholder_re ]]; then
    die "$bootstrap_name: the password is a placeholder (it contains \"${BASH_REMATCH[0]}\"), not a secret; $how_to_bootstrap"
  fi
  shopt -u nocasematch
  # Characters, not bytes: UTF-8 continuation bytes do not count.
  length="$(PW="$bootstrap_password" LC_ALL=C awk 'BEGIN { s = ENVIRON["PW"]; gsub(/[\200-\277]/, "", s); print length(s) }')"
  unset bootstrap_password example_password
  ((length >= 12)) ||
    die "the bootstrap admin password in $bootstrap_name must be at least 12 characters long (it has $length); $how_to_bootstrap"
fi
unset value

# --- mail settings ----------------------------------------------------------------
# The base's crm-mail ConfigMap holds placeholders; these variables replace them.
mail_literals=''
[[ -z "${REMINDERS_AT:-}" || "$REMINDERS_AT" =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] ||
  die "REMINDERS_AT '$REMINDERS_AT' is not a time of day as HH:MM, e.g. 09:00"
for name in MAIL_FROM PUBLIC_BASE_URL REMINDERS_AT; do
  value="${!name:-}"
  [[ -z "$value" ]] && continue
  [[ "$value" != *[$'\n\r"\\']* ]] || die "$name must be one line without double quotes or backslashes"
  mail_literals+="      - \"$name=$value\""$'\n'
done
mail_generator=''
[[ -z "$mail_literals" ]] || mail_generator="configMapGenerator:
  - name: crm-mail
    behavior: merge
    literals:
$mail_literals"
# Where the worker may open SMTP connections (the worker-smtp-egress NetworkPolicy).
smtp_ports="${SMTP_EGRESS_PORTS:-587 465 25}"
smtp_cidr="${SMTP_EGRESS_CIDR:-0.0.0.0/0}"
[[ "$smtp_cidr" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$ ]] ||
  die "SMTP_EGRESS_CIDR '$smtp_cidr' is not an IPv4 CIDR such as 10.0.12.7/32 or 0.0.0.0/0"
smtp_port_list=''
for port in $smtp_ports; do
  if ! [[ "$port" =~ ^[0-9]{1,5}$ ]] || ((10#$port < 1 || 10#$port > 65535)); then
    die "SMTP_EGRESS_PORTS must be TCP port numbers separated by spaces (e.g. \"587 465\"), not '$smtp_ports'"
  fi
  smtp_port_list+="${smtp_port_list:+, }{protocol: TCP, port: $port}"
done
[[ -n "$smtp_port_list" ]] || die "SMTP_EGRESS_PORTS is empty; give the SMTP server's port(s), e.g. \"587\""

# --- managed database ---------------------------------------------------------------
# The overlay's Secret crm-database, CA bundle and egress policy, checked before anything
# is applied: a pod would otherwise crash-loop on a placeholder URL or certificate, or
# time out against the documentation CIDR.
db_egress_patch=''
if [[ -n "$managed" ]]; then
  overlay_name="overlays/$K8S_OVERLAY"
  write_secret database-url K8S_DATABASE_URL "$overlay/secrets"
  write_secret database-replica-url K8S_DATABASE_REPLICA_URL "$overlay/secrets"
  write_secret migrate-database-url K8S_MIGRATE_DATABASE_URL "$overlay/secrets"
  write_secret ca-bundle.pem K8S_DB_CA_BUNDLE "$overlay/db-ca"
  [[ -f "$overlay/secrets/database-replica-url" ]] || : >"$overlay/secrets/database-replica-url"
  missing=()
  for f in secrets/database-url:K8S_DATABASE_URL secrets/migrate-database-url:K8S_MIGRATE_DATABASE_URL db-ca/ca-bundle.pem:K8S_DB_CA_BUNDLE; do
    [[ -s "$overlay/${f%%:*}" ]] || missing+=("$overlay_name/${f%%:*} (or ${f##*:})")
  done
  ((${#missing[@]} == 0)) || die "missing managed-database value(s): ${missing[*]}; see k8s/README.md, Running on a managed database"
  how_to_url='use the database endpoint and its user, e.g. mysql://crm_app:PASSWORD@crm.cluster-ID.REGION.rds.amazonaws.com:3306/crm'
  for f in database-url:K8S_DATABASE_URL database-replica-url:K8S_DATABASE_REPLICA_URL migrate-database-url:K8S_MIGRATE_DATABASE_URL; do
    refuse_placeholder "${f%%:*}" "${f##*:}" "$placeholder_re" "$how_to_url" "$overlay/secrets" "$overlay_name/secrets"
  done
  # url_part <url> engine|host|port: mysql or postgres, the host name, the port ("" if none).
  url_part() {
    local rest="${1#*://}" engine="${1%%://*}" hostport
    rest="${rest%%/*}"
    hostport="${rest##*@}"
    case "$2" in
      engine) [[ "$engine" == postgresql ]] && engine=postgres; printf '%s' "$engine" ;;
      host) printf '%s' "${hostport%%:*}" ;;
      port) if [[ "$hostport" == *:* ]]; then printf '%s' "${hostport##*:}"; fi ;;
    esac
  }
  writer_url="$(<"$overlay/secrets/database-url")"
  migrate_url="$(<"$overlay/secrets/migrate-database-url")"
  replica_urls="$(<"$overlay/secrets/database-replica-url")"
  engine="$(url_part "$writer_url" engine)"
  # As the app reads DATABASE_REPLICA_URL: comma-separated, each trimmed, empty ones skipped.
  IFS=',' read -r -a replica_list <<<"$replica_urls"
  for url in "$writer_url" "$migrate_url" "${replica_list[@]}"; do
    url="${url#"${url%%[![:space:]]*}"}"
    url="${url%"${url##*[![:space:]]}"}"
    [[ -n "$url" ]] || continue
    [[ "$url" =~ ^(mysql|postgres|postgresql)://[^/@]+@[^/@]+/[^/]+$ ]] ||
      die "a managed-database URL is not mysql://USER:PASSWORD@HOST[:PORT]/DATABASE or postgres://…; $how_to_url"
    [[ "$(url_part "$url" engine)" == "$engine" ]] ||
      die "the managed-database URLs name different engines ($engine and $(url_part "$url" engine)): the replicas and the migrator use the writer's"
  done
  [[ "$(url_part "$migrate_url" host)" == "$(url_part "$writer_url" host)" ]] ||
    die "the migrator's URL (migrate-database-url) names $(url_part "$migrate_url" host), not the writer $(url_part "$writer_url" host): migrations run on the writer"
  grep -q -- '-----BEGIN CERTIFICATE-----' "$overlay/db-ca/ca-bundle.pem" ||
    die "$overlay_name/db-ca/ca-bundle.pem (or K8S_DB_CA_BUNDLE) holds no PEM certificate; download the provider's CA bundle (k8s/README.md)"
  db_cidr="${DB_EGRESS_CIDR:-}"
  [[ -n "$db_cidr" ]] || die "DB_EGRESS_CIDR is not set: give the database's subnets (RDS/Aurora: the DB subnet group's; Cloud SQL: the private services range), e.g. 10.0.32.0/20"
  [[ "$db_cidr" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$ ]] ||
    die "DB_EGRESS_CIDR '$db_cidr' is not an IPv4 CIDR such as 10.0.32.0/20"
  [[ "$db_cidr" != 192.0.2.* ]] || die "DB_EGRESS_CIDR $db_cidr is the documentation range of the overlay's placeholder, where nothing answers; give the database's subnets"
  db_port="${DB_EGRESS_PORT:-$(url_part "$writer_url" port)}"
  [[ -n "$db_port" ]] || { [[ "$engine" == mysql ]] && db_port=3306 || db_port=5432; }
  if ! [[ "$db_port" =~ ^[0-9]{1,5}$ ]] || ((10#$db_port < 1 || 10#$db_port > 65535)); then
    die "DB_EGRESS_PORT '$db_port' is not a TCP port number"
  fi
  db_egress_patch="  - target: {kind: NetworkPolicy, name: database-egress}
    patch: |-
      - {op: replace, path: /spec/egress/1, value: {to: [{ipBlock: {cidr: \"$db_cidr\"}}], ports: [{protocol: TCP, port: $((10#$db_port))}]}}"
fi

# --- render -------------------------------------------------------------------
rendered_from=manifest
[[ -z "$managed" ]] || rendered_from="overlays/$K8S_OVERLAY"
mkdir "$work/deploy"
cat >"$work/deploy/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../$rendered_from
images:
  - name: globomantics-crm
    newName: $REGISTRY/$IMAGE
    newTag: "$IMAGE_TAG"
patches:
  - target: {kind: Job, name: crm-migrate}
    patch: |-
      - {op: replace, path: /metadata/name, value: "$migrate_job"}
      - {op: add, path: /metadata/labels/app.kubernetes.io~1version, value: "$IMAGE_TAG"}
      - {op: add, path: /spec/template/metadata/labels/app.kubernetes.io~1version, value: "$IMAGE_TAG"}
  - target: {kind: Deployment, name: "^(web|worker)$"}
    patch: |-
      - {op: add, path: /metadata/labels/app.kubernetes.io~1version, value: "$IMAGE_TAG"}
      - {op: add, path: /spec/template/metadata/labels/app.kubernetes.io~1version, value: "$IMAGE_TAG"}
  - target: {kind: NetworkPolicy, name: worker-smtp-egress}
    patch: |-
      - {op: replace, path: /spec/egress, value: [{to: [{ipBlock: {cidr: "$smtp_cidr"}}], ports: [$smtp_port_list]}]}
$db_egress_patch
$mail_generator
EOF
kubectl kustomize "$work/deploy" >"$work/rendered.yaml" || die "kustomize failed to render $MANIFEST_DIR"
# With an SMTP server, customers would get mail from, and links to, a placeholder.
if [[ -n "$smtp_set" ]]; then
  for name in MAIL_FROM PUBLIC_BASE_URL; do
    if grep -Eq "^  $name: .*example\.(com|org|net)" "$work/rendered.yaml"; then
      die "$name is still the placeholder of k8s/manifest/kustomization.yaml while an SMTP URL is set; set $name (e.g. MAIL_FROM='Billing <billing@your-domain>', PUBLIC_BASE_URL=https://crm.your-domain)"
    fi
  done
fi
echo "Deploying $image_ref to namespace $NAMESPACE${managed:+ on the managed database (overlays/$K8S_OVERLAY)}"

# --- phase 1: database, config and migrations -----------------------------------
# A Job's pod template is immutable; re-deploying the same tag re-runs its migrations
# (they are idempotent) instead of failing on "field is immutable".
kubectl -n "$NAMESPACE" delete job "$migrate_job" --ignore-not-found --wait=true >/dev/null 2>&1 || true
# Web and the worker both run the new code: neither may start before the migrations.
kubectl apply -f "$work/rendered.yaml" -l 'app.kubernetes.io/component notin (web,worker)' ||
  die "kubectl apply (database, config, migration Job) failed"
# A managed database is the provider's to run: only the in-cluster MySQL is waited for.
if [[ -z "$managed" ]]; then
  kubectl -n "$NAMESPACE" rollout status statefulset/db --timeout="$ROLLOUT_TIMEOUT" ||
    die "the database StatefulSet did not become ready within $ROLLOUT_TIMEOUT"
fi
# Without Redis web would still serve, but every pod would count rate limits alone.
kubectl -n "$NAMESPACE" rollout status deployment/redis --timeout="$ROLLOUT_TIMEOUT" ||
  die "the redis Deployment did not become ready within $ROLLOUT_TIMEOUT; web and the worker were not updated"
if ! kubectl -n "$NAMESPACE" wait --for=condition=complete "job/$migrate_job" --timeout="$MIGRATION_TIMEOUT"; then
  kubectl -n "$NAMESPACE" logs "job/$migrate_job" --tail=100 >&2 || true
  die "migration Job $migrate_job did not complete within $MIGRATION_TIMEOUT; web and the worker were not updated"
fi

# --- phase 2: web and the outbox worker -------------------------------------------
kubectl apply -f "$work/rendered.yaml" || die "kubectl apply failed"
if ! kubectl -n "$NAMESPACE" rollout status deployment/web --timeout="$ROLLOUT_TIMEOUT"; then
  kubectl -n "$NAMESPACE" get pods -o wide >&2 || true
  die "rollout of deployment/web to $image_ref failed or timed out after $ROLLOUT_TIMEOUT (old pods keep serving; inspect with kubectl -n $NAMESPACE describe deployment/web)"
fi
if ! kubectl -n "$NAMESPACE" rollout status deployment/worker --timeout="$ROLLOUT_TIMEOUT"; then
  kubectl -n "$NAMESPACE" logs deployment/worker --tail=50 >&2 || true
  die "rollout of deployment/worker to $image_ref failed or timed out after $ROLLOUT_TIMEOUT (the old worker keeps sending; inspect with kubectl -n $NAMESPACE describe deployment/worker)"
fi

kubectl -n "$NAMESPACE" get pods,services -o wide
echo "Deployed $image_ref"
