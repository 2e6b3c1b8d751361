#!/usr/bin/env bash
# memfd-exec: copy a binary into an anonymous memfd_create file and run it
# with execveat(AT_EMPTY_PATH), leaving nothing on disk. The payload (the
# helper itself, told to wait 0.3 s) lives on only in memory: a memfd has
# no path, so the recorder can hash it only through the live process.
. "$(dirname "$0")/lib/common.bash"

mt=$TMPD/memfd.json
spawn run_pid "$BIN/rewind-sample" memfd-exec "$BIN/rewind-sample" "$mt" hold 0.3
[ "$(jget "$mt" pid)" = "$run_pid" ] || die "helper pid $(jget "$mt" pid) is not the spawned $run_pid"

truth security "$(jobj pid:="$run_pid" syscalls:='["memfd_create"]' ret:="$(jget "$mt" memfd_fd)")"
truth execs "$(jobj pid:="$run_pid" ppid:=$$ syscall=execveat exe_path_prefix="/$(jget "$mt" memfd_name)" \
	exe:="$(jobj sha256="$(jget "$mt" sha256)" size:="$(jget "$mt" size)")" \
	argv:="$(jarr rewind-sample hold 0.3)" from_memfd:=true upper_layer:=false)"

truth_write
