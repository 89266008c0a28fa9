#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests, in a folder of its own, on a free loopback port.
#
#   eval "$(scripts/pgcluster.sh start /tmp/fl-pg)"   # prints: export FIRSTLINE_TEST_PG_DSN=...
#   go test ./storage/postgres/
#   scripts/pgcluster.sh restart /tmp/fl-pg           # restarts it as after a crash (scripts/replicatest.sh)
#   scripts/pgcluster.sh stop /tmp/fl-pg              # stops it and removes the folder
#
# It installs the Debian package postgresql-15 when initdb is missing. As root, initdb and pg_ctl refuse
# to run: they run as the postgres user (runuser), which owns the folder. The cluster trades durability
# for speed (fsync off): it is for tests, never for data. SYNC_COMMIT=on starts it with
# synchronous_commit on (the default here is off): a commit is then in the WAL, written to the kernel,
# before it is acknowledged, so it survives "restart" (a crash of the server, not of the machine), as the
# desk's promise needs; with it off, the last commits acknowledged before the restart can vanish.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi

find_bin() {
  for d in /usr/lib/postgresql/15/bin /usr/local/bin /usr/bin; do
    if [ -x "$d/$1" ]; then echo "$d/$1"; return 0; fi
  done
  command -v "$1" 2>/dev/null || return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
start)
  if ! find_bin initdb >/dev/null; then
    echo "installing postgresql-15" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >&2
  fi
  initdb=$(find_bin initdb)
  pg_ctl=$(find_bin pg_ctl)
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      echo "the postgres user cannot reach $dir: give it a folder whose parents it may enter (chmod 755)" >&2
      exit 1
    fi
  fi
  chmod 700 "$dir"
  # A free port: one nothing answers on (a race only with another starter, and the start fails then).
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  done
  as_owner "$initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
  }
  as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -k $dir -c fsync=off -c synchronous_commit=${SYNC_COMMIT:-off} -c full_page_writes=off -c max_connections=300" \
    start >&2 || {
    cat "$dir/server.log" >&2
    exit 1
  }
  echo "export FIRSTLINE_TEST_PG_DSN='postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable'"
  ;;
restart)
  # As a crash would (immediate: no checkpoint, connections cut), then up again with the same options.
  as_owner "$(find_bin pg_ctl)" -D "$dir/data" -l "$dir/server.log" -m immediate -w -t 60 restart >&2
  ;;
stop)
  if [ -d "$dir/data" ]; then
    as_owner "$(find_bin pg_ctl)" -D "$dir/data" -m immediate -w stop >&2 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|restart|stop DIR" >&2
  exit 2
  ;;
esac
