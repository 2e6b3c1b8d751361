package bpf

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cilium/ebpf/ringbuf"
)

// Reader decodes the ring buffer into Events. There is one per Tracer.
// Read is not safe for concurrent use; Close, RingFill and SetDeadline
// may be called from any goroutine, and Close more than once.
type Reader struct {
	rd  *ringbuf.Reader
	rec ringbuf.Record

	mu     sync.RWMutex // guards closed against RingFill on an unmapped ring
	closed bool
}

// Reader opens the ring buffer reader; calling it again returns the same
// Reader. Close the Tracer (or the Reader) to release it.
func (t *Tracer) Reader() (*Reader, error) {
	if t.reader != nil {
		return t.reader, nil
	}
	rd, err := ringbuf.NewReader(t.objs.Events)
	if err != nil {
		return nil, fmt.Errorf("bpf: open ring buffer: %w", err)
	}
	t.reader = &Reader{rd: rd}
	return t.reader, nil
}

// Read blocks until an event arrives and decodes it into ev. A record
// that does not decode yields a *DecodeError (the next Read continues
// with the next record); after Close it returns ErrClosed, and after a
// deadline os.ErrDeadlineExceeded.
func (r *Reader) Read(ev *Event) error {
	if err := r.rd.ReadInto(&r.rec); err != nil {
		if errors.Is(err, ringbuf.ErrClosed) {
			return ErrClosed
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
		return fmt.Errorf("bpf: read ring buffer: %w", err)
	}
	return decodeEvent(r.rec.RawSample, ev)
}

// SetDeadline makes Read return os.ErrDeadlineExceeded once t passes;
// the zero time waits forever.
func (r *Reader) SetDeadline(t time.Time) { r.rd.SetDeadline(t) }

// RingFill reports the bytes waiting to be read and the ring's size;
// zeros once the reader is closed.
func (r *Reader) RingFill() (used, size uint64) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return 0, 0
	}
	return uint64(r.rd.AvailableBytes()), uint64(r.rd.BufferSize())
}

// Close stops the reader; a blocked Read returns ErrClosed.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if err := r.rd.Close(); err != nil {
		return fmt.Errorf("bpf: close ring buffer: %w", err)
	}
	return nil
}
