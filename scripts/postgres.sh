#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: `start DIR` prints its URL, `stop DIR` ends it.
# `pause DIR` stops the server as an outage would (pg_ctl -m fast: connections cut), keeping its data;
# `resume DIR` starts it again on the same port (the chaos and outage tests).
# DIR keeps the state (the cluster's folder and port); the cluster itself lives in a fresh folder
# under /tmp that the server's user owns, since DIR's parents may not be readable to that user.
#
# Debian's `postgresql` package is installed when its binaries are missing (as root, as in CI).
# initdb refuses to run as root, so the cluster belongs to an unprivileged user (`postgres`,
# which the package creates). The server listens on 127.0.0.1 on a free port, with its socket
# inside DIR, trusts local connections, and keeps nothing after `stop`.
set -euo pipefail

usage() { echo "usage: $0 start|stop|pause|resume DIR" >&2; exit 64; }
[ $# -eq 2 ] || usage
action=$1
dir=$2

find_bin() {
    local found
    found=$(command -v pg_ctl 2>/dev/null || true)
    if [ -z "$found" ]; then
        found=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || true)
    fi
    [ -n "$found" ] && dirname "$(readlink -f "$found")"
}

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$action" in
start)
    bin=$(find_bin || true)
    if [ -z "$bin" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "PostgreSQL is not installed (apt-get install postgresql, as root)" >&2
            exit 1
        fi
        echo "installing Debian's postgresql package" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        bin=$(find_bin)
    fi
    mkdir -p "$dir"
    cluster=$(mktemp -d "${TMPDIR:-/tmp}/pg-throwaway.XXXXXX")
    chmod 755 "$cluster"
    echo "$cluster" >"$dir/cluster"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$cluster"
    fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$cluster/data" -U postgres --auth=trust --encoding=UTF8 --no-instructions >&2
    as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
        -o "-p $port -k $cluster -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2
    echo "$port" >"$dir/port"
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
pause)
    bin=$(find_bin)
    cluster=$(cat "$dir/cluster")
    as_owner "$bin/pg_ctl" -D "$cluster/data" -m fast -w stop >&2
    ;;
resume)
    bin=$(find_bin)
    cluster=$(cat "$dir/cluster")
    port=$(cat "$dir/port")
    as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
        -o "-p $port -k $cluster -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2
    ;;
stop)
    bin=$(find_bin)
    cluster=$(cat "$dir/cluster" 2>/dev/null || true)
    if [ -n "$cluster" ] && [ -d "$cluster/data" ]; then
        as_owner "$bin/pg_ctl" -D "$cluster/data" -m fast -w stop >&2 || true
        rm -rf "$cluster"
    fi
    rm -rf "$dir"
    ;;
*)
    usage
    ;;
esac
