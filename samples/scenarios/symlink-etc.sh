#!/usr/bin/env bash
# symlink-etc: create a symlink in /etc that points at /etc/shadow, then
# remove it. Nothing else under /etc is touched.
. "$(dirname "$0")/lib/common.bash"

link=/etc/rewind-sample-link
if [ -e "$link" ] || [ -L "$link" ]; then
	[ -L "$link" ] || die "$link exists and is not a symlink: refusing to touch it"
	rm -f "$link" # left over by an interrupted run
fi
on_exit rm -f "$link"

spawn ln_pid ln -s /etc/shadow "$link"
truth files "$(jobj pid:="$ln_pid" syscalls:='["symlink","symlinkat"]' path_raw=/etc/shadow target_path="$link")"
spawn rm_pid rm -f "$link"
truth files "$(jobj pid:="$rm_pid" syscalls:='["unlink","unlinkat"]' path="$link")"
[ ! -L "$link" ] || die "$link still exists"

truth_write
