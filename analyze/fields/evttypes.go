package fields

import (
	"sort"

	"github.com/rewind-sh/rewind/format"
)

// recordedTypes are the evt.type values the recorder writes: the system
// calls of bpf/syscalls.go (analyze may not import bpf, so the list is
// kept here; TestRecordedTypesHaveParameters checks each has its
// parameter table) and the scheduler tracepoints that stand for fork,
// exec and exit when no system call is known.
var recordedTypes = []string{
	"execve", "execveat", "sched_process_exec",
	"clone", "fork", "vfork", "clone3", "sched_process_fork",
	"sched_process_exit",
	"open", "creat", "openat", "openat2",
	"unlink", "unlinkat", "rename", "renameat", "renameat2", "chmod", "fchmod", "fchmodat", "fchmodat2",
	"chown", "fchown", "lchown", "fchownat", "link", "linkat", "symlink", "symlinkat", "mkdir", "mkdirat",
	"rmdir", "truncate", "ftruncate", "utime", "utimes", "futimesat", "utimensat",
	"socket", "connect", "accept", "accept4", "bind", "listen", "sendto", "recvfrom",
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid",
	"capset", "prctl", "ptrace", "process_vm_writev", "kill", "tkill", "tgkill", "unshare", "setns",
	"mount", "umount2", "pivot_root", "init_module", "finit_module", "delete_module", "bpf",
	"memfd_create", "mmap", "mprotect",
}

// EventTypes lists every evt.type a recording can hold, sorted. It is
// what a negative evt.type test (evt.type != open) expands to, and what
// an evt.type literal is checked against.
func EventTypes() []string {
	out := append([]string(nil), recordedTypes...)
	sort.Strings(out)
	return out
}

// SelfDescribing reports whether rows of evt.type t carry everything
// fd.* fields read (the path of an open or of an fd-based file call, the
// addresses of a socket call), so that no fd table is needed for them.
func SelfDescribing(t string) bool {
	switch t {
	case "execve", "execveat", "sched_process_exec", "clone", "fork", "vfork", "clone3",
		"sched_process_fork", "sched_process_exit", "memfd_create":
		return true
	}
	if ps, ok := sysParams[t]; ok && len(ps) > 0 {
		switch classOf(t) {
		case "open", "file", "net":
			return true
		}
	}
	return false
}

func classOf(t string) string {
	switch t {
	case "open", "creat", "openat", "openat2":
		return "open"
	case "socket", "connect", "accept", "accept4", "bind", "listen", "sendto", "recvfrom":
		return "net"
	case "unlink", "unlinkat", "rename", "renameat", "renameat2", "chmod", "fchmod", "fchmodat", "fchmodat2",
		"chown", "fchown", "lchown", "fchownat", "link", "linkat", "symlink", "symlinkat", "mkdir", "mkdirat",
		"rmdir", "truncate", "ftruncate", "utime", "utimes", "futimesat", "utimensat":
		return "file"
	}
	return ""
}

// KindOfType returns the row kind that records evt.type t; ok is false
// for a type no recording holds.
func KindOfType(t string) (k format.Kind, ok bool) {
	switch t {
	case "execve", "execveat", "sched_process_exec":
		return format.KindExec, true
	case "clone", "fork", "vfork", "clone3", "sched_process_fork":
		return format.KindFork, true
	case "sched_process_exit":
		return format.KindExit, true
	}
	switch classOf(t) {
	case "open":
		return format.KindOpen, true
	case "net":
		return format.KindNet, true
	case "file":
		return format.KindFile, true
	}
	for _, r := range recordedTypes {
		if r == t {
			return format.KindSecurity, true
		}
	}
	return format.KindInvalid, false
}
