#!/usr/bin/env bash
# persistence: append to a cron file (/etc/cron.d/rewind-sample, created
# and then deleted: it holds only a comment) and to a .bashrc in a temp
# home directory.
. "$(dirname "$0")/lib/common.bash"

marker="# written by rewind samples/scenarios/persistence.sh; safe to delete"
crondir=/etc/cron.d
cronfile=$crondir/rewind-sample
if [ ! -d "$crondir" ]; then
	mkdir "$crondir"
	on_exit rmdir "$crondir"
fi
if [ -e "$cronfile" ] && ! grep -qF "$marker" "$cronfile"; then
	die "$cronfile exists and is not ours: refusing to touch it"
fi
on_exit rm -f "$cronfile"
rm -f "$cronfile"

# O_WRONLY|O_CREAT|O_APPEND = 1|0100|02000
spawn cron_pid sh -c 'printf "%s\n" "$1" >>"$2"' sh "$marker" "$cronfile"
truth opens "$(jobj pid:="$cron_pid" path="$cronfile" ino:="$(stat -c %i "$cronfile")" flags_set:=1089)"
spawn rm_pid rm -f "$cronfile"
truth files "$(jobj pid:="$rm_pid" syscalls:='["unlink","unlinkat"]' path="$cronfile")"

home=$TMPD/home
mkdir -p "$home"
spawn rc_pid sh -c 'printf "%s\n" "$1" >>"$2"' sh "$marker" "$home/.bashrc"
truth opens "$(jobj pid:="$rc_pid" path="$home/.bashrc" ino:="$(stat -c %i "$home/.bashrc")" flags_set:=1089)"

truth_write
