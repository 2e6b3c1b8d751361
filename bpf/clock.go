package bpf

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// BootClock converts kernel CLOCK_BOOTTIME nanoseconds, the clock of every
// event, to nanoseconds since the Unix epoch. It is a plain value, safe
// for concurrent use.
type BootClock struct {
	// OffsetNs is the epoch time of boot: epoch = boot clock + OffsetNs.
	OffsetNs int64
}

// MeasureBootClock measures the offset between CLOCK_REALTIME and
// CLOCK_BOOTTIME. It reads the boot clock between two wall clock reads
// several times and keeps the tightest bracket, so the offset is good to
// about a microsecond.
func MeasureBootClock() (BootClock, error) {
	var best BootClock
	bestGap := int64(-1)
	for i := 0; i < 16; i++ {
		var r1, b, r2 unix.Timespec
		if err := unix.ClockGettime(unix.CLOCK_REALTIME, &r1); err != nil {
			return BootClock{}, fmt.Errorf("read realtime clock: %w", err)
		}
		if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &b); err != nil {
			return BootClock{}, fmt.Errorf("read boot clock: %w", err)
		}
		if err := unix.ClockGettime(unix.CLOCK_REALTIME, &r2); err != nil {
			return BootClock{}, fmt.Errorf("read realtime clock: %w", err)
		}
		gap := r2.Nano() - r1.Nano()
		if gap < 0 {
			continue // the wall clock stepped; try again
		}
		if bestGap < 0 || gap < bestGap {
			bestGap = gap
			best.OffsetNs = r1.Nano() + gap/2 - b.Nano()
		}
	}
	if bestGap < 0 {
		return BootClock{}, fmt.Errorf("measure boot clock: wall clock kept stepping backwards")
	}
	return best, nil
}

// Epoch converts a boot clock time to ns since the Unix epoch; 0 stays 0
// (unknown).
func (c BootClock) Epoch(bootNs uint64) int64 {
	if bootNs == 0 {
		return 0
	}
	return int64(bootNs) + c.OffsetNs
}
