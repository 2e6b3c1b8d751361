#!/usr/bin/env bash
# setuid: a root process drops to nobody (65534) with setuid(2) and runs
# /bin/true; the exec must show the new uid, and the file is not
# writable by that uid.
. "$(dirname "$0")/lib/common.bash"

st=$TMPD/setuid.json
spawn pid "$BIN/rewind-sample" setuid-exec 65534 "$st" /bin/true
truth security "$(jobj pid:="$pid" syscalls:='["setuid"]' new_uid:=65534 ret:=0)"
truth execs "$(jobj pid:="$pid" ppid:=$$ filename=/bin/true exe_path="$(readlink -f /bin/true)" \
	exe:="$(filestat "$(readlink -f /bin/true)" 65534 0)" uid:=65534 euid:=65534 writable:=false)"

truth_write
