#!/bin/bash
# Entrypoint of the OFFLINE STAND-IN for the official redis image (Debian's
# redis-server). Like the official entrypoint: options alone or a *.conf file
# as the first argument mean redis-server; started as root it drops to the
# redis user (the official image uses gosu or setpriv, this one setpriv from
# util-linux); as any other user it runs the command unchanged. The official image is built with
# protected mode off (a container's port is reachable only where it is
# published or networked); Debian's binary is not, so it is switched off here.
set -euo pipefail

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi

if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

if [ "$1" = redis-server ]; then
  shift
  # Before the caller's options, so that an explicit --protected-mode wins;
  # after the config file, which redis-server wants first.
  if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ]; then
    conf="$1"
    shift
    set -- redis-server "$conf" --protected-mode no "$@"
  else
    set -- redis-server --protected-mode no "$@"
  fi
fi

if [ "$(umask)" = 0022 ]; then
  umask 0077
fi
exec "$@"
