package bpf

import (
	"errors"
	"os"
	"testing"
	"time"
)

// TestDropsAreCounted fills a one-page ring buffer with an open() storm
// while nobody reads it, then checks that the kernel counted the lost
// events per CPU and that the sequence numbers of the events that did
// arrive have exactly that many gaps on each CPU.
func TestDropsAreCounted(t *testing.T) {
	for _, d := range []Dispatch{DispatchRaw, DispatchPerSyscall} {
		t.Run(d.String(), func(t *testing.T) { testDrops(t, d) })
	}
}

func testDrops(t *testing.T, d Dispatch) {
	tr := startTracer(t, Options{Dispatch: d, RingBytes: uint32(os.Getpagesize())})
	rep, err := runWorkload("storm")
	if err != nil {
		t.Fatal(err)
	}
	// Stop producing, then drain what the ring still holds.
	tr.Detach()
	r, err := tr.Reader()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uint16]map[uint64]bool{}
	var ev Event
	for {
		r.SetDeadline(time.Now().Add(100 * time.Millisecond))
		err := r.Read(&ev)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if seen[ev.CPU] == nil {
			seen[ev.CPU] = map[uint64]bool{}
		}
		if seen[ev.CPU][ev.Seq] {
			t.Errorf("cpu %d: sequence number %d seen twice", ev.CPU, ev.Seq)
		}
		seen[ev.CPU][ev.Seq] = true
	}
	drops, err := tr.ReadDrops()
	if err != nil {
		t.Fatal(err)
	}
	seqs, err := tr.readSeqs()
	if err != nil {
		t.Fatal(err)
	}
	var total, received uint64
	for cpu := range drops {
		got := seen[uint16(cpu)]
		var gaps uint64
		for s := uint64(1); s <= seqs[cpu]; s++ {
			if !got[s] {
				gaps++
			}
		}
		for s := range got {
			if s > seqs[cpu] {
				t.Errorf("cpu %d: sequence number %d beyond the counter %d", cpu, s, seqs[cpu])
			}
		}
		if gaps != drops[cpu] {
			t.Errorf("cpu %d: %d sequence gaps but %d drops counted (last seq %d, %d received)", cpu, gaps, drops[cpu], seqs[cpu], len(got))
		}
		total += drops[cpu]
		received += uint64(len(got))
	}
	if total == 0 {
		t.Fatalf("no drops counted after %d opens into a %d-byte ring", rep.StormOpens, os.Getpagesize())
	}
	t.Logf("%d opens into a %d-byte ring: %d events received, %d dropped, per CPU %v", rep.StormOpens, os.Getpagesize(), received, total, drops)
}
