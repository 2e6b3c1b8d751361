package bpf

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf/ringbuf"
)

// Reader decodes the ring buffer into Events. There is one per Tracer.
// Read is not safe for concurrent use; Close, RingFill and SetDeadline
// may be called from any goroutine, and Close more than once.
type Reader struct {
	rd       *ringbuf.Reader
	rec      ringbuf.Record
	deadline atomic.Int64 // Unix ns; 0 for none

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

// pollInterval bounds how long an event can wait in the ring unseen: the
// kernel wakes the reader only once WakeupBytes are waiting, so Read also
// looks on its own this often.
const pollInterval = 20 * time.Millisecond

// Read blocks until an event arrives and decodes it into ev. A record
// that does not decode yields a *DecodeError (the next Read continues
// with the next record); after Close it returns ErrClosed, and after a
// deadline os.ErrDeadlineExceeded.
func (r *Reader) Read(ev *Event) error {
	for {
		wait := time.Now().Add(pollInterval)
		user := r.deadline.Load()
		if user != 0 && user < wait.UnixNano() {
			wait = time.Unix(0, user)
		}
		r.rd.SetDeadline(wait)
		err := r.rd.ReadInto(&r.rec)
		switch {
		case err == nil:
			return decodeEvent(r.rec.RawSample, ev)
		case errors.Is(err, ringbuf.ErrClosed):
			return ErrClosed
		case errors.Is(err, os.ErrDeadlineExceeded):
			if user != 0 && time.Now().UnixNano() >= user {
				return err
			}
		default:
			return fmt.Errorf("bpf: read ring buffer: %w", err)
		}
	}
}

// SetDeadline makes Read return os.ErrDeadlineExceeded once t passes;
// the zero time waits forever.
func (r *Reader) SetDeadline(t time.Time) {
	if t.IsZero() {
		r.deadline.Store(0)
		return
	}
	r.deadline.Store(t.UnixNano())
}

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
