package capture

import (
	"github.com/rewind-sh/rewind/bpf"
)

// BPFSource adapts the bpf ring-buffer reader to Source.
type BPFSource struct {
	Reader *bpf.Reader
}

// Read decodes the next event into ev.
func (s BPFSource) Read(ev *bpf.Event) error { return s.Reader.Read(ev) }

// Pending reports whether records are waiting in the ring.
func (s BPFSource) Pending() bool {
	used, _ := s.Reader.RingFill()
	return used > 0
}

// Close unblocks Read.
func (s BPFSource) Close() error { return s.Reader.Close() }

// BPFCounters adapts the bpf tracer and reader to KernelCounters.
type BPFCounters struct {
	Tracer *bpf.Tracer
	Reader *bpf.Reader
}

// DropsPerCPU reads the kernel's per-CPU reserve failures.
func (c BPFCounters) DropsPerCPU() ([]uint64, error) { return c.Tracer.ReadDrops() }

// RingUsage reads the ring buffer's fill.
func (c BPFCounters) RingUsage() (used, size uint64, err error) {
	used, size = c.Reader.RingFill()
	return used, size, nil
}
