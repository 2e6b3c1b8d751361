package capture

import (
	"errors"
	"sync"

	"github.com/rewind-sh/rewind/bpf"
)

// BPF adapts the bpf tracer and its ring-buffer reader to Source and
// KernelCounters. The ring's fill cannot be read once the reader is
// closed (its memory is unmapped), so Close and the fill readers are
// serialised here. It is safe for concurrent use.
type BPF struct {
	tracer *bpf.Tracer
	reader *bpf.Reader

	mu     sync.RWMutex
	closed bool
}

// NewBPF wraps a loaded tracer and its reader.
func NewBPF(t *bpf.Tracer, r *bpf.Reader) *BPF { return &BPF{tracer: t, reader: r} }

var errRingClosed = errors.New("ring buffer reader closed")

// Read decodes the next event into ev.
func (b *BPF) Read(ev *bpf.Event) error { return b.reader.Read(ev) }

// Pending reports whether records are waiting in the ring.
func (b *BPF) Pending() bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return false
	}
	used, _ := b.reader.RingFill()
	return used > 0
}

// Close unblocks Read; later calls do nothing.
func (b *BPF) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	return b.reader.Close()
}

// DropsPerCPU reads the kernel's per-CPU reserve failures.
func (b *BPF) DropsPerCPU() ([]uint64, error) { return b.tracer.ReadDrops() }

// RingUsage reads the ring buffer's fill; an error once closed.
func (b *BPF) RingUsage() (used, size uint64, err error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return 0, 0, errRingClosed
	}
	used, size = b.reader.RingFill()
	return used, size, nil
}
