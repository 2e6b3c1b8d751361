#!/usr/bin/env bash
# Regenerates the committed sample recordings: for each scenario of
# samples/scenarios (or the ones named as arguments), records it alone
# with bin/rewind-record into samples/recordings/<scenario>/ and keeps the
# scenario's ground truth beside it as samples/recordings/<scenario>.truth.json.
# Needs root; `make samples` builds the binaries first.
#
#   samples/make-samples.sh                 # every scenario
#   samples/make-samples.sh drift benign    # just these
#
# REWIND_RECORD is the recorder's path (default bin/rewind-record);
# REWIND_RECORD_FLAGS adds flags to it (for example
# "--dispatch raw").
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
. samples/scenarios/lib/record.bash

recorder=${REWIND_RECORD:-bin/rewind-record}
# Each sample is committed: keep it small.
max_bytes=$((2 * 1024 * 1024))

[ "$(id -u)" = 0 ] || { echo "make-samples: recording needs root" >&2; exit 1; }
[ -x "$recorder" ] || { echo "make-samples: $recorder missing: run make record (make samples does)" >&2; exit 1; }

if [ $# -gt 0 ]; then
	scenarios=("$@")
else
	scenarios=()
	for f in samples/scenarios/*.sh; do
		scenarios+=("$(basename "$f" .sh)")
	done
fi

work=$(mktemp -d /tmp/rewind-make-samples.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Build the helpers before recording: no compiler in the recordings.
samples/scenarios/lib/build-helpers.sh "$work/bin"
mkdir -p samples/recordings

failed=()
for s in "${scenarios[@]}"; do
	script=samples/scenarios/$s.sh
	[ -x "$script" ] || { echo "make-samples: no scenario $script" >&2; failed+=("$s"); continue; }
	rec=$work/$s
	log=$work/$s.log
	truth=$work/$s.truth.json
	# shellcheck disable=SC2086 # the flags are meant to split into words
	if ! record_start "$recorder" "$rec" "$log" ${REWIND_RECORD_FLAGS:-}; then
		echo "make-samples: $s: rewind-record did not start (log above)" >&2
		failed+=("$s")
		continue
	fi
	rc=0
	REWIND_TRUTH=$truth REWIND_SAMPLE_BIN=$work/bin setsid --wait "$script" >"$work/$s.out" 2>&1 || rc=$?
	record_stop || { echo "make-samples: $s: rewind-record exited with an error:" >&2; tail -n 5 "$log" >&2; rc=1; }
	if [ "$rc" != 0 ]; then
		echo "make-samples: $s: scenario failed:" >&2
		cat "$work/$s.out" >&2
		failed+=("$s")
		continue
	fi
	size=$(du -sb "$rec" | cut -f1)
	if [ "$size" -gt "$max_bytes" ]; then
		echo "make-samples: $s: recording is $size bytes, over $max_bytes: not kept" >&2
		failed+=("$s")
		continue
	fi
	rm -rf "samples/recordings/$s"
	cp -r "$rec" "samples/recordings/$s"
	# Committed files are read by anyone who clones; the recorder's 0600
	# is for live recordings on a host.
	chmod -R a+rX "samples/recordings/$s"
	cp "$truth" "samples/recordings/$s.truth.json"
	echo "make-samples: $s: $size bytes in samples/recordings/$s"
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "make-samples: failed: ${failed[*]}" >&2
	exit 1
fi
