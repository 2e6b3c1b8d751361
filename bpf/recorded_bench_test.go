package bpf

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkRecordedSyscall measures what recording costs the process that
// makes a recorded syscall: openat of /dev/null (an open event, with the
// path walked from the returned file) plus close (not recorded), in this
// process with RecordSelf, while a goroutine drains the ring. The
// "baseline" sub-benchmark runs the same loop with nothing attached.
// cpu-ns/open is the calling thread's CPU time, the kernel side included.
func BenchmarkRecordedSyscall(b *testing.B) {
	requireRoot(b)
	for _, d := range []struct {
		name     string
		dispatch Dispatch
		wakeup   int
	}{
		{"baseline", -1, 0},
		{"raw", DispatchRaw, 0},
		{"per-syscall", DispatchPerSyscall, 0},
		{"per-syscall-wake-every-event", DispatchPerSyscall, -1},
	} {
		b.Run(d.name, func(b *testing.B) {
			if d.dispatch >= 0 {
				tr := startTracer(b, Options{Dispatch: d.dispatch, RecordSelf: true, WakeupBytes: d.wakeup})
				c := collect(b, tr)
				defer c.finish()
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu := threadCPUNs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
				if err != nil {
					b.Fatal(err)
				}
				unix.Close(fd)
			}
			b.StopTimer()
			b.ReportMetric(float64(threadCPUNs()-cpu)/float64(b.N), "cpu-ns/open")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "opens/s")
		})
	}
}
