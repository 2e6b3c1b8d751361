// Command rewind-record records security-relevant kernel events with eBPF
// into a rewind recording directory, until interrupted or for a given
// duration; it needs root and a kernel with BTF. This package only wires
// flags, signals and the bpf loader to the capture pipeline.
package main
