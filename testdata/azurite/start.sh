#!/usr/bin/env bash
# Starts Azurite's blob service on 127.0.0.1 (a free port), in memory, and
# waits until it listens. Prints two lines and exits, leaving it running:
#   pid=<PID>
#   url=http://127.0.0.1:<PORT>
# The caller stops it by PID. Its log goes to WORKDIR/azurite.log.
# usage: testdata/azurite/start.sh WORKDIR
# Exit status 3: Azurite is not installed (see install.sh).
set -euo pipefail
work=${1:?usage: start.sh WORKDIR}
dir=${LITHOPS_AZURITE_DIR:-$HOME/.cache/lithops/azurite}
bin=$dir/node_modules/.bin/azurite-blob
if [[ ! -x $bin ]]; then
	echo "azurite is not installed in $dir: run testdata/azurite/install.sh" >&2
	exit 3
fi
mkdir -p "$work"
log=$work/azurite.log
cd "$work"
# setsid: its own process group, so it outlives this script and ignores the
# test's terminal signals; the Go test kills it by PID.
setsid "$bin" --blobHost 127.0.0.1 --blobPort 0 --inMemoryPersistence \
	--disableTelemetry --skipApiVersionCheck >"$log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 600); do
	if url=$(grep -o 'successfully listens on http://127\.0\.0\.1:[0-9]*' "$log"); then
		echo "pid=$pid"
		echo "url=${url#successfully listens on }"
		exit 0
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "azurite exited before listening:" >&2
		cat "$log" >&2
		exit 1
	fi
	sleep 0.1
done
kill "$pid" 2>/dev/null || true
echo "azurite did not listen within 60 s:" >&2
cat "$log" >&2
exit 1
