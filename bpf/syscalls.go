package bpf

import "strconv"

// syscallInfo is one recorded x86_64 system call: its number (the C side
// uses the same numbers, see rewind_syscalls.h), its name, its class,
// which picks the exit handler in the kernel, and the name of its
// syscalls/sys_exit_<tracepoint> when that differs from name.
type syscallInfo struct {
	nr         int32
	name       string
	class      rewindSyscallClass
	tracepoint string
}

// tracepointName is the suffix of the call's syscalls/sys_exit_
// tracepoint.
func (s syscallInfo) tracepointName() string {
	if s.tracepoint != "" {
		return s.tracepoint
	}
	return s.name
}

// recordedAtExit says whether the call's exit records anything: a fork's
// event comes from sched_process_fork (which reads the call's number and
// flags from the parent's saved registers), so per-syscall dispatch
// leaves the fork calls' tracepoints off.
func (s syscallInfo) recordedAtExit() bool {
	return s.class != rewindSyscallClassCLASS_FORK
}

// recordedSyscalls lists every system call the kernel side records.
var recordedSyscalls = []syscallInfo{
	{59, "execve", rewindSyscallClassCLASS_EXEC, ""},
	{322, "execveat", rewindSyscallClassCLASS_EXEC, ""},

	{56, "clone", rewindSyscallClassCLASS_FORK, ""},
	{57, "fork", rewindSyscallClassCLASS_FORK, ""},
	{58, "vfork", rewindSyscallClassCLASS_FORK, ""},
	{435, "clone3", rewindSyscallClassCLASS_FORK, ""},

	{2, "open", rewindSyscallClassCLASS_OPEN, ""},
	{85, "creat", rewindSyscallClassCLASS_OPEN, ""},
	{257, "openat", rewindSyscallClassCLASS_OPEN, ""},
	{437, "openat2", rewindSyscallClassCLASS_OPEN, ""},

	{87, "unlink", rewindSyscallClassCLASS_FILE, ""},
	{263, "unlinkat", rewindSyscallClassCLASS_FILE, ""},
	{82, "rename", rewindSyscallClassCLASS_FILE, ""},
	{264, "renameat", rewindSyscallClassCLASS_FILE, ""},
	{316, "renameat2", rewindSyscallClassCLASS_FILE, ""},
	{90, "chmod", rewindSyscallClassCLASS_FILE, ""},
	{91, "fchmod", rewindSyscallClassCLASS_FILE, ""},
	{268, "fchmodat", rewindSyscallClassCLASS_FILE, ""},
	{452, "fchmodat2", rewindSyscallClassCLASS_FILE, ""},
	{92, "chown", rewindSyscallClassCLASS_FILE, ""},
	{93, "fchown", rewindSyscallClassCLASS_FILE, ""},
	{94, "lchown", rewindSyscallClassCLASS_FILE, ""},
	{260, "fchownat", rewindSyscallClassCLASS_FILE, ""},
	{86, "link", rewindSyscallClassCLASS_FILE, ""},
	{265, "linkat", rewindSyscallClassCLASS_FILE, ""},
	{88, "symlink", rewindSyscallClassCLASS_FILE, ""},
	{266, "symlinkat", rewindSyscallClassCLASS_FILE, ""},
	{83, "mkdir", rewindSyscallClassCLASS_FILE, ""},
	{258, "mkdirat", rewindSyscallClassCLASS_FILE, ""},
	{84, "rmdir", rewindSyscallClassCLASS_FILE, ""},
	{76, "truncate", rewindSyscallClassCLASS_FILE, ""},
	{77, "ftruncate", rewindSyscallClassCLASS_FILE, ""},
	{132, "utime", rewindSyscallClassCLASS_FILE, ""},
	{235, "utimes", rewindSyscallClassCLASS_FILE, ""},
	{261, "futimesat", rewindSyscallClassCLASS_FILE, ""},
	{280, "utimensat", rewindSyscallClassCLASS_FILE, ""},

	{41, "socket", rewindSyscallClassCLASS_NET, ""},
	{42, "connect", rewindSyscallClassCLASS_NET, ""},
	{43, "accept", rewindSyscallClassCLASS_NET, ""},
	{288, "accept4", rewindSyscallClassCLASS_NET, ""},
	{49, "bind", rewindSyscallClassCLASS_NET, ""},
	{50, "listen", rewindSyscallClassCLASS_NET, ""},
	{44, "sendto", rewindSyscallClassCLASS_NET, ""},
	{45, "recvfrom", rewindSyscallClassCLASS_NET, ""},

	{105, "setuid", rewindSyscallClassCLASS_SECURITY, ""},
	{106, "setgid", rewindSyscallClassCLASS_SECURITY, ""},
	{113, "setreuid", rewindSyscallClassCLASS_SECURITY, ""},
	{114, "setregid", rewindSyscallClassCLASS_SECURITY, ""},
	{117, "setresuid", rewindSyscallClassCLASS_SECURITY, ""},
	{119, "setresgid", rewindSyscallClassCLASS_SECURITY, ""},
	{122, "setfsuid", rewindSyscallClassCLASS_SECURITY, ""},
	{123, "setfsgid", rewindSyscallClassCLASS_SECURITY, ""},
	{126, "capset", rewindSyscallClassCLASS_SECURITY, ""},
	{157, "prctl", rewindSyscallClassCLASS_SECURITY, ""},
	{101, "ptrace", rewindSyscallClassCLASS_SECURITY, ""},
	{311, "process_vm_writev", rewindSyscallClassCLASS_SECURITY, ""},
	{62, "kill", rewindSyscallClassCLASS_SECURITY, ""},
	{200, "tkill", rewindSyscallClassCLASS_SECURITY, ""},
	{234, "tgkill", rewindSyscallClassCLASS_SECURITY, ""},
	{272, "unshare", rewindSyscallClassCLASS_SECURITY, ""},
	{308, "setns", rewindSyscallClassCLASS_SECURITY, ""},
	{165, "mount", rewindSyscallClassCLASS_SECURITY, ""},
	{166, "umount2", rewindSyscallClassCLASS_SECURITY, "umount"}, // SYSCALL_DEFINE2(umount, ...)
	{155, "pivot_root", rewindSyscallClassCLASS_SECURITY, ""},
	{175, "init_module", rewindSyscallClassCLASS_SECURITY, ""},
	{313, "finit_module", rewindSyscallClassCLASS_SECURITY, ""},
	{176, "delete_module", rewindSyscallClassCLASS_SECURITY, ""},
	{321, "bpf", rewindSyscallClassCLASS_SECURITY, ""},
	{319, "memfd_create", rewindSyscallClassCLASS_SECURITY, ""},
	{9, "mmap", rewindSyscallClassCLASS_SECURITY, ""},
	{10, "mprotect", rewindSyscallClassCLASS_SECURITY, ""},
}

// maxSyscalls is the size of the kernel's interest table (MAX_SYSCALLS).
const maxSyscalls = 512

var syscallNames = func() map[int32]string {
	m := make(map[int32]string, len(recordedSyscalls))
	for _, s := range recordedSyscalls {
		m[s.nr] = s.name
	}
	return m
}()

// syscallName names the syscall of an event; scheduler events without a
// syscall (nr -1) are named after their tracepoint.
func syscallName(kind Kind, nr int32) string {
	if name, ok := syscallNames[nr]; ok {
		return name
	}
	switch {
	case kind == KindExit:
		return "sched_process_exit"
	case kind == KindFork && nr < 0:
		return "sched_process_fork"
	case kind == KindExec && nr < 0:
		return "sched_process_exec"
	}
	return "syscall_" + strconv.Itoa(int(nr))
}
