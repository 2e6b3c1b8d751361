package capture

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/rewind-sh/rewind/format"
	"golang.org/x/sys/unix"
)

// KernelCounters is what the heartbeat needs from the kernel side: the
// per-CPU ring-buffer reserve failures and the ring buffer's fill. The bpf
// loader implements it; an error makes the column null for that beat.
type KernelCounters interface {
	DropsPerCPU() ([]uint64, error)
	RingUsage() (used, size uint64, err error)
}

// Counters are the pipeline's cumulative counters, shared between the
// reader goroutine (drops, decode errors) and the writer goroutine (kinds).
// They are safe for concurrent use.
type Counters struct {
	userDrops    atomic.Uint64
	decodeErrors atomic.Uint64
	byKind       [32]atomic.Uint64 // indexed by format.Kind
}

// AddUserDrop counts an event dropped in user space.
func (c *Counters) AddUserDrop(n uint64) { c.userDrops.Add(n) }

// AddDecodeError counts a ring record that could not be decoded (also a
// user-space drop).
func (c *Counters) AddDecodeError() { c.decodeErrors.Add(1); c.userDrops.Add(1) }

// AddKind counts a row appended to the recording.
func (c *Counters) AddKind(k format.Kind) {
	if int(k) < len(c.byKind) {
		c.byKind[k].Add(1)
	}
}

// UserDrops is the cumulative number of events dropped in user space.
func (c *Counters) UserDrops() uint64 { return c.userDrops.Load() }

// DecodeErrors is the cumulative number of undecodable ring records.
func (c *Counters) DecodeErrors() uint64 { return c.decodeErrors.Load() }

// Kind is the cumulative row count of kind k.
func (c *Counters) Kind(k format.Kind) uint64 {
	if int(k) < len(c.byKind) {
		return c.byKind[k].Load()
	}
	return 0
}

// Heartbeat builds the heartbeat row at ts: kernel counters from kc (nil
// when there is no kernel side), pipeline counters from c, and the
// recorder's own CPU time and RSS. Any counter that cannot be read is
// null in the row, never a made-up zero. The heartbeat counts itself in c
// (so events_per_kind is never empty); callers must not count it again.
func Heartbeat(ts int64, kc KernelCounters, c *Counters, self *SelfUsage) format.Event {
	ev := format.Event{Ts: ts, Kind: format.KindHeartbeat}
	c.AddKind(format.KindHeartbeat)
	if kc == nil {
		ev.Null.Add(format.ColDropsPerCPU)
		ev.Null.Add(format.ColRingUsedBytes)
		ev.Null.Add(format.ColRingSizeBytes)
	} else {
		if d, err := kc.DropsPerCPU(); err == nil && d != nil {
			ev.DropsPerCPU = d
		} else {
			ev.Null.Add(format.ColDropsPerCPU)
		}
		if used, size, err := kc.RingUsage(); err == nil {
			ev.RingUsedBytes, ev.RingSizeBytes = used, size
		} else {
			ev.Null.Add(format.ColRingUsedBytes)
			ev.Null.Add(format.ColRingSizeBytes)
		}
	}
	ev.DropsUser = c.UserDrops()
	for _, k := range format.Kinds() {
		if n := c.Kind(k); n > 0 {
			ev.EventsPerKind = append(ev.EventsPerKind, format.KindCount{Kind: k.String(), Count: n})
		}
	}
	if cpu, err := self.CPUNs(); err == nil {
		ev.RecorderCPUNs = cpu
	} else {
		ev.Null.Add(format.ColRecorderCPUNs)
	}
	if rss, err := self.RSSBytes(); err == nil {
		ev.RecorderRSSBytes = rss
	} else {
		ev.Null.Add(format.ColRecorderRSSBytes)
	}
	return ev
}

// SelfUsage reads the recorder's own resource use. The zero value reads
// the calling process; StatmPath may point elsewhere in tests.
type SelfUsage struct {
	StatmPath string // default /proc/self/statm
	// Rusage replaces getrusage in tests.
	Rusage func(*unix.Rusage) error
}

// CPUNs is the process's cumulative user+system CPU time, all threads.
func (s *SelfUsage) CPUNs() (uint64, error) {
	get := func(ru *unix.Rusage) error { return unix.Getrusage(unix.RUSAGE_SELF, ru) }
	if s != nil && s.Rusage != nil {
		get = s.Rusage
	}
	var ru unix.Rusage
	if err := get(&ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return uint64(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// RSSBytes is the process's resident set size, from statm.
func (s *SelfUsage) RSSBytes() (uint64, error) {
	path := "/proc/self/statm"
	if s != nil && s.StatmPath != "" {
		path = s.StatmPath
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, fmt.Errorf("%s: %d fields, want at least 2", path, len(f))
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: resident pages: %w", path, err)
	}
	return pages * uint64(os.Getpagesize()), nil
}
