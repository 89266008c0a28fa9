#!/usr/bin/env bash
# Crash test: runs the real binary in Slack HTTP mode against a fake Slack, sends signed events from a few
# senders, kills the desk with SIGKILL at random moments and restarts it, then checks that nothing
# acknowledged was lost, nothing was recorded twice, every reply due was posted, and `firstline check`
# passes. Prints the figures. See cmd/firstline/crash_test.go.
#
#   scripts/crashtest.sh                       50 rounds, 1,000 events, a random seed
#   ROUNDS=10 EVENTS=200 SEED=42 scripts/crashtest.sh
#   STRICT=1 scripts/crashtest.sh              also fail when a reply was posted twice
#   SLACK_AFTER=50ms scripts/crashtest.sh      Slack answers up to 50 ms after it shows a message
#   KEEP_LOG=/tmp/desk.log scripts/crashtest.sh  keep the desk's log
set -euo pipefail
cd "$(dirname "$0")/.."

export FIRSTLINE_CRASH_ROUNDS="${ROUNDS:-50}"
export FIRSTLINE_CRASH_EVENTS="${EVENTS:-1000}"
export FIRSTLINE_CRASH_SEED="${SEED:-}"
export FIRSTLINE_CRASH_STRICT="${STRICT:-}"
export FIRSTLINE_CRASH_SLACK_BEFORE="${SLACK_BEFORE:-}"
export FIRSTLINE_CRASH_SLACK_AFTER="${SLACK_AFTER:-}"
export FIRSTLINE_CRASH_LOG="${KEEP_LOG:-}"
[ -n "$FIRSTLINE_CRASH_SEED" ] || unset FIRSTLINE_CRASH_SEED
[ -n "$FIRSTLINE_CRASH_SLACK_BEFORE" ] || unset FIRSTLINE_CRASH_SLACK_BEFORE
[ -n "$FIRSTLINE_CRASH_SLACK_AFTER" ] || unset FIRSTLINE_CRASH_SLACK_AFTER

echo "load: $(uptime)"
go test ./cmd/firstline -run '^TestCrash$' -count=1 -v -timeout 30m "$@"
