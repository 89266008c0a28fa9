#!/usr/bin/env bash
# PostgreSQL figures: in one run, PostgreSQL's single-row commit rate (synchronous_commit = on, fsync on)
# and the desk's ack ceiling on it with 1 and 3 replicas. See TestPGCommitFigures in
# cmd/firstline/pgfigures_test.go. It starts a cluster of its own with the durable defaults (the test
# cluster of scripts/pgcluster.sh runs with fsync off), on a free loopback port, and removes it.
#
#   scripts/pgfigures.sh
#   STEP=5s scripts/pgfigures.sh
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$(mktemp -d /tmp/fl-pgfigures.XXXXXX)
chmod 755 "$dir"
trap 'scripts/pgcluster.sh stop "$dir/pg" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
eval "$(scripts/pgcluster.sh start "$dir/pg")"
port=$(echo "$FIRSTLINE_TEST_PG_DSN" | sed -E 's/.*:([0-9]+)\/.*/\1/')
pg_ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | head -1 || command -v pg_ctl)
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# The same cluster started again without the test cluster's fsync = off and synchronous_commit = off.
as_owner "$pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null
as_owner "$pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -k $dir/pg -c max_connections=300" start >/dev/null
export FIRSTLINE_TEST_PG_DSN FIRSTLINE_PG_FIGURES=1
[ -z "${STEP:-}" ] || export FIRSTLINE_LOAD_STEP="$STEP"
go test ./cmd/firstline -run '^TestPGCommitFigures$' -count=1 -v -timeout 30m
