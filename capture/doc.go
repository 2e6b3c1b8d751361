// Package capture owns the recording pipeline between the kernel reader
// (package bpf) and the segment writer (package format): the /proc scan
// and live process table that feed keyframes, exe hashing with identity
// checks, container and user resolution, redaction, heartbeats and the
// non-blocking hand-off of events to the writer. It neither loads eBPF
// programs nor knows the on-disk layout.
package capture
