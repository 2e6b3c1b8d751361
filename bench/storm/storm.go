package storm

import (
	"fmt"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Result is what one storm achieved.
type Result struct {
	Ops     uint64
	Elapsed time.Duration
	PerSec  float64
	// CPUTime is the CPU the storm's work used, kernel side included:
	// the storm thread's, and for the exec storm its children's too.
	// Unlike PerSec it leaves out the time the storm waited for a CPU,
	// which on a shared machine varies more than what is measured.
	CPUTime  time.Duration
	CPU      int // CPU the storm was pinned to, -1 if not pinned
	Workload string
}

// CPUPerOp is the CPU time of one operation.
func (r Result) CPUPerOp() time.Duration {
	if r.Ops == 0 {
		return 0
	}
	return r.CPUTime / time.Duration(r.Ops)
}

func (r Result) String() string {
	return fmt.Sprintf("%s: %d ops in %v = %.0f/s, %v CPU each", r.Workload, r.Ops, r.Elapsed.Round(time.Millisecond), r.PerSec, r.CPUPerOp())
}

// threadCPU is the calling thread's CPU time (user and system).
func threadCPU() time.Duration {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}

// pin locks the calling goroutine to its thread and the thread to cpu.
// It returns a function that undoes both.
func pin(cpu int) (func(), error) {
	runtime.LockOSThread()
	if cpu < 0 {
		return runtime.UnlockOSThread, nil
	}
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("get affinity: %w", err)
	}
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("pin to cpu %d: %w", cpu, err)
	}
	return func() {
		_ = unix.SchedSetaffinity(0, &old)
		runtime.UnlockOSThread()
	}, nil
}

// Open opens and closes path read-only as fast as it can for d, pinned to
// cpu (-1: not pinned). rate > 0 paces the loop to about rate opens per
// second instead of running flat out.
func Open(path string, d time.Duration, cpu int, rate float64) (Result, error) {
	unpin, err := pin(cpu)
	if err != nil {
		return Result{}, err
	}
	defer unpin()
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return Result{}, fmt.Errorf("open storm path %q: %w", path, err)
	}
	// One failing open up front gives a clear error instead of a storm of
	// failures that would still count as syscalls.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return Result{}, fmt.Errorf("open storm: %w", err)
	}
	unix.Close(fd)

	start, cpu0 := time.Now(), threadCPU()
	deadline := start.Add(d)
	var n uint64
	const chunk = 256 // check the clock every chunk opens
	for {
		for i := 0; i < chunk; i++ {
			r, _, errno := syscall.RawSyscall6(syscall.SYS_OPENAT, atFdcwd,
				uintptr(unsafePointer(p)), uintptr(unix.O_RDONLY|unix.O_CLOEXEC), 0, 0, 0)
			if errno != 0 {
				return Result{}, fmt.Errorf("open storm: openat %s: %w", path, errno)
			}
			syscall.RawSyscall(syscall.SYS_CLOSE, r, 0, 0)
		}
		n += chunk
		now := time.Now()
		if !now.Before(deadline) {
			break
		}
		if rate > 0 {
			// Sleep until the pace catches up with the count.
			due := start.Add(time.Duration(float64(n) / rate * float64(time.Second)))
			if wait := due.Sub(now); wait > 0 {
				time.Sleep(wait)
			}
		}
	}
	el, used := time.Since(start), threadCPU()-cpu0
	return Result{Ops: n, Elapsed: el, PerSec: float64(n) / el.Seconds(), CPUTime: used, CPU: cpu, Workload: "open"}, nil
}

// atFdcwd is AT_FDCWD (-100) as the unsigned register value openat takes.
var atFdcwd = func() uintptr { v := unix.AT_FDCWD; return uintptr(v) }()

// Exec runs path (e.g. /bin/true) over and over for d, one after
// another, pinned to cpu (-1: not pinned), each with fork and exec and
// waited for. syscall.ForkExec is a vfork (clone with CLONE_VM and
// CLONE_VFORK) and an exec, about what a C loop of vfork, execve and
// waitpid costs (the same rate within noise on the development VM, where
// the exec'd program's own start, page faults above all, is most of an
// exec's time); os/exec would add its pipes, goroutines and lookups.
func Exec(path string, d time.Duration, cpu int) (Result, error) {
	unpin, err := pin(cpu)
	if err != nil {
		return Result{}, err
	}
	defer unpin()
	attr := &syscall.ProcAttr{Files: []uintptr{0, 1, 2}}
	argv := []string{path}
	start, cpu0 := time.Now(), threadCPU()
	deadline := start.Add(d)
	var n uint64
	var children time.Duration
	for n == 0 || time.Now().Before(deadline) {
		pid, err := syscall.ForkExec(path, argv, attr)
		if err != nil {
			return Result{}, fmt.Errorf("exec storm: %s: %w", path, err)
		}
		var ws syscall.WaitStatus
		var ru syscall.Rusage
		if _, err := syscall.Wait4(pid, &ws, 0, &ru); err != nil {
			return Result{}, fmt.Errorf("exec storm: wait %d: %w", pid, err)
		}
		if !ws.Exited() || ws.ExitStatus() != 0 {
			return Result{}, fmt.Errorf("exec storm: %s exited with %v", path, ws)
		}
		children += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		n++
	}
	el, used := time.Since(start), threadCPU()-cpu0+children
	return Result{Ops: n, Elapsed: el, PerSec: float64(n) / el.Seconds(), CPUTime: used, CPU: cpu, Workload: "exec"}, nil
}
