#!/usr/bin/env bash
# drift: drop a new binary, chmod +x it and run it at once (the pattern of
# a downloaded tool). The binary is "tiny", whose process lives for a few
# microseconds: the recorder must still report its sha256.
. "$(dirname "$0")/lib/common.bash"

drop=$TMPD/drop
mkdir -p "$drop"
payload=$drop/payload

spawn cp_pid cp "$BIN/tiny" "$payload"
truth opens "$(jobj pid:="$cp_pid" path="$payload" ino:="$(stat -c %i "$payload")" flags_set:=65)" # O_WRONLY|O_CREAT

spawn chmod_pid chmod 0755 "$payload"
truth files "$(jobj pid:="$chmod_pid" syscalls:='["chmod","fchmodat","fchmodat2"]' path="$payload" mode:=493)"

spawn run_pid "$payload"
truth execs "$(jobj pid:="$run_pid" ppid:=$$ filename="$payload" exe_path="$payload" argv:="$(jarr "$payload")" \
	exe:="$(filestat "$payload" 0 0)" uid:=0 from_memfd:=false upper_layer:=false writable:=true short_lived:=true)"

linger
truth_write
