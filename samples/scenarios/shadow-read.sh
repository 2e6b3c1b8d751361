#!/usr/bin/env bash
# shadow-read: read /etc/shadow (the password hashes).
. "$(dirname "$0")/lib/common.bash"

[ -f /etc/shadow ] || die "/etc/shadow is missing"
spawn cat_pid cat /etc/shadow >/dev/null
truth execs "$(jobj pid:="$cat_pid" ppid:=$$ exe_path="$(exe_of cat)" argv:="$(jarr cat /etc/shadow)")"
truth opens "$(jobj pid:="$cat_pid" path=/etc/shadow ino:="$(stat -c %i /etc/shadow)" flags_clear:=3)" # O_RDONLY

truth_write
