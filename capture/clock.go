package capture

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// BootTimeNs returns the wall-clock time of boot in ns since the epoch:
// the offset that turns the kernel's boot clock (bpf_ktime_get_boot_ns,
// CLOCK_BOOTTIME) into event timestamps. It samples both clocks a few
// times and keeps the pair read closest together.
func BootTimeNs() (int64, error) {
	var best, bestGap int64 = 0, -1
	for i := 0; i < 5; i++ {
		var r1, b, r2 unix.Timespec
		if err := unix.ClockGettime(unix.CLOCK_REALTIME, &r1); err != nil {
			return 0, fmt.Errorf("read realtime clock: %w", err)
		}
		if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &b); err != nil {
			return 0, fmt.Errorf("read boot clock: %w", err)
		}
		if err := unix.ClockGettime(unix.CLOCK_REALTIME, &r2); err != nil {
			return 0, fmt.Errorf("read realtime clock: %w", err)
		}
		gap := r2.Nano() - r1.Nano()
		if bestGap < 0 || gap < bestGap {
			bestGap = gap
			best = r1.Nano() + gap/2 - b.Nano()
		}
	}
	return best, nil
}
