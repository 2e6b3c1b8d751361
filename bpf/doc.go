// Package bpf owns the kernel side of rewind-record: the eBPF C programs
// (rewind.bpf.c) and their committed bpf2go bindings, the loader that probes
// kernel features and attaches the programs, and the Reader that decodes the
// ring buffer into typed Events. It knows nothing of the on-disk format.
package bpf
