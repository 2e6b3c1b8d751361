#!/usr/bin/env bash
# unshare: enter new mount, UTS, IPC and network namespaces (unshare(1)),
# then run a shell there. The namespaces vanish with the process.
. "$(dirname "$0")/lib/common.bash"

command -v unshare >/dev/null || die "unshare(1) is missing (util-linux)"
ns=$TMPD/ns.json
spawn pid unshare --mount --uts --ipc --net -- /bin/sh -c "\"$BIN/rewind-sample\" procinfo \$\$ >\"$ns\""
nsobj=$(sed -n 's/.*"ns":\({[^}]*}\).*/\1/p' "$ns")
[ -n "$nsobj" ] || die "no namespaces in $ns"
[ "$(jget "$ns" pid)" = "$pid" ] || die "the shell's pid $(jget "$ns" pid) is not unshare's $pid"

# CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET
truth security "$(jobj pid:="$pid" syscalls:='["unshare"]' ns_flags:=$((0x20000 | 0x4000000 | 0x8000000 | 0x40000000)) ret:=0)"
truth execs "$(jobj pid:="$pid" ppid:=$$ exe_path="$(readlink -f /bin/sh)" ns:="$nsobj")"

truth_write
