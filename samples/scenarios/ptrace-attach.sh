#!/usr/bin/env bash
# ptrace-attach: attach to another process with PTRACE_ATTACH (what
# debuggers and code injectors do), then detach.
. "$(dirname "$0")/lib/common.bash"

pt=$TMPD/ptrace.json
spawn tracer_pid "$BIN/rewind-sample" ptrace-attach "$pt"
target=$(jget "$pt" target_pid)
truth security "$(jobj pid:="$tracer_pid" syscalls:='["ptrace"]' op:=16 target_pid:="$target" ret:=0)" # PTRACE_ATTACH
truth execs "$(jobj pid:="$target" ppid:="$tracer_pid" exe_path="$BIN/rewind-sample" argv:="$(jarr "$BIN/rewind-sample" hold 10)")"

truth_write
