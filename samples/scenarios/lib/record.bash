# Shared by samples/make-samples.sh and scripts/demo.sh (sourced): run
# rewind-record around a command.

# The line rewind-record prints on stderr once it captures (keep in step
# with e2e/recorder_test.go).
REWIND_READY_PATTERN='^rewind-record: recording'

# record_start RECORDER DIR LOG [FLAG...]: start RECORDER -o DIR in the
# background with stderr in LOG, and wait (at most 60 s) until it says it
# is recording. Sets RECORD_PID. Returns 1, with the log's tail on
# stderr, when it exits or never gets ready.
record_start() {
	local bin=$1 dir=$2 log=$3
	shift 3
	"$bin" -o "$dir" "$@" 2>"$log" >/dev/null &
	RECORD_PID=$!
	local i
	for ((i = 0; i < 600; i++)); do
		if grep -qE "$REWIND_READY_PATTERN" "$log" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$RECORD_PID" 2>/dev/null; then
			wait "$RECORD_PID" 2>/dev/null
			tail -n 5 "$log" >&2
			return 1
		fi
		sleep 0.1
	done
	kill -INT "$RECORD_PID" 2>/dev/null
	wait "$RECORD_PID" 2>/dev/null
	echo "rewind-record was not ready after 60 s" >&2
	tail -n 5 "$log" >&2
	return 1
}

# record_stop: stop the recorder started by record_start with SIGINT (a
# clean close) and return its exit status.
record_stop() {
	local rc=0
	sleep 0.3 # let the last events leave the ring buffer
	kill -INT "$RECORD_PID" 2>/dev/null || return 1
	wait "$RECORD_PID" || rc=$?
	return "$rc"
}
