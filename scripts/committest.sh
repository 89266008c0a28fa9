#!/usr/bin/env bash
# Commit figures: in one run, the disk's fsync'd commit rate, bbolt's Batch from 64 goroutines, the store's
# Update from 64 goroutines (grouped and alone), and the desk's ack ceiling and ack p99 at 1,000 events a
# second with every event its own commit (before group commit) and with group commit, alternating. See
# TestCommitFigures in cmd/firstline/commitfigures_test.go.
#
#   scripts/committest.sh                          steps of 10 s, two rounds
#   STEP=5s ROUNDS=1 scripts/committest.sh
#   MODEL=0 scripts/committest.sh                  without the model
#   PROFILE_DIR=/tmp/prof scripts/committest.sh    keep the CPU profile there
#
# The figures depend on the machine and on what else runs on it: the load average is printed at the
# start and the end; run it on a quiet machine.
set -uo pipefail
cd "$(dirname "$0")/.."

export FIRSTLINE_COMMIT_FIGURES=1
[ -z "${STEP:-}" ] || export FIRSTLINE_LOAD_STEP="$STEP"
[ -z "${ROUNDS:-}" ] || export FIRSTLINE_COMMIT_ROUNDS="$ROUNDS"
[ -z "${MODEL:-}" ] || export FIRSTLINE_LOAD_MODEL="$MODEL"
prof="${PROFILE_DIR:-$(mktemp -d)}"
mkdir -p "$prof"

status=0
go test ./cmd/firstline -run '^TestCommitFigures$' -count=1 -v -timeout 60m \
	-cpuprofile "$prof/cpu.out" -o "$prof/firstline.test" "$@" 2>&1 | tee "$prof/output.txt" || status=$?
echo
echo "Where the commit path's CPU went (the writer's side: the functions a transaction runs and bbolt's commit):"
go tool pprof -top -cum -focus='storage\.\(\*DB\)\.(commitBatch|updateAlone)' \
	-show='storage\.|bbolt\.\(\*Tx\)\.Commit|bot\.' -nodecount=30 \
	"$prof/firstline.test" "$prof/cpu.out" 2>/dev/null | sed -n '1,40p' || true
exit "$status"
