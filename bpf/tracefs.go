package bpf

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"
)

const tracefsPath = "/sys/kernel/tracing"

// ensureTracefs mounts tracefs when neither of the places cilium/ebpf
// looks for it holds the syscall tracepoints.
func ensureTracefs() error {
	for _, dir := range []string{tracefsPath, "/sys/kernel/debug/tracing"} {
		if _, err := os.Stat(dir + "/events/syscalls"); err == nil {
			return nil
		}
	}
	if err := unix.Mount("nodev", tracefsPath, "tracefs", 0, ""); err != nil && !errors.Is(err, unix.EBUSY) {
		return fmt.Errorf("bpf: mount tracefs on %s: %w", tracefsPath, err)
	}
	if _, err := os.Stat(tracefsPath + "/events/syscalls"); err != nil {
		return missing("syscall tracepoints (CONFIG_FTRACE_SYSCALLS)", err)
	}
	return nil
}

// perfAttachRefused tells whether the kernel refuses to run BPF programs
// on perf events (EPERM: some hardened hosts do). cilium/ebpf's attach
// error does not keep the errno, hence this separate probe.
func perfAttachRefused(name string, prog *ebpf.Program) bool {
	return errors.Is(attachPerfBPF(name, prog), unix.EPERM)
}

// attachPerfBPF attaches prog to a disabled perf event on the tracepoint
// syscalls/sys_exit_<name> the oldest way (PERF_EVENT_IOC_SET_BPF) and
// closes it again: a probe, nothing runs.
func attachPerfBPF(name string, prog *ebpf.Program) error {
	raw, err := os.ReadFile(tracefsPath + "/events/syscalls/sys_exit_" + name + "/id")
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		return fmt.Errorf("tracepoint id of sys_exit_%s: %w", name, err)
	}
	attr := unix.PerfEventAttr{
		Type:        unix.PERF_TYPE_TRACEPOINT,
		Config:      id,
		Sample_type: unix.PERF_SAMPLE_RAW,
		Sample:      1,
		Wakeup:      1,
		Bits:        unix.PerfBitDisabled,
	}
	attr.Size = uint32(unsafe.Sizeof(attr))
	fd, err := unix.PerfEventOpen(&attr, -1, 0, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("perf_event_open: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_SET_BPF, prog.FD()); err != nil {
		return fmt.Errorf("attach BPF to perf event: %w", err)
	}
	return nil
}

// perSyscallUsable tells whether per-syscall dispatch can work here: a
// do-nothing tracepoint program must attach to a syscall tracepoint.
func perSyscallUsable() bool {
	if ensureTracefs() != nil {
		return false
	}
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.TracePoint,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	})
	if err != nil {
		return false
	}
	defer prog.Close()
	return attachPerfBPF("getppid", prog) == nil
}
