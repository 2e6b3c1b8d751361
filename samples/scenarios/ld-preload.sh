#!/usr/bin/env bash
# ld-preload: run a program with LD_PRELOAD naming a shared object in a
# temp dir (the library injection pattern).
. "$(dirname "$0")/lib/common.bash"

lib=$TMPD/lib/librewind-sample.so
mkdir -p "$TMPD/lib"
cp "$BIN/librewind-sample.so" "$lib"

LD_PRELOAD=$lib /bin/true &
pid=$!
wait "$pid" || die "LD_PRELOAD=$lib /bin/true failed"
truth forks "$(jobj pid:=$$ child_pid:="$pid")"
truth exits "$(jobj pid:="$pid" exit_code:=0)"
truth execs "$(jobj pid:="$pid" ppid:=$$ exe_path="$(readlink -f /bin/true)" env:="$(jarr "LD_PRELOAD=$lib")")"
truth opens "$(jobj pid:="$pid" path="$lib" ino:="$(stat -c %i "$lib")")"

truth_write
