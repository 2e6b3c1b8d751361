# Shared by the scenario scripts in samples/scenarios (sourced, not run).
#
# A scenario runs as root, works in its own temp dir, undoes every change
# it makes outside it (in reverse order, also on failure), and writes the
# ground truth that only exists at run time (pids, inodes, ctimes,
# hashes, namespace ids...) as one JSON object to $REWIND_TRUTH (stdout
# when unset). e2e/ compares recordings against that truth; its shape is
# described in samples/README.md.
#
# Helpers come from $REWIND_SAMPLE_BIN when it holds them (the recorder
# tests build them before recording, so that compiler activity stays out
# of the recording); otherwise they are built into the temp dir.

set -euo pipefail
umask 022

SCENARIO=$(basename "${BASH_SOURCE[1]}" .sh)
SCENARIO_DIR=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)

die() {
	echo "$SCENARIO: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root (it records privileged operations)"

TMPD=$(mktemp -d "/tmp/rewind-sample-$SCENARIO.XXXXXX")
_cleanups=()

# on_exit CMD...: run CMD when the script ends, last registered first.
on_exit() {
	local q
	printf -v q '%q ' "$@"
	_cleanups+=("$q")
}

_run_cleanups() {
	local rc=$? i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[i]}" >/dev/null 2>&1 || echo "$SCENARIO: cleanup failed: ${_cleanups[i]}" >&2
	done
	rm -rf "$TMPD"
	exit "$rc"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

BIN=${REWIND_SAMPLE_BIN:-}
if [ -z "$BIN" ] || [ ! -x "$BIN/rewind-sample" ] || [ ! -x "$BIN/tiny" ] || [ ! -f "$BIN/librewind-sample.so" ]; then
	BIN=$TMPD/bin
	"$SCENARIO_DIR/lib/build-helpers.sh" "$BIN" >&2 || die "cannot build the helpers (needs go and gcc)"
fi

# ---- JSON ---------------------------------------------------------------

# jstr S: S as a JSON string.
jstr() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	s=${s//$'\t'/\\t}
	printf '"%s"' "$s"
}

# jarr S...: the arguments as a JSON array of strings.
jarr() {
	local out="" sep="" s
	for s in "$@"; do
		out+="$sep$(jstr "$s")"
		sep=,
	done
	printf '[%s]' "$out"
}

# jobj KEY=STRING KEY:=RAWJSON ...: a JSON object.
jobj() {
	local out="" sep="" kv k v
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		if [[ $k == *: ]]; then
			k=${k%:}
		else
			v=$(jstr "$v")
		fi
		out+="$sep\"$k\":$v"
		sep=,
	done
	printf '{%s}' "$out"
}

# jget FILE KEY: the first string or number value named KEY in a compact
# JSON file written by rewind-sample (enough for its flat keys).
jget() {
	local v
	v=$(grep -o "\"$2\":\(\"[^\"]*\"\|-\?[0-9][0-9]*\)" "$1" | head -n 1)
	[ -n "$v" ] || die "key $2 missing in $1"
	v=${v#*\":}
	v=${v#\"}
	printf '%s' "${v%\"}"
}

# ---- ground truth -------------------------------------------------------

declare -A _truth=([execs]="" [opens]="" [files]="" [net]="" [security]="" [forks]="" [exits]="")
TRUTH_STARTED_NS=$(date +%s%N)

# truth SECTION JSON: add one expected row (sections as in samples/README.md).
truth() {
	[ -n "${_truth[$1]+x}" ] || die "unknown truth section $1"
	if [ -n "${_truth[$1]}" ]; then
		_truth[$1]+=",$2"
	else
		_truth[$1]=$2
	fi
}

# truth_write: write the truth object, atomically, to $REWIND_TRUTH or stdout.
truth_write() {
	local body s
	body=$(jobj scenario="$SCENARIO" script_pid:=$$ pgid:="$(ps -o pgid= -p $$ | tr -d ' ')" \
		started_ns:="$TRUTH_STARTED_NS" finished_ns:="$(date +%s%N)")
	body=${body%\}}
	for s in execs opens files net security forks exits; do
		body+=",\"$s\":[${_truth[$s]}]"
	done
	body+="}"
	if [ -n "${REWIND_TRUTH:-}" ]; then
		printf '%s\n' "$body" >"$REWIND_TRUTH.tmp"
		mv -f "$REWIND_TRUTH.tmp" "$REWIND_TRUTH"
	else
		printf '%s\n' "$body"
	fi
}

# ---- processes ----------------------------------------------------------

# spawn VAR CMD...: run CMD as a child of this shell, wait for it, store
# its pid in VAR, and record the fork and the exit status as truth. A
# failing CMD fails the scenario.
spawn() {
	local _spawn_var=$1 _spawn_pid _spawn_rc=0 _spawn_parent=$BASHPID
	shift
	"$@" &
	_spawn_pid=$!
	wait "$_spawn_pid" || _spawn_rc=$?
	[ "$_spawn_rc" = 0 ] || die "$* exited with $_spawn_rc"
	printf -v "$_spawn_var" '%s' "$_spawn_pid"
	truth forks "$(jobj pid:="$_spawn_parent" child_pid:="$_spawn_pid")"
	truth exits "$(jobj pid:="$_spawn_pid" exit_code:=0)"
}

# linger: keep a dropped file on disk a moment after its process ended,
# as a dropped tool usually stays. A process that lives microseconds is
# gone before the recorder sees its exec; the recorder then hashes the
# file through its path, and must not find it already deleted by this
# script's cleanup.
linger() {
	sleep 0.5
}

# exe_of NAME: the path the kernel reports for a command found in PATH
# (symlinks such as /bin -> usr/bin resolved).
exe_of() {
	readlink -f "$(command -v "$1")"
}

# filestat PATH [UID GID]: stat(2) + sha256 of PATH as JSON (and whether
# UID/GID may write it).
filestat() {
	"$BIN/rewind-sample" stat "$@"
}
