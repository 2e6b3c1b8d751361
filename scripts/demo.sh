#!/usr/bin/env bash
# rewind demo (run by `make demo`, which builds bin/ first). As root with
# working eBPF, records three scripted scenarios (drift: drop + chmod +
# exec; memfd-exec: fileless exec; benign) with bin/rewind-record, whose
# --freeze-on tests the sample rules as it records (info then shows the
# rule that froze retention), then replays the recording: info, verify,
# the sample rules, the drift query,
# and the process tree below each scenario's script. Without root, or when recording fails, it says so
# in one line and replays the committed samples in samples/recordings/.
# REWIND_RECORD_FLAGS adds flags to rewind-record (e.g. "--dispatch raw").
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
. samples/scenarios/lib/record.bash

replay=bin/rewind-replay
recorder=bin/rewind-record
scenarios=(drift memfd-exec benign)

[ -x "$replay" ] || { echo "demo: $replay missing: run make demo (it builds first)" >&2; exit 1; }

work=$(mktemp -d /tmp/rewind-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

# record_live: one recording holding all of $scenarios, in $work/rec.
# Prints why on failure.
record_live() {
	if [ "$(id -u)" != 0 ]; then
		echo "not root"
		return 1
	fi
	[ -x "$recorder" ] || { echo "$recorder missing"; return 1; }
	samples/scenarios/lib/build-helpers.sh "$work/bin" >"$work/build.log" 2>&1 ||
		{ echo "cannot build the scenario helpers (see go/gcc)"; return 1; }
	# shellcheck disable=SC2086 # the flags are meant to split into words
	record_start "$recorder" "$work/rec" "$work/record.log" --freeze-on samples/rules/rewind_rules.yaml ${REWIND_RECORD_FLAGS:-} 2>"$work/start.err" ||
		{ echo "rewind-record did not start: $(tail -n 1 "$work/start.err")"; return 1; }
	local s
	for s in "${scenarios[@]}"; do
		echo "demo: running scenario $s" >&2
		REWIND_TRUTH=$work/$s.truth.json REWIND_SAMPLE_BIN=$work/bin "samples/scenarios/$s.sh" >/dev/null 2>"$work/$s.err" ||
			echo "demo: scenario $s failed: $(tail -n 1 "$work/$s.err")" >&2
	done
	record_stop || { echo "rewind-record failed: $(tail -n 1 "$work/record.log")"; return 1; }
	sed 's/^/  /' "$work/record.log" >&2
}

# recordings lists recording directories; truths[i] holds the truth
# files of the scenarios in recordings[i] (space-separated).
recordings=()
truths=()
if why=$(record_live); then
	echo "demo: recorded ${scenarios[*]} into $work/rec"
	recordings=("$work/rec")
	truths=("$(for s in "${scenarios[@]}"; do printf '%s ' "$work/$s.truth.json"; done)")
else
	echo "demo: not recording ($why): replaying the committed samples in samples/recordings/ instead"
	for s in "${scenarios[@]}"; do
		if [ -d "samples/recordings/$s" ]; then
			recordings+=("samples/recordings/$s")
			truths+=("samples/recordings/$s.truth.json")
		fi
	done
	[ ${#recordings[@]} -gt 0 ] || { echo "demo: no committed samples in samples/recordings/ either" >&2; exit 1; }
fi

# script_pid TRUTH: the pid of the scenario script (its process subtree
# is the scenario).
script_pid() {
	grep -o '"script_pid":[0-9]*' "$1" 2>/dev/null | head -n 1 | cut -d: -f2
}

rules=()
for f in samples/rules/*.yaml; do
	[ -f "$f" ] && rules+=(-r "$f")
done

missing=()
failed=()
# step ARGS...: run one rewind-replay command; exit 1 means findings
# (alerts, tampering), not a failure.
step() {
	echo
	echo "\$ rewind-replay $*"
	local out rc=0
	out=$("$replay" "$@" 2>&1) || rc=$?
	printf '%s\n' "$out" | head -n 40
	if grep -q 'unknown command' <<<"$out"; then
		missing+=("$1")
	elif [ "$rc" -gt 1 ]; then
		failed+=("$1 (exit $rc)")
	fi
}

for i in "${!recordings[@]}"; do
	rec=${recordings[i]}
	echo
	echo "=== $rec"
	step info "$rec"
	step verify "$rec"
	if [ ${#rules[@]} -gt 0 ]; then
		step rules "${rules[@]}" "$rec"
	else
		echo "demo: no samples/rules/*.yaml: rules step skipped"
	fi
	step query drift "$rec"
	for truth in ${truths[i]}; do
		pid=$(script_pid "$truth")
		if [ -n "$pid" ]; then
			echo
			echo "# the scenario $(basename "$truth" .truth.json) ran as pid $pid"
			step query process-tree --param "pid=$pid" "$rec"
		fi
	done
done

echo
[ ${#missing[@]} -eq 0 ] || echo "demo: rewind-replay subcommands not available yet: $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
[ ${#failed[@]} -eq 0 ] || { echo "demo: failed steps: ${failed[*]}"; exit 1; }
echo "demo: done"
