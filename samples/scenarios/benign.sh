#!/usr/bin/env bash
# benign: what every host does all day (ls, cat of an ordinary file, a
# shell running a command). Rules must stay silent on it.
. "$(dirname "$0")/lib/common.bash"

notes=$TMPD/notes.txt
printf 'nothing to see here\n' >"$notes"

spawn ls_pid ls -la "$TMPD" >/dev/null
ls_path=$(command -v ls)
truth execs "$(jobj pid:="$ls_pid" ppid:=$$ filename="$ls_path" exe_path="$(exe_of ls)" \
	argv:="$(jarr ls -la "$TMPD")" exe:="$(filestat "$(exe_of ls)")" uid:=0 euid:=0 \
	from_memfd:=false upper_layer:=false)"

spawn cat_pid cat "$notes" >/dev/null
truth execs "$(jobj pid:="$cat_pid" ppid:=$$ exe_path="$(exe_of cat)" argv:="$(jarr cat "$notes")" \
	exe:="$(filestat "$(exe_of cat)")")"
truth opens "$(jobj pid:="$cat_pid" path="$notes" ino:="$(stat -c %i "$notes")" flags_set:=0 flags_clear:=3)"

# The child shell runs `true` as a builtin and exits with 3.
sh_pid=""
sh -c 'true; exit 3' &
sh_pid=$!
rc=0
wait "$sh_pid" || rc=$?
[ "$rc" = 3 ] || die "sh -c exited with $rc, want 3"
truth forks "$(jobj pid:=$$ child_pid:="$sh_pid")"
truth exits "$(jobj pid:="$sh_pid" exit_code:=3)"
truth execs "$(jobj pid:="$sh_pid" ppid:=$$ exe_path="$(exe_of sh)" argv:="$(jarr sh -c 'true; exit 3')" \
	exe:="$(filestat "$(exe_of sh)")")"

truth_write
