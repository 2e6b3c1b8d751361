#!/usr/bin/env bash
# memfd-exec: copy a binary into an anonymous memfd_create file and run it
# with execveat(AT_EMPTY_PATH), leaving nothing on disk.
. "$(dirname "$0")/lib/common.bash"

mt=$TMPD/memfd.json
spawn run_pid "$BIN/rewind-sample" memfd-exec "$BIN/tiny" "$mt"
[ "$(jget "$mt" pid)" = "$run_pid" ] || die "helper pid $(jget "$mt" pid) is not the spawned $run_pid"

truth security "$(jobj pid:="$run_pid" syscalls:='["memfd_create"]' ret:="$(jget "$mt" memfd_fd)")"
truth execs "$(jobj pid:="$run_pid" ppid:=$$ syscall=execveat exe_path_prefix="/$(jget "$mt" memfd_name)" \
	exe:="$(jobj sha256="$(jget "$mt" sha256)" size:="$(jget "$mt" size)")" from_memfd:=true upper_layer:=false short_lived:=true)"

truth_write
