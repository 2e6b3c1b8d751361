package fields

import (
	"strconv"
	"strings"
)

// Linux x86_64 numbers rendered as names, the way Falco prints arguments.

var errnoNames = map[int64]string{
	1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG",
	8: "ENOEXEC", 9: "EBADF", 10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES",
	14: "EFAULT", 16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR",
	21: "EISDIR", 22: "EINVAL", 23: "ENFILE", 24: "EMFILE", 25: "ENOTTY", 26: "ETXTBSY",
	27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE", 30: "EROFS", 31: "EMLINK", 32: "EPIPE",
	36: "ENAMETOOLONG", 38: "ENOSYS", 39: "ENOTEMPTY", 40: "ELOOP", 61: "ENODATA",
	75: "EOVERFLOW", 88: "ENOTSOCK", 95: "EOPNOTSUPP", 97: "EAFNOSUPPORT", 98: "EADDRINUSE",
	99: "EADDRNOTAVAIL", 101: "ENETUNREACH", 104: "ECONNRESET", 106: "EISCONN",
	107: "ENOTCONN", 110: "ETIMEDOUT", 111: "ECONNREFUSED", 113: "EHOSTUNREACH",
	114: "EALREADY", 115: "EINPROGRESS", 122: "EDQUOT",
}

type flagName struct {
	bit  uint64
	name string
}

// openFlagNames follows the order in which Falco prints open flags.
var openFlagNames = []flagName{
	{0o100000, "O_LARGEFILE"}, {0o200000, "O_DIRECTORY"}, {0o40000, "O_DIRECT"},
	{0o1000, "O_TRUNC"}, {0o4010000, "O_SYNC"}, {0o4000, "O_NONBLOCK"}, {0o200, "O_EXCL"},
	{0o10000, "O_DSYNC"}, {0o2000, "O_APPEND"}, {0o100, "O_CREAT"}, {0o2, "O_RDWR"},
	{0o1, "O_WRONLY"}, {0o2000000, "O_CLOEXEC"}, {0o400000, "O_NOFOLLOW"},
	{0o20200000, "O_TMPFILE"}, {0o1000000, "O_NOATIME"}, {0o10000000, "O_PATH"},
}

func renderOpenFlags(f uint64) string {
	var parts []string
	for _, fl := range openFlagNames {
		if f&fl.bit == fl.bit {
			parts = append(parts, fl.name)
		}
	}
	if f&oAccMode == 0 {
		parts = append(parts, "O_RDONLY")
	}
	return strings.Join(parts, "|")
}

// execFlags renders the executable flags the way Falco prints the
// execve flags parameter.
func execFlags(writable, upper, memfd, lower bool) string {
	var parts []string
	if writable {
		parts = append(parts, "EXE_WRITABLE")
	}
	if upper {
		parts = append(parts, "EXE_UPPER_LAYER")
	}
	if memfd {
		parts = append(parts, "EXE_FROM_MEMFD")
	}
	if lower {
		parts = append(parts, "EXE_LOWER_LAYER")
	}
	return strings.Join(parts, "|")
}

var ptraceRequests = map[int64]string{
	0: "PTRACE_TRACEME", 1: "PTRACE_PEEKTEXT", 2: "PTRACE_PEEKDATA", 3: "PTRACE_PEEKUSR",
	4: "PTRACE_POKETEXT", 5: "PTRACE_POKEDATA", 6: "PTRACE_POKEUSR", 7: "PTRACE_CONT",
	8: "PTRACE_KILL", 9: "PTRACE_SINGLESTEP", 12: "PTRACE_GETREGS", 13: "PTRACE_SETREGS",
	14: "PTRACE_GETFPREGS", 15: "PTRACE_SETFPREGS", 16: "PTRACE_ATTACH", 17: "PTRACE_DETACH",
	24: "PTRACE_SYSCALL", 0x4200: "PTRACE_SETOPTIONS", 0x4201: "PTRACE_GETEVENTMSG",
	0x4202: "PTRACE_GETSIGINFO", 0x4203: "PTRACE_SETSIGINFO", 0x4204: "PTRACE_GETREGSET",
	0x4205: "PTRACE_SETREGSET", 0x4206: "PTRACE_SEIZE", 0x4207: "PTRACE_INTERRUPT",
	0x4208: "PTRACE_LISTEN",
}

var socketFamilies = map[uint64]string{
	0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 16: "AF_NETLINK",
	17: "AF_PACKET", 29: "AF_CAN", 31: "AF_BLUETOOTH", 38: "AF_ALG", 40: "AF_VSOCK", 44: "AF_XDP",
}

var cloneFlagNames = []flagName{
	{0x100, "CLONE_VM"}, {0x200, "CLONE_FS"}, {0x400, "CLONE_FILES"}, {0x800, "CLONE_SIGHAND"},
	{0x2000, "CLONE_PTRACE"}, {0x4000, "CLONE_VFORK"}, {0x8000, "CLONE_PARENT"},
	{0x10000, "CLONE_THREAD"}, {0x20000, "CLONE_NEWNS"}, {0x40000, "CLONE_SYSVSEM"},
	{0x80000, "CLONE_SETTLS"}, {0x100000, "CLONE_PARENT_SETTID"}, {0x200000, "CLONE_CHILD_CLEARTID"},
	{0x1000000, "CLONE_CHILD_SETTID"}, {0x2000000, "CLONE_NEWCGROUP"}, {0x4000000, "CLONE_NEWUTS"},
	{0x8000000, "CLONE_NEWIPC"}, {0x10000000, "CLONE_NEWUSER"}, {0x20000000, "CLONE_NEWPID"},
	{0x40000000, "CLONE_NEWNET"}, {0x80000000, "CLONE_IO"},
}

var protNames = []flagName{{1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"}}

func renderFlags(v uint64, table []flagName, zero string) string {
	var parts []string
	for _, fl := range table {
		if v&fl.bit == fl.bit {
			parts = append(parts, fl.name)
		}
	}
	if len(parts) == 0 {
		return zero
	}
	return strings.Join(parts, "|")
}

// capNames indexes capability numbers (linux/capability.h).
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// renderCaps prints a capability set as space-separated names.
func renderCaps(set uint64) string {
	var b strings.Builder
	for i, n := range capNames {
		if set&(1<<uint(i)) != 0 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(n)
		}
	}
	return b.String()
}

func octal(v uint64) string { return "0" + strconv.FormatUint(v, 8) }
