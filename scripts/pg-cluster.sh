#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: a fresh cluster in <dir>, listening on 127.0.0.1 on a free
# port and on a unix socket in <dir>, trust authentication, fsync off. Nothing outside <dir> is
# touched; `stop` removes <dir>. Run as root, the server runs as the postgres user (initdb refuses
# root) and <dir> is handed to it.
# Usage: scripts/pg-cluster.sh start <dir>   prints the URL (postgresql://...), also in <dir>/url
#        scripts/pg-cluster.sh stop <dir>
# HOOKD_PG_BINDIR overrides where initdb and pg_ctl are found (default: Debian's PostgreSQL 15).
set -euo pipefail
cmd="${1:?usage: pg-cluster.sh start|stop <dir>}"
dir="${2:?usage: pg-cluster.sh start|stop <dir>}"

bindir="${HOOKD_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
if [ ! -x "$bindir/pg_ctl" ]; then
  # Another Debian major version, when 15 is not there.
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
fi
[ -x "$bindir/pg_ctl" ] || { echo "pg-cluster: no PostgreSQL server (install postgresql-15)" >&2; exit 1; }

as=()
if [ "$(id -u)" -eq 0 ]; then as=(runuser -u postgres --); fi

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    [ ${#as[@]} -eq 0 ] || chown postgres:postgres "$dir"
    "${as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # Speed over durability: the cluster lives for one test run.
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 200
logging_collector = off
CONF
    # A free port: one nothing answers on; another is tried when the server cannot bind it.
    for _ in 1 2 3 4 5 6 7 8; do
      port=$((20000 + RANDOM % 40000))
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
      if "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
           -o "-p $port" start >/dev/null 2>&1; then
        url="postgresql://postgres@127.0.0.1:$port/postgres"
        echo "$url" >"$dir/url"
        echo "$url"
        exit 0
      fi
      grep -q "could not bind\|could not create any TCP/IP sockets" "$dir/server.log" 2>/dev/null || break
    done
    echo "pg-cluster: the server did not start; its log:" >&2
    cat "$dir/server.log" >&2 2>/dev/null || true
    exit 1
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    # Refuse to remove a directory this script did not make.
    if [ -e "$dir/data" ] && [ ! -f "$dir/data/PG_VERSION" ]; then
      echo "pg-cluster: $dir/data is not a PostgreSQL cluster; left alone" >&2
      exit 1
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then
      "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir/data" "$dir/url" "$dir/initdb.log" "$dir/server.log"
    rmdir "$dir" 2>/dev/null || true
    ;;
  *) echo "usage: pg-cluster.sh start|stop <dir>" >&2; exit 2 ;;
esac
