#!/usr/bin/env bash
# Checks e-mail end to end on a running compose project with the mail catcher
# (profile mailcatcher) and SMTP_URL=smtp://mailcatcher:1025: gives an account
# an address, queues its statement with `crm statements --email` in the web
# container, and waits until the worker service has delivered it to the mail
# catcher. Then the message must carry the statement PDF, its outbox row be
# "sent" under the Message-ID the catcher saw, and a worker heartbeat be fresh.
# The account's address is removed again afterwards.
#
#   COMPOSE="docker compose" MAILCATCHER_URL=http://127.0.0.1:1080 scripts/containers/check-mail.sh
#
# Environment: COMPOSE (default "docker compose"; its project options too, e.g.
# "docker-compose -f docker-compose.yml -p NAME --env-file FILE --profile mailcatcher"),
# MAILCATCHER_URL (default http://127.0.0.1:1080), MAIL_ACCOUNT (default ACCT100),
# MAIL_WAIT (seconds, default 60). Prints one line with what it saw and the
# milliseconds from queueing to the catcher's listing; exit 1 with the reason
# otherwise. The database credentials never leave the db container.
set -euo pipefail

COMPOSE="${COMPOSE:-docker compose}"
MAILCATCHER_URL="${MAILCATCHER_URL:-http://127.0.0.1:1080}"
MAIL_ACCOUNT="${MAIL_ACCOUNT:-ACCT100}"
MAIL_WAIT="${MAIL_WAIT:-60}"
MAIL_TO="check-$(date +%s)-$RANDOM@customer.test"

fail() {
  printf '%s: %s\n' "${0##*/}" "$*" >&2
  exit 1
}
# $COMPOSE is a command line with options: split on purpose.
# shellcheck disable=SC2086
compose() { $COMPOSE "$@"; }
# sql QUERY: tab-separated rows, as the app's database user, inside the db container.
# The credentials expand inside the db container, from its own environment.
# shellcheck disable=SC2016
sql() {
  compose exec -T db sh -c 'mysql -N -B -h127.0.0.1 -u"$MYSQL_USER" -p"$MYSQL_PASSWORD" "$MYSQL_DATABASE" 2>/dev/null' <<<"$1"
}
[[ "$MAIL_ACCOUNT" =~ ^[A-Za-z0-9_-]+$ ]] || fail "MAIL_ACCOUNT '$MAIL_ACCOUNT' is not an account id"

worker="$(compose ps -q worker)"
[ -n "$worker" ] || fail "no worker container"
state="$(docker inspect -f '{{.State.Status}} {{.RestartCount}} {{json .Config.Cmd}}' "$worker")"
[ "$state" = 'running 0 ["node","dist/cli/main.js","worker"]' ] || fail "worker state, restarts, command: $state"

sql "UPDATE account SET email='$MAIL_TO' WHERE acctid='$MAIL_ACCOUNT'" || fail "cannot give $MAIL_ACCOUNT an e-mail address"
trap 'sql "UPDATE account SET email=NULL WHERE acctid='"'$MAIL_ACCOUNT'"'" || true' EXIT
t0="$(date +%s%N)"
queued="$(compose exec -T web node dist/cli/main.js statements --email 2>&1)" || fail "crm statements --email failed: $queued"
grep -q '^queued  *[1-9]' <<<"$queued" || fail "crm statements --email queued nothing: $queued"

deadline=$(( $(date +%s) + MAIL_WAIT ))
while :; do
  found="$(curl -sS --max-time 5 "$MAILCATCHER_URL/messages" | node -e "
    const list = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const m = list.find((x) => x.envelope.to.includes(process.argv[1]));
    if (m) console.log([m.messageId, m.attachments.map((a) => a.contentType + ':' + a.size).join(','), m.subject].join('\t'));" "$MAIL_TO" || true)"
  [ -n "$found" ] && break
  [ "$(date +%s)" -lt "$deadline" ] ||
    fail "no message for $MAIL_TO at the mail catcher after ${MAIL_WAIT}s; outbox: $(sql "SELECT id, status, attempts, last_error FROM outbox_message WHERE to_address='$MAIL_TO'" | tr '\n' ' ')"
  sleep 1
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
IFS=$'\t' read -r message_id attachments subject <<<"$found"
case "$attachments" in application/pdf:[1-9]*) ;; *) fail "the statement arrived without its PDF: '$attachments'" ;; esac
# One row, sent, under the Message-ID the worker fixed for it (with or without <>).
row="$(sql "SELECT status, message_id FROM outbox_message WHERE to_address='$MAIL_TO'" | tr -d '<>')"
[ "$row" = "$(printf 'sent\t%s' "$message_id" | tr -d '<>')" ] || fail "outbox row '$row', the mail catcher got Message-ID $message_id"
heartbeats="$(sql "SELECT COUNT(*) FROM outbox_worker WHERE last_ran_at >= $(( $(date +%s) - 120 ))000")"
[ "${heartbeats:-0}" -ge 1 ] || fail "no worker heartbeat in the last 2 minutes"
echo "'$subject' queued by crm statements --email, sent by the worker, at the mail catcher with $attachments in $ms ms; outbox row sent under the same Message-ID; worker heartbeat fresh"
