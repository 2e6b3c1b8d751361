package bpf

import (
	"errors"
	"os"
	"sync"
	"testing"
	"time"
)

// collector reads every event from a Tracer in the background.
type collector struct {
	mu      sync.Mutex
	events  []Event
	decErrs []error
	done    chan struct{}
	stop    chan struct{}
}

func collect(t testing.TB, tr *Tracer) *collector {
	t.Helper()
	r, err := tr.Reader()
	if err != nil {
		t.Fatalf("Reader: %v", err)
	}
	c := &collector{done: make(chan struct{}), stop: make(chan struct{})}
	go func() {
		defer close(c.done)
		var ev Event
		for {
			select {
			case <-c.stop:
				return
			default:
			}
			r.SetDeadline(time.Now().Add(50 * time.Millisecond))
			err := r.Read(&ev)
			var de *DecodeError
			switch {
			case err == nil:
				c.mu.Lock()
				c.events = append(c.events, ev)
				c.mu.Unlock()
			case errors.As(err, &de):
				c.mu.Lock()
				c.decErrs = append(c.decErrs, err)
				c.mu.Unlock()
			case errors.Is(err, os.ErrDeadlineExceeded):
			default:
				return
			}
		}
	}()
	t.Cleanup(c.finish)
	return c
}

// finish waits until the ring is drained, then stops the reader.
func (c *collector) finish() {
	select {
	case <-c.done:
		return
	default:
	}
	// Let events already in the ring arrive.
	time.Sleep(200 * time.Millisecond)
	close(c.stop)
	<-c.done
}

// tree returns the events of the process pid and of its descendants,
// following fork events.
func (c *collector) tree(pid int32) []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	in := map[int32]bool{pid: true}
	var out []Event
	for _, ev := range c.events {
		if !in[ev.Pid] {
			continue
		}
		if ev.Kind == KindFork {
			in[ev.ChildPid] = true
		}
		out = append(out, ev)
	}
	return out
}
