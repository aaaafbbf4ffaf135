#!/usr/bin/env bash
# Starts or stops a private Docker engine for the container tests.
#
#   scripts/containers/daemon.sh start   # prints nothing on success
#   scripts/containers/daemon.sh stop
#   scripts/containers/daemon.sh status
#
# The engine is Debian's dockerd with its own socket (DOCKER_HOST, see lib.sh),
# --exec-root, pidfile, config file and a bridge of its own (gcrm0). It runs
# with --iptables=false --ip-masq=false --ip-forward=false: it adds no
# firewall rule and changes no sysctl. Published ports still work on
# 127.0.0.1 through docker-proxy, and containers on one compose network
# still reach each other over the bridge. Containers cannot reach the outside
# world; image builds that need the package registries use the host's network
# (docker build --network host, or BUILD_NETWORK=host for compose).
# `stop` removes what `start` created: the daemon (by its PID), leftover
# mounts, and the bridges it made (gcrm0 and br-* that did not exist before).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

LINKS_BEFORE="$GLOBO_DOCKER_EXEC_ROOT.links-before"

daemon_pid() {
  local pid
  [ -f "$GLOBO_DOCKER_PIDFILE" ] || return 1
  pid=$(cat "$GLOBO_DOCKER_PIDFILE")
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -q dockerd "/proc/$pid/comm" 2>/dev/null && echo "$pid"
}

start() {
  need_root
  if docker_up; then
    return 0
  fi
  # A daemon of ours that does not answer, or leftovers of one: clean first.
  stop_daemon quiet
  mkdir -p "$GLOBO_DOCKER_DATA_ROOT" "$GLOBO_DOCKER_EXEC_ROOT" "$(dirname "$GLOBO_DOCKER_LOG")"
  ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' > "$LINKS_BEFORE"
  if ! ip link show "$GLOBO_BRIDGE" >/dev/null 2>&1; then
    ip link add "$GLOBO_BRIDGE" type bridge
    ip addr add "$GLOBO_BRIDGE_CIDR" dev "$GLOBO_BRIDGE"
    ip link set "$GLOBO_BRIDGE" up
  fi
  echo '{}' > "$GLOBO_DOCKER_EXEC_ROOT.json"
  : > "$GLOBO_DOCKER_LOG"
  setsid dockerd \
    --config-file "$GLOBO_DOCKER_EXEC_ROOT.json" \
    --host "unix://$GLOBO_DOCKER_SOCK" \
    --data-root "$GLOBO_DOCKER_DATA_ROOT" \
    --exec-root "$GLOBO_DOCKER_EXEC_ROOT" \
    --pidfile "$GLOBO_DOCKER_PIDFILE" \
    --bridge "$GLOBO_BRIDGE" \
    --default-address-pool "$GLOBO_ADDRESS_POOL" \
    --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
    --userland-proxy=true \
    --storage-driver overlay2 \
    --log-level warn \
    </dev/null >>"$GLOBO_DOCKER_LOG" 2>&1 &
  for _ in $(seq 1 60); do
    if docker_up; then
      return 0
    fi
    sleep 1
  done
  tail -n 30 "$GLOBO_DOCKER_LOG" >&2 || true
  die "dockerd did not answer on $GLOBO_DOCKER_SOCK within 60s (log: $GLOBO_DOCKER_LOG)"
}

stop_daemon() {
  local pid cpid
  if pid=$(daemon_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do
      [ -d "/proc/$pid" ] || break
      sleep 0.5
    done
    if [ -d "/proc/$pid" ]; then
      [ "${1:-}" = quiet ] || log "dockerd $pid ignored SIGTERM for 20s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
    fi
  fi
  # The containerd that dockerd started for itself, if it outlived it.
  cpid=$(cat "$GLOBO_DOCKER_EXEC_ROOT/containerd/containerd.pid" 2>/dev/null || true)
  if [ -n "$cpid" ] && [ -d "/proc/$cpid" ] && grep -q containerd "/proc/$cpid/comm" 2>/dev/null; then
    kill -TERM "$cpid" 2>/dev/null || true
    sleep 2
    if [ -d "/proc/$cpid" ]; then kill -KILL "$cpid" 2>/dev/null || true; fi
  fi
  # Mounts left under our roots (innermost first).
  local m
  for m in $(awk '{print $2}' /proc/mounts | grep -E "^($GLOBO_DOCKER_EXEC_ROOT|$GLOBO_DOCKER_DATA_ROOT)/" | sort -r || true); do
    umount -l "$m" 2>/dev/null || true
  done
  # Bridges and veths this daemon made.
  local link
  for link in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'); do
    case "$link" in
      "$GLOBO_BRIDGE") ip link delete "$link" 2>/dev/null || true ;;
      br-*|veth*)
        if [ -f "$LINKS_BEFORE" ] && ! grep -qx "$link" "$LINKS_BEFORE"; then
          ip link delete "$link" 2>/dev/null || true
        fi ;;
    esac
  done
  rm -f "$GLOBO_DOCKER_SOCK" "$GLOBO_DOCKER_PIDFILE" "$GLOBO_DOCKER_EXEC_ROOT.json" "$LINKS_BEFORE"
  if ! grep -q " $GLOBO_DOCKER_EXEC_ROOT" /proc/mounts; then rm -rf "$GLOBO_DOCKER_EXEC_ROOT"; fi
}

case "${1:-}" in
  start) start ;;
  stop) need_root; stop_daemon ;;
  status)
    if docker_up; then echo "running (pid $(daemon_pid || echo '?'), DOCKER_HOST=$DOCKER_HOST)"; else echo "not running"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
