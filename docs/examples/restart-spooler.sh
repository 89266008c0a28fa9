#!/bin/sh
# A stand-in for a script that restarts a print server's spooler (docs/actions.md, "A local program").
# The desk runs it with fixed arguments: --host and the host, as one argument whatever it holds.
# FIRSTLINE_PREVIEW=1 is the action's preview: say what would be done, and do nothing.
set -eu
if [ "$#" -ne 2 ] || [ "$1" != "--host" ]; then
	echo "usage: restart-spooler.sh --host HOST" >&2
	exit 2
fi
host=$2
if [ "${FIRSTLINE_PREVIEW:-}" = "1" ]; then
	printf 'Would restart the print spooler on %s (run %s).\n' "$host" "${FIRSTLINE_RUN:-?}"
	exit 0
fi
printf 'Restarting the print spooler on %s (run %s, key %s)... done.\n' "$host" "${FIRSTLINE_RUN:-?}" "${FIRSTLINE_IDEMPOTENCY_KEY:-?}"
