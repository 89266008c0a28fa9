#!/usr/bin/env bash
# Disk-full tests: the data file on a full disk (storage: a failed commit keeps nothing, the file stays
# sound, writes resume when space returns), the real binary serving Slack while its disk fills and is
# freed (no acknowledgement without a commit, a clear error in the log, Slack's retries accepted after,
# no reply posted twice), and a read-only data directory (every command that writes refuses at once,
# naming the file). Prints the figures. See storage/diskfull_test.go and cmd/firstline/diskfull*_test.go.
#
# The full disk is RLIMIT_FSIZE (any user); as root, also a small tmpfs filled to ENOSPC, and the
# read-only directory a read-only bind mount (root ignores chmod).
#
#   scripts/diskfull.sh                        once
#   COUNT=5 scripts/diskfull.sh                five times (timing varies between runs)
#   KEEP_LOG=/tmp/desk.log scripts/diskfull.sh keep the desk's log of the running test
set -euo pipefail
cd "$(dirname "$0")/.."

export FIRSTLINE_DISKFULL_LOG="${KEEP_LOG:-}"
[ -n "$FIRSTLINE_DISKFULL_LOG" ] || unset FIRSTLINE_DISKFULL_LOG

echo "running as uid $(id -u); load: $(uptime)"
go test ./storage -run '^TestCommitOnAFullDisk$' -count="${COUNT:-1}" -v "$@"
go test ./cmd/firstline -run '^(TestDiskFullWhileRunning|TestReadOnlyDataDir)$' -count="${COUNT:-1}" -v -timeout 10m "$@"
