#!/usr/bin/env bash
# container: a hand-built container, with no container runtime. An
# overlayfs root (lower = an "image" holding only the static helper,
# upper = a temp dir), new pid, mount, UTS, IPC and network namespaces
# (unshare -p -f --mount-proc), and a cgroup v2 directory named like a
# docker scope (docker-<64 hex>.scope) that the processes join. Inside,
# pid 1 drops a new binary into the upper layer, makes it executable and
# runs it. The mounts live only in the sandbox's mount namespace; the
# cgroup is removed at the end.
. "$(dirname "$0")/lib/common.bash"

command -v unshare >/dev/null || die "unshare(1) is missing (util-linux)"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
grep -qw overlay /proc/filesystems || die "the kernel has no overlayfs"

# The cgroup v2 hierarchy: /sys/fs/cgroup/unified on hybrid hosts,
# /sys/fs/cgroup on unified ones.
cgroot=""
for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if [ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ]; then
		cgroot=$d
		break
	fi
done
[ -n "$cgroot" ] || die "no cgroup v2 hierarchy mounted"

cid=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
[ ${#cid} = 64 ] || die "cannot make a container id"
cg=$cgroot/docker-$cid.scope
mkdir "$cg"
on_exit rmdir "$cg"
# Before the rmdir: end whatever is still in the cgroup.
on_exit sh -c 'for p in $(cat "$1/cgroup.procs"); do kill -9 "$p"; done; sleep 0.1' sh "$cg"

root=$TMPD/ctr
mkdir -p "$root/lower/bin" "$root/lower/out" "$root/upper" "$root/work" "$root/merged" "$root/out"
cp "$BIN/rewind-sample" "$root/lower/bin/rewind-sample"
chmod 0755 "$root/lower/bin/rewind-sample"

# The sandbox's own shell mounts the overlay and binds the out dir (so the
# host can read what pid 1 writes), then becomes pid 1's program.
inner='set -e
mount -t overlay overlay -o "lowerdir=$1/lower,upperdir=$1/upper,workdir=$1/work" "$1/merged"
mount --bind "$1/out" "$1/merged/out"
exec chroot "$1/merged" /bin/rewind-sample container-init /out'
(
	echo "$BASHPID" >"$cg/cgroup.procs"
	exec unshare --pid --fork --mount-proc --mount --uts --ipc --net -- /bin/sh -c "$inner" sh "$root"
) &
shim=$!
on_exit sh -c 'kill -9 "$1" 2>/dev/null || true' sh "$shim"

# Wait until the dropped payload reports, then map sandbox pids to host
# pids through the cgroup (every process in it is ours).
for _ in $(seq 500); do
	[ -f "$root/out/payload.json" ] && break
	kill -0 "$shim" 2>/dev/null || die "the sandbox exited early"
	sleep 0.01
done
[ -f "$root/out/payload.json" ] || die "the payload never reported"
payload_vpid=$(jget "$root/out/payload.json" vpid)
init_pid="" payload_pid=""
for p in $(cat "$cg/cgroup.procs"); do
	nspid=$(awk '/^NSpid:/ {print $NF}' "/proc/$p/status" 2>/dev/null) || continue
	inner_count=$(awk '/^NSpid:/ {print NF - 1}' "/proc/$p/status" 2>/dev/null) || continue
	[ "$inner_count" = 2 ] || continue # host pid + sandbox pid
	case $nspid in
	1) init_pid=$p ;;
	"$payload_vpid") payload_pid=$p ;;
	esac
done
[ -n "$init_pid" ] && [ -n "$payload_pid" ] || die "cannot find the sandbox's processes in $cg"
init_info=$TMPD/init-proc.json
"$BIN/rewind-sample" procinfo "$init_pid" >"$init_info"
payload_info=$TMPD/payload-proc.json
"$BIN/rewind-sample" procinfo "$payload_pid" >"$payload_info"
# stat through the sandbox's root: the same overlay files pid 1 sees.
init_exe=$(filestat "/proc/$init_pid/root/bin/rewind-sample")
payload_exe=$(filestat "/proc/$payload_pid/root/drop/payload" 0 0)
[ "$(jget "$payload_info" cgroup)" = "/docker-$cid.scope" ] || die "payload is in cgroup $(jget "$payload_info" cgroup)"
nsobj=$(sed -n 's/.*"ns":\({[^}]*}\).*/\1/p' "$payload_info")
init_start=$(jget "$init_info" start_ns)

touch "$root/out/release"
rc=0
wait "$shim" || rc=$?
[ "$rc" = 0 ] || die "the sandbox exited with $rc"
[ -f "$root/upper/drop/payload" ] || die "the payload is not in the upper layer"

truth execs "$(jobj pid:="$shim" ppid:=$$ exe_path="$(exe_of unshare)" container_id="$cid")"
truth execs "$(jobj pid:="$init_pid" ppid:="$shim" filename=/bin/rewind-sample exe_path_suffix=/bin/rewind-sample \
	argv:="$(jarr /bin/rewind-sample container-init /out)" exe:="$init_exe" vpid:=1 \
	container_id="$cid" upper_layer:=false lower_layer:=true from_memfd:=false \
	pidns_init_pid:="$init_pid" pidns_init_start_ns_approx:="$init_start")"
truth execs "$(jobj pid:="$payload_pid" ppid:="$init_pid" filename=/drop/payload exe_path_suffix=/drop/payload \
	argv:="$(jarr /drop/payload report /out/payload.json /out/release)" exe:="$payload_exe" \
	vpid:="$payload_vpid" container_id="$cid" upper_layer:=true lower_layer:=false from_memfd:=false writable:=true \
	pidns_init_pid:="$init_pid" pidns_init_start_ns_approx:="$init_start" ns:="$nsobj")"
truth opens "$(jobj pid:="$init_pid" path_suffix=/drop/payload flags_set:=65)"
truth files "$(jobj pid:="$init_pid" syscalls:='["chmod","fchmodat","fchmodat2"]' path_suffix=/drop/payload mode:=493)"
truth security "$(jobj pid:="$shim" syscalls:='["unshare"]' ret:=0)"
truth forks "$(jobj pid:="$init_pid" child_pid:="$payload_pid")"
truth exits "$(jobj pid:="$payload_pid" exit_code:=0)"

truth_write
