#!/usr/bin/env bash
# The long replica crash test: three replicas of the real binary on one PostgreSQL, one SIGKILLed at
# random 20 times under load (1,000 events, two technicians racing to claim every escalated ticket on two
# replicas, first responses due in 3 s) and PostgreSQL restarted once as after a crash; then 0
# acknowledged events lost, 0 duplicate tickets, 0 replies posted twice, the outbox empty, every claimed
# ticket with one owner (the other technician told once), every SLA notice posted once, and
# `firstline check` clean. See TestReplicaCrash in cmd/firstline/replicacrash_test.go.
#
#   scripts/replicatest.sh
#   ROUNDS=40 EVENTS=2000 SEED=42 scripts/replicatest.sh
#
# It starts a PostgreSQL cluster of its own (scripts/pgcluster.sh) in a temporary folder and removes it.
set -euo pipefail
cd "$(dirname "$0")/.."

pgdir=$(mktemp -d /tmp/fl-replicatest.XXXXXX)
chmod 755 "$pgdir"
trap 'scripts/pgcluster.sh stop "$pgdir/pg" >/dev/null 2>&1 || true; rm -rf "$pgdir"' EXIT
# synchronous_commit on: the restart is a crash of the server, and with it off PostgreSQL itself forgets
# the last commits it acknowledged, events the desk acknowledged after them.
# (An assignment first: set -e does not see a failure inside eval "$(...)".)
pgenv=$(SYNC_COMMIT=on scripts/pgcluster.sh start "$pgdir/pg")
eval "$pgenv"
export FIRSTLINE_TEST_PG_DSN
export CI="${CI:-1}" # without a database the test fails rather than skips (pgtest)
export FIRSTLINE_REPLICA_PG_RESTART="$PWD/scripts/pgcluster.sh restart $pgdir/pg"
export FIRSTLINE_CRASH_ROUNDS="${ROUNDS:-20}"
export FIRSTLINE_CRASH_EVENTS="${EVENTS:-1000}"
[ -z "${SEED:-}" ] || export FIRSTLINE_CRASH_SEED="$SEED"

go test ./cmd/firstline -run '^TestReplicaCrash$' -count=1 -v -timeout 60m
