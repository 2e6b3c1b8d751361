package state

import "strings"

// Exe is the identity of an executable file as the kernel reported it at
// exec: the key under which exe_hash rows are joined, plus the flags the
// drift rules read.
type Exe struct {
	Dev, Ino     uint64
	Ctime, Mtime int64 // ns since epoch; 0 when unknown
	Size         int64
	Mode         uint32
	UID          uint32
	// Known is false when no exec or keyframe row described this
	// executable (a process learned from a later event only).
	Known      bool
	UpperLayer bool
	LowerLayer bool
	FromMemfd  bool
	Writable   bool
}

// Key returns the exe_hash join key.
func (e Exe) Key() ExeKey {
	return ExeKey{Dev: e.Dev, Ino: e.Ino, Ctime: e.Ctime, Mtime: e.Mtime, Size: e.Size}
}

// ExeKey identifies one version of an executable file: the same inode
// rewritten gets a new ctime/mtime and so a new key.
type ExeKey struct {
	Dev, Ino     uint64
	Ctime, Mtime int64
	Size         int64
}

// Process is one process (thread group) as known at the current point of
// the replay. The table owns it; callers read it during the event they
// were handed it for and must not modify it. It keeps what fields read
// through the process; what each row carries itself (effective ids,
// namespaces) is read from the row.
type Process struct {
	Pid, Ppid, Vpid  int32
	Sid, Pgid, Vpgid int32
	UID, GID         uint32
	LoginUID         uint32
	Comm             string
	ExePath          string
	// Argv is the argument vector of the last exec, argv[0] included.
	Argv        []string
	Cwd         string
	Env         []string
	TTY         uint32
	Exe         Exe
	Interpreter string
	// Script is the identity of the #! script file the last exec ran
	// (Interpreter is its path as the exec named it); zero when none.
	Script ExeKey

	CapEffective, CapPermitted, CapInheritable uint64
	CapsKnown                                  bool

	CgroupPath       string
	ContainerID      string // "" on the host
	ContainerRuntime string

	// PidnsInitStartTs is the start time of the init process of the
	// process's pid namespace (container.start_ts); 0 when unknown.
	PidnsInitStartTs int64
	// StartTs is when the process was created (its fork); 0 when unknown.
	StartTs int64
	// ExecTs is when the current image was exec'd; 0 when unknown.
	ExecTs int64
	// ExitTs is set by the exit event; the process stays readable in the
	// grace set after that.
	ExitTs int64
	// Source says how the table learned the process.
	Source Source

	fds          fdTable
	keyframeMark uint64
}

// Source says how the table first learned a process.
type Source uint8

// The ways a process enters the table.
const (
	FromEvent    Source = iota // first seen as the actor of an event: partial
	FromKeyframe               // a keyframe row: complete at segment start
	FromFork                   // a fork row: copy of its parent
	FromExec                   // an exec row of a process not seen before
)

func (s Source) String() string {
	switch s {
	case FromKeyframe:
		return "keyframe"
	case FromFork:
		return "fork"
	case FromExec:
		return "exec"
	}
	return "event"
}

// Args returns argv without argv[0], joined by spaces (Falco proc.args).
func (p *Process) Args() string {
	if len(p.Argv) <= 1 {
		return ""
	}
	return strings.Join(p.Argv[1:], " ")
}

// Cmdline returns the process name followed by its arguments (Falco
// proc.cmdline).
func (p *Process) Cmdline() string {
	if len(p.Argv) <= 1 {
		return p.Comm
	}
	return p.Comm + " " + p.Args()
}

// ExeArg0 returns argv[0] (Falco proc.exe), or "" when argv is unknown.
func (p *Process) ExeArg0() string {
	if len(p.Argv) == 0 {
		return ""
	}
	return p.Argv[0]
}

// Env returns the value of the environment variable name, as recorded.
func (p *Process) EnvValue(name string) (string, bool) {
	for _, kv := range p.Env {
		if len(kv) > len(name) && kv[len(name)] == '=' && kv[:len(name)] == name {
			return kv[len(name)+1:], true
		}
	}
	return "", false
}

// FD returns the process's fd table entry for num.
func (p *Process) FD(num int32) (*FD, bool) { return p.fds.get(num) }

// NumFDs is the number of entries in the process's fd table.
func (p *Process) NumFDs() int { return p.fds.len() }

// clone returns a copy for a forked child: slices are shared because the
// table never mutates them in place, and the fd table is copied.
func (p *Process) clone() *Process {
	c := *p
	c.fds = p.fds.copy()
	c.keyframeMark = 0
	c.ExitTs = 0
	return &c
}

func clone(s string) string { return strings.Clone(s) }
