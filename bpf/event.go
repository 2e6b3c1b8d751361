package bpf

import (
	"fmt"
	"net/netip"
)

// Kind says which group of kind-specific fields an Event fills.
type Kind uint8

// The kinds the kernel side produces. Their numbers are the kind codes of
// the C programs (enum event_kind in rewind_types.h).
const (
	KindInvalid  Kind = iota
	KindExec          // sched_process_exec (Ret 0), or a failed execve/execveat (Ret < 0)
	KindFork          // sched_process_fork, reported in the parent
	KindExit          // sched_process_exit, once per exiting task
	KindOpen          // open, openat, openat2, creat
	KindFile          // write-side file operations
	KindNet           // socket, connect, accept, accept4, bind, listen, sendto, recvfrom
	KindSecurity      // privilege, namespace, module, ptrace, memory-exec and similar changes
	numKinds
)

var kindNames = [numKinds]string{"invalid", "exec", "fork", "exit", "open", "file", "net", "security"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Unchanged is the value of an id field (NewUID, NewEUID, ...) that the
// caller asked to leave as it is (-1 in the system call).
const Unchanged = ^uint32(0)

// Which fields each call fills, beyond the common ones and Ret:
//
//	exec          Filename, Argv, Cwd, Env, ExePath, Exe*, Interpreter, TTY,
//	              Sid, Pgid, Vpgid, Cap*, StartBootNs, PidnsInitStartBootNs
//	fork          ChildPid, ChildTid, CloneFlags, NsFlags, StartBootNs (child),
//	              PidnsInitStartBootNs (child's namespace); Ret = ChildPid
//	exit          ExitCode, ExitSignal, GroupDead
//	open*         Path, PathRaw, Flags, Mode, Fd (-1 on failure), Dev, Ino
//	unlink*       Path, PathRaw, Flags (unlinkat)
//	rename*, link*  Path, PathRaw, TargetPath, TargetPathRaw, Flags
//	symlink*      PathRaw (the link's content), TargetPath, TargetPathRaw
//	chmod family  Path, PathRaw or Fd, Mode
//	chown family  Path, PathRaw or Fd, NewUID, NewGID, Flags (fchownat)
//	mkdir*, rmdir Path, PathRaw, Mode (mkdir)
//	truncate      Path, PathRaw or Fd, Len
//	utime*        Path, PathRaw or Fd, Flags (utimensat)
//	socket        Family, SockType, Proto, Flags (SOCK_* flags), Fd
//	connect       Fd, Family, Proto, Saddr, Sport, Daddr, Dport or UnixPath
//	accept*       Fd (the new one), Flags, local Saddr/Sport, peer Daddr/Dport
//	bind, listen  Fd, Saddr, Sport or UnixPath; Flags = backlog (listen)
//	sendto        Fd, Flags, Daddr/Dport (destination), Saddr/Sport
//	recvfrom      Fd, Flags, Daddr/Dport (sender), Saddr/Sport
//	set*uid/gid   NewUID/NewEUID/NewSUID or NewGID/NewEGID/NewSGID
//	              (setfsuid and setfsgid set NewEUID and NewEGID)
//	capset        CapEffective, CapPermitted, CapInheritable
//	prctl         Op (option), Flags (second argument)
//	ptrace        Op (request), TargetPid, Addr
//	process_vm_writev  TargetPid, Len (bytes written), Flags
//	kill, tkill, tgkill  TargetPid, Signal (tgkill within the caller's
//	              own process is not recorded)
//	unshare       Flags, NsFlags
//	setns         Fd, Path, and for a namespace file Ino (its inode) and
//	              NsFlags (its CLONE_NEW* type, from the kernel), for a pidfd
//	              TargetPid and NsFlags (the flags passed)
//	mount         PathRaw (source), TargetPath, TargetPathRaw, FsType, Flags
//	umount2       TargetPath, TargetPathRaw, Flags
//	pivot_root    Path, PathRaw (new root), TargetPath, TargetPathRaw (put_old)
//	init_module   Len
//	finit_module  Fd, Path, Flags
//	delete_module PathRaw (module name), Flags
//	bpf           Op (command)
//	memfd_create  PathRaw (name, without "memfd:"), Flags, Fd
//	mmap          Addr, Len, Prot, Flags, Fd; only PROT_EXEC|MAP_ANONYMOUS
//	mprotect      Addr, Len, Prot; only with PROT_EXEC on anonymous memory
//
// Event is one decoded kernel event. Which fields are meaningful depends
// on Kind (see the groups below); the rest are zero. Device numbers use
// the user-space encoding of stat(2) (unix.Mkdev). Times named *BootNs
// are CLOCK_BOOTTIME nanoseconds, convert them with BootClock.Epoch;
// ExeCtime and ExeMtime are already ns since the Unix epoch.
//
// An Event is a plain value; Reader.Read overwrites the one it is given,
// so copy it (or its slices) before reusing it.
type Event struct {
	Kind      Kind
	Syscall   string // execve, openat, sched_process_fork, ...
	SyscallNr int32  // x86_64 system call number; -1 for scheduler events
	BootNs    uint64 // when the event was recorded
	CPU       uint16
	Seq       uint64 // per-CPU sequence number; a gap means lost events
	Truncated bool   // a string or list was cut to the kernel-side bound

	// Common to every kind: the task that caused the event.
	Pid, Tid, Ppid, Vpid, Vtid int32
	UID, GID, EUID, EGID       uint32
	LoginUID                   uint32 // 4294967295 when unset
	Comm                       string
	ExeDev, ExeIno             uint64 // identity of the task's executable
	MntNs, PidNs, NetNs        uint32
	UtsNs, IpcNs, UserNs       uint32
	CgroupNs                   uint32
	CgroupID                   uint64
	Ret                        int64 // return value; negative errno on failure (restarted calls are not recorded)

	// KindExec. Interpreter is the script path when the exec ran a #!
	// script; ExePath is then the interpreter's path. A failed exec
	// (Ret < 0) has only Filename, and Path: Filename resolved against
	// the cwd (or execveat's dirfd).
	Filename             string
	Argv                 []string
	Cwd                  string
	Env                  []string // NAME=value of the selected variables only
	ExePath              string
	ExeCtime, ExeMtime   int64
	ExeMode              uint32
	ExeUID, ExeGID       uint32
	ExeSize              int64
	ExeNlink             uint32
	ExeUpperLayer        bool
	ExeLowerLayer        bool
	ExeFromMemfd         bool
	ExeWritable          bool
	Interpreter          string
	Script               *ScriptFile // the file Interpreter names, as the kernel opened it; nil if not found
	PidnsInitStartBootNs uint64      // also set on KindFork (the child's pid namespace)
	StartBootNs          uint64      // process start; on KindFork the child's
	TTY                  uint32
	Sid, Pgid, Vpgid     int32
	CapEffective         uint64
	CapPermitted         uint64 // also set by capset (KindSecurity)
	CapInheritable       uint64 // also set by capset (KindSecurity)

	// KindFork. NsFlags holds the CLONE_NEW* subset of CloneFlags.
	ChildPid, ChildTid int32
	CloneFlags         uint64

	// KindExit. GroupDead is true for the last task of the thread group.
	ExitCode, ExitSignal int32
	GroupDead            bool

	// KindOpen, KindFile, and the path-taking KindSecurity calls. Path is
	// resolved by the kernel (from the struct file behind the fd, or the
	// raw argument joined to the cwd / dirfd directory); PathRaw is the
	// string the caller passed. Target* is the second path (rename and
	// link destination, symlink link path, mount target, pivot_root
	// put_old); for symlink PathRaw is the link's content.
	Path, PathRaw             string
	TargetPath, TargetPathRaw string
	Flags                     uint64
	Mode                      uint32
	Fd                        int32
	Dev, Ino                  uint64
	NewUID, NewGID            uint32 // chown and set*id; Unchanged for -1

	// KindNet. Addresses come from the socket where it has them, else
	// from the caller's sockaddr. UnixPath is the AF_UNIX socket path.
	Family, SockType uint16
	Proto            uint16 // IPPROTO_* (6 tcp, 17 udp, ...); 0 for AF_UNIX
	Saddr, Daddr     netip.Addr
	Sport, Dport     uint16
	UnixPath         string

	// KindSecurity. setns sets Ino to the namespace's inode number when
	// given a namespace file, and TargetPid when given a pidfd.
	TargetPid                          int32
	Signal                             int32
	Op                                 int64 // ptrace request, prctl option, bpf command
	NewEUID, NewSUID, NewEGID, NewSGID uint32
	NsFlags                            uint64
	FsType                             string
	Addr, Len                          uint64
	Prot                               uint32
}

// ProtoName is the transport protocol as text: tcp, udp, icmp, icmpv6,
// raw, unix, or the protocol number.
func (e *Event) ProtoName() string {
	switch {
	case e.Family == afUnix:
		return "unix"
	case e.Proto == 6:
		return "tcp"
	case e.Proto == 17:
		return "udp"
	case e.Proto == 1:
		return "icmp"
	case e.Proto == 58:
		return "icmpv6"
	case e.Proto == 255 || e.SockType == 3:
		return "raw"
	case e.Proto == 0:
		return ""
	}
	return fmt.Sprintf("%d", e.Proto)
}

const afUnix = 1

// ScriptFile is the file an exec named when it was run by an interpreter
// (a #! script, or a binfmt_misc file): its kernel path and identity,
// read from the struct file the kernel released during the exec. Dev is
// in stat(2)'s encoding, like ExeDev. User space must check that Path is
// the file the exec named (Event.Interpreter) before trusting it.
type ScriptFile struct {
	Path         string
	Dev, Ino     uint64
	Ctime, Mtime int64 // ns since the epoch
	Size         int64
	Mode         uint32
	UID, GID     uint32
}
