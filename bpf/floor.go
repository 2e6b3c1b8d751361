package bpf

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
)

// FloorProgram is one of the floor programs of floor.bpf.c.
type FloorProgram int

const (
	// FloorNoop is attached to syscalls/sys_exit_openat and returns: the
	// cost of the hook alone.
	FloorNoop FloorProgram = iota
	// FloorEvent writes a 24-byte event (time, pid/tid, return value)
	// per openat to a ring buffer that a goroutine drains: the least a
	// recorder of every call pays.
	FloorEvent
	// FloorClock reads the boot clock and the pid into a per-CPU slot.
	FloorClock
)

func (p FloorProgram) String() string {
	return [...]string{"no-op program", "24-byte event", "clock read"}[p]
}

// Floor is an attached floor program, for benchmarks that compare
// rewind's cost per openat with what any eBPF recorder pays on the same
// host. It records nothing anyone reads.
type Floor struct {
	objs   floorObjects
	link   link.Link
	ring   *ringbuf.Reader
	done   chan struct{}
	Events uint64 // events drained, valid after Close
}

// AttachFloor loads and attaches program p.
func AttachFloor(p FloorProgram) (*Floor, error) {
	if err := ensureTracefs(); err != nil {
		return nil, err
	}
	f := &Floor{done: make(chan struct{})}
	if err := loadFloorObjects(&f.objs, nil); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("bpf: the kernel verifier refused the floor program: %w", err)
		}
		return nil, fmt.Errorf("bpf: load floor programs: %w", err)
	}
	prog := f.objs.FloorNoop
	switch p {
	case FloorEvent:
		prog = f.objs.FloorEvent
	case FloorClock:
		prog = f.objs.FloorClock
	}
	l, err := link.Tracepoint("syscalls", "sys_exit_openat", prog, nil)
	if err != nil {
		f.objs.Close()
		return nil, fmt.Errorf("bpf: attach syscalls/sys_exit_openat: %w", err)
	}
	f.link = l
	if p == FloorEvent {
		rd, err := ringbuf.NewReader(f.objs.FloorRing)
		if err != nil {
			l.Close()
			f.objs.Close()
			return nil, fmt.Errorf("bpf: open floor ring buffer: %w", err)
		}
		f.ring = rd
		go f.drain()
	} else {
		close(f.done)
	}
	return f, nil
}

// drain reads the ring until it is closed, polling as the recorder's
// reader does (the program never wakes it).
func (f *Floor) drain() {
	defer close(f.done)
	var rec ringbuf.Record
	for {
		f.ring.SetDeadline(time.Now().Add(pollInterval))
		err := f.ring.ReadInto(&rec)
		switch {
		case err == nil:
			f.Events++
		case errors.Is(err, ringbuf.ErrFlushed), errors.Is(err, os.ErrDeadlineExceeded):
		default:
			return // closed
		}
	}
}

// Close detaches the program and frees its maps.
func (f *Floor) Close() error {
	errs := []error{f.link.Close()}
	if f.ring != nil {
		errs = append(errs, f.ring.Close())
	}
	<-f.done
	errs = append(errs, f.objs.Close())
	return errors.Join(errs...)
}
