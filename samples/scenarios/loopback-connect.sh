#!/usr/bin/env bash
# loopback-connect: listen on 127.0.0.1, connect to it, accept, exchange a
# byte (all in one helper process, with blocking calls).
. "$(dirname "$0")/lib/common.bash"

lt=$TMPD/loopback.json
spawn pid "$BIN/rewind-sample" loopback "$lt"
port=$(jget "$lt" port)
cport=$(jget "$lt" client_port)
truth net "$(jobj pid:="$pid" syscalls:='["connect"]' family:=2 daddr=127.0.0.1 dport:="$port" \
	saddr=127.0.0.1 sport:="$cport" ret:=0 fd:="$(jget "$lt" client_fd)")"
truth net "$(jobj pid:="$pid" syscalls:='["listen"]' ret:=0 fd:="$(jget "$lt" listen_fd)")"
truth net "$(jobj pid:="$pid" syscalls:='["accept","accept4"]' ret:="$(jget "$lt" accepted_fd)")"

truth_write
