#!/usr/bin/env bash
# shm-exec: run a binary from /dev/shm, a world-writable tmpfs that
# attackers use to stage tools.
. "$(dirname "$0")/lib/common.bash"

[ -d /dev/shm ] || die "/dev/shm is missing"
payload=/dev/shm/rewind-sample-$$
on_exit rm -f "$payload"
cp "$BIN/tiny" "$payload"
chmod 0755 "$payload"

spawn run_pid "$payload"
truth execs "$(jobj pid:="$run_pid" ppid:=$$ filename="$payload" exe_path="$payload" argv:="$(jarr "$payload")" \
	exe:="$(filestat "$payload" 0 0)" from_memfd:=false writable:=true short_lived:=true)"

linger
truth_write
