#!/usr/bin/env bash
# Load test: drives the desk's Slack Events API endpoint on loopback with signed events at increasing
# rates (open loop), the fake Slack answering each Web API call in 50-150 ms and a fake model in 0.5-2 s,
# with one 10-second model call in flight from the start of each step. Prints, per step, the rate
# acknowledged and the ack latency p50/p99/max, the same while the 10 s call was in flight, the fsync'd
# commit rate of this disk now, and where the CPU went. See cmd/firstline/load_test.go.
#
#   scripts/loadtest.sh                               50,100,200,400,800,1600 ev/s, 10 s each
#   RATES=100,200 STEP=5s scripts/loadtest.sh
#   MODEL=0 scripts/loadtest.sh                       without the model
#   ASSERT_RATE=200 scripts/loadtest.sh               fail when the p99 is over 500 ms up to this rate (default 100)
#   PROFILE_DIR=/tmp/prof scripts/loadtest.sh         keep the CPU profile there
#
# The figures depend on the machine and on what else runs on it: the load average is printed before and
# after; run it on a quiet machine.
set -uo pipefail
cd "$(dirname "$0")/.."

export FIRSTLINE_LOAD=1
[ -z "${RATES:-}" ] || export FIRSTLINE_LOAD_RATES="$RATES"
[ -z "${STEP:-}" ] || export FIRSTLINE_LOAD_STEP="$STEP"
[ -z "${MODEL:-}" ] || export FIRSTLINE_LOAD_MODEL="$MODEL"
[ -z "${ASSERT_RATE:-}" ] || export FIRSTLINE_LOAD_ASSERT_RATE="$ASSERT_RATE"
prof="${PROFILE_DIR:-$(mktemp -d)}"
mkdir -p "$prof"

echo "before: $(uptime)"
status=0
go test ./cmd/firstline -run '^TestLoad$' -count=1 -v -timeout 30m \
	-cpuprofile "$prof/cpu.out" -o "$prof/firstline.test" "$@" 2>&1 | tee "$prof/output.txt" || status=$?
echo "after: $(uptime)"
echo
echo "CPU profile of the test process (the desk and the load generator): $prof/cpu.out"
go tool pprof -top -cum -nodecount=35 "$prof/firstline.test" "$prof/cpu.out" 2>/dev/null | sed -n '1,45p' || true
exit "$status"
