package fields

import (
	"fmt"
	"strings"

	"github.com/rewind-sh/rewind/analyze/cond"
	"github.com/rewind-sh/rewind/analyze/state"
	"github.com/rewind-sh/rewind/format"
)

// parent returns the parent of the event's process, using the row's ppid
// (kernel truth at the event) rather than what the table last stored.
func (e *Event) parent() *state.Process {
	if e.Table == nil {
		return nil
	}
	ppid, ok := e.i64(format.ColPpid)
	pid, _ := e.i64(format.ColPid)
	if !ok || ppid <= 0 || ppid == pid {
		return nil
	}
	return e.Table.Lookup(int32(ppid))
}

// ancestor returns the n-th ancestor (1 = parent); n = 0 is the process.
func (e *Event) ancestor(n int) *state.Process {
	if n == 0 {
		return e.Process()
	}
	p := e.parent()
	if n == 1 || p == nil {
		return p
	}
	return e.Table.Ancestor(p, n-1)
}

// procStr builds an extractor reading a string of the event's process.
func procStr(fn func(*state.Process) (string, bool)) func(*Event) (string, bool) {
	return func(e *Event) (string, bool) {
		p := e.Process()
		if p == nil {
			return "", false
		}
		return fn(p)
	}
}

func procInt(fn func(*state.Process) (int64, bool)) func(*Event) (int64, bool) {
	return func(e *Event) (int64, bool) {
		p := e.Process()
		if p == nil {
			return 0, false
		}
		return fn(p)
	}
}

func procBool(fn func(*state.Process) bool) func(*Event) (bool, bool) {
	return func(e *Event) (bool, bool) {
		p := e.Process()
		if p == nil || !p.Exe.Known {
			return false, false
		}
		return fn(p), true
	}
}

func parentStr(fn func(*state.Process) (string, bool)) func(*Event) (string, bool) {
	return func(e *Event) (string, bool) {
		p := e.parent()
		if p == nil {
			return "", false
		}
		return fn(p)
	}
}

// Per-process string values shared by the self, parent and ancestor
// forms of a field.
var (
	pName    = func(p *state.Process) (string, bool) { return p.Comm, p.Comm != "" }
	pExe     = func(p *state.Process) (string, bool) { return p.ExeArg0(), len(p.Argv) > 0 }
	pExePath = func(p *state.Process) (string, bool) { return exePath(p.ExePath), p.ExePath != "" }
	pCmdline = func(p *state.Process) (string, bool) { return p.Cmdline(), p.Comm != "" }
	pArgs    = func(p *state.Process) (string, bool) { return p.Args(), p.Argv != nil }
)

// ancestorField builds a proc.aXXX field: [N] is one ancestor (0 the
// process itself), no argument means any ancestor from the parent up.
func ancestorField(name, desc string, typ cond.FieldType, str func(*state.Process) (string, bool), num func(*state.Process) (int64, bool)) *Field {
	f := &Field{Name: name, Type: typ, Desc: desc, Arg: ArgIndexOptional, ArgHint: "N",
		NoRHS: true, NoTransformer: true, anyAncestor: true}
	if str != nil {
		f.x.StringAt = func(x any, i int) (string, bool) {
			p := ev(x).ancestor(i + 1)
			if p == nil {
				return "", false
			}
			return str(p)
		}
	} else {
		f.x.Int64At = func(x any, i int) (int64, bool) {
			p := ev(x).ancestor(i + 1)
			if p == nil {
				return 0, false
			}
			return num(p)
		}
	}
	f.build = func(arg string) (cond.Extractor, error) {
		n, err := parseIndex(arg)
		if err != nil {
			return cond.Extractor{}, err
		}
		if n > 64 {
			return cond.Extractor{}, fmt.Errorf("ancestor index %d is deeper than the 64 levels tracked", n)
		}
		if str != nil {
			return cond.Extractor{String: func(x any) (string, bool) {
				e := ev(x)
				if n == 0 && name == "proc.aname" {
					return e.str(format.ColComm)
				}
				p := e.ancestor(n)
				if p == nil {
					return "", false
				}
				return str(p)
			}}, nil
		}
		return cond.Extractor{Int64: func(x any) (int64, bool) {
			p := ev(x).ancestor(n)
			if p == nil {
				return 0, false
			}
			return num(p)
		}}, nil
	}
	return f
}

// leader finds the eldest ancestor (or the process itself) for which
// same holds, the way Falco finds session and process-group leaders.
func (e *Event) leader(same func(*state.Process) bool, isLeader func(*state.Process) bool) *state.Process {
	p := e.Process()
	if p == nil {
		return nil
	}
	best := p
	if isLeader(p) {
		return p
	}
	e.Table.Ancestors(p, func(a *state.Process) bool {
		if !same(a) {
			return false
		}
		best = a
		return !isLeader(a)
	})
	return best
}

func sessionLeader(e *Event) *state.Process {
	p := e.Process()
	if p == nil || p.Sid == 0 {
		return nil
	}
	sid := p.Sid
	if l := e.Table.Lookup(sid); l != nil && l.Sid == sid {
		return l
	}
	return e.leader(func(a *state.Process) bool { return a.Sid == sid }, func(a *state.Process) bool { return a.Pid == sid })
}

func vpgidLeader(e *Event) *state.Process {
	p := e.Process()
	if p == nil || p.Vpgid == 0 {
		return nil
	}
	g := p.Vpgid
	return e.leader(func(a *state.Process) bool { return a.Vpgid == g }, func(a *state.Process) bool { return a.Vpid == g })
}

func pgidLeader(e *Event) *state.Process {
	p := e.Process()
	if p == nil || p.Pgid == 0 {
		return nil
	}
	g := p.Pgid
	if l := e.Table.Lookup(g); l != nil && l.Pgid == g {
		return l
	}
	return e.leader(func(a *state.Process) bool { return a.Pgid == g }, func(a *state.Process) bool { return a.Pid == g })
}

func fromLeader(find func(*Event) *state.Process, fn func(*state.Process) (string, bool)) func(*Event) (string, bool) {
	return func(e *Event) (string, bool) {
		l := find(e)
		if l == nil {
			return "", false
		}
		return fn(l)
	}
}

// exePath renders an executable path the way Falco's rules expect it:
// the kernel names a memfd "/memfd:NAME (deleted)", Falco "memfd:NAME"
// (the upstream memfd exception compares with
// "memfd:runc_cloned:/proc/self/exe").
func exePath(p string) string {
	if strings.HasPrefix(p, "/memfd:") {
		return strings.TrimSuffix(p[1:], " (deleted)")
	}
	if strings.HasPrefix(p, "memfd:") {
		return strings.TrimSuffix(p, " (deleted)")
	}
	return p
}

// nonZero turns a 0 (unknown) into a missing value, as Falco does for
// the exe_ino family.
func nonZero(v int64) (int64, bool) { return v, v != 0 }

func procFields() []*Field {
	rowInt := func(c format.ColumnID) func(*Event) (int64, bool) {
		return func(e *Event) (int64, bool) { return e.i64(c) }
	}
	return []*Field{
		intF("proc.pid", kAny, "Process id (thread group id) in the initial pid namespace.", rowInt(format.ColPid)),
		intF("proc.ppid", kAny, "Parent process id.", rowInt(format.ColPpid)),
		intF("proc.vpid", kAny, "Process id inside the process's own pid namespace (differs from proc.pid in a container).", rowInt(format.ColVpid)),
		intF("proc.pvpid", kAny, "Parent's process id inside its pid namespace.",
			func(e *Event) (int64, bool) {
				p := e.parent()
				if p == nil || p.Vpid == 0 {
					return 0, false
				}
				return int64(p.Vpid), true
			}),
		strF("proc.name", kAny, "Task command name (comm, at most 15 bytes) at the time of the event.",
			func(e *Event) (string, bool) { return e.str(format.ColComm) }),
		strF("proc.pname", kAny, "Command name of the parent process.", parentStr(pName)),
		ancestorField("proc.aname", "Command name of an ancestor: [1] is the parent, [2] the grandparent, [0] the process; without an index, a check holds when any ancestor satisfies it.", cond.TypeString, pName, nil),
		strF("proc.exe", kAny, "First element of the argument vector (argv[0]) as the process was started; may differ from the executable's path.", procStr(pExe)),
		strF("proc.pexe", kAny, "argv[0] of the parent process.", parentStr(pExe)),
		ancestorField("proc.aexe", "argv[0] of an ancestor, indexed like proc.aname.", cond.TypeString, pExe, nil),
		strF("proc.exepath", kAny, "Full path of the process's executable as the kernel resolved it.",
			func(e *Event) (string, bool) { v, ok := e.str(format.ColExePath); return exePath(v), ok }),
		strF("proc.pexepath", kAny, "Executable path of the parent process.", parentStr(pExePath)),
		ancestorField("proc.aexepath", "Executable path of an ancestor, indexed like proc.aname.", cond.TypeString, pExePath, nil),
		{Name: "proc.args", Type: cond.TypeString, Kinds: kAny, Arg: ArgKeyOptional, ArgHint: "N",
			Desc: "Arguments of the process excluding argv[0], joined by spaces; [N] is the N-th argument counting from 0.",
			x:    cond.Extractor{String: func(x any) (string, bool) { return procStr(pArgs)(ev(x)) }},
			build: func(arg string) (cond.Extractor, error) {
				n, err := parseIndex(arg)
				if err != nil {
					return cond.Extractor{}, err
				}
				return cond.Extractor{String: func(x any) (string, bool) {
					p := ev(x).Process()
					if p == nil || n+1 >= len(p.Argv) {
						return "", false
					}
					return p.Argv[n+1], true
				}}, nil
			}},
		strF("proc.cmdline", kAny, "Process name followed by its arguments (proc.name + proc.args).", procStr(pCmdline)),
		strF("proc.pcmdline", kAny, "Command line of the parent process.", parentStr(pCmdline)),
		ancestorField("proc.acmdline", "Command line of an ancestor, indexed like proc.aname.", cond.TypeString, pCmdline, nil),
		ancestorField("proc.aargs", "Arguments of an ancestor, indexed like proc.aname.", cond.TypeString, pArgs, nil),
		strF("proc.exeline", kAny, "argv[0] followed by the arguments (proc.exe + proc.args).",
			procStr(func(p *state.Process) (string, bool) { return strings.Join(p.Argv, " "), p.Argv != nil })),
		uintF("proc.cmdnargs", kAny, "Number of arguments, argv[0] excluded.",
			func(e *Event) (uint64, bool) {
				p := e.Process()
				if p == nil || p.Argv == nil {
					return 0, false
				}
				return uint64(len(p.Argv) - 1), true
			}),
		uintF("proc.cmdlenargs", kAny, "Total length of the arguments, argv[0] and separators excluded.",
			func(e *Event) (uint64, bool) {
				p := e.Process()
				if p == nil || p.Argv == nil {
					return 0, false
				}
				n := 0
				for _, a := range p.Argv[1:] {
					n += len(a)
				}
				return uint64(n), true
			}),
		{Name: "proc.env", Type: cond.TypeString, Kinds: kAny, Arg: ArgKeyOptional, ArgHint: "NAME",
			Desc: "Recorded environment variables as NAME=value joined by spaces; [NAME] is one variable's value. Only the variables the recorder is configured to keep (LD_PRELOAD, LD_LIBRARY_PATH, ...) are present.",
			x: cond.Extractor{String: func(x any) (string, bool) {
				p := ev(x).Process()
				if p == nil {
					return "", false
				}
				return strings.Join(p.Env, " "), true
			}},
			build: func(arg string) (cond.Extractor, error) {
				return cond.Extractor{String: func(x any) (string, bool) {
					p := ev(x).Process()
					if p == nil {
						return "", false
					}
					return p.EnvValue(arg)
				}}, nil
			}},
		strF("proc.cwd", kAny, "Current working directory of the process, as of its last exec.",
			func(e *Event) (string, bool) {
				if e.Kind == format.KindExec {
					return e.str(format.ColCwd)
				}
				return procStr(func(p *state.Process) (string, bool) { return p.Cwd, p.Cwd != "" })(e)
			}),
		uintF("proc.tty", kAny, "Controlling terminal device number; 0 without a terminal.",
			func(e *Event) (uint64, bool) {
				p := e.Process()
				if p == nil || !p.Exe.Known {
					return 0, false
				}
				return uint64(p.TTY), true
			}),
		intF("proc.sid", kAny, "Session id.", procInt(func(p *state.Process) (int64, bool) { return int64(p.Sid), p.Exe.Known })),
		strF("proc.sname", kAny, "Name of the session leader: the process whose pid is the session id, else the eldest ancestor in the same session.", fromLeader(sessionLeader, pName)),
		strF("proc.sid.exe", kAny, "argv[0] of the session leader.", fromLeader(sessionLeader, pExe)),
		strF("proc.sid.exepath", kAny, "Executable path of the session leader.", fromLeader(sessionLeader, pExePath)),
		boolF("proc.is_sid_leader", kAny, "True when the process leads its session (sid equals its pid in its namespace).",
			func(e *Event) (bool, bool) {
				p := e.Process()
				if p == nil || p.Sid == 0 {
					return false, false
				}
				return p.Sid == p.Vpid || p.Sid == p.Pid, true
			}),
		intF("proc.pgid", kAny, "Process group id in the initial pid namespace.", procInt(func(p *state.Process) (int64, bool) { return int64(p.Pgid), p.Pgid != 0 })),
		intF("proc.vpgid", kAny, "Process group id inside the process's pid namespace.", procInt(func(p *state.Process) (int64, bool) { return int64(p.Vpgid), p.Vpgid != 0 })),
		strF("proc.pgid.name", kAny, "Name of the process group leader.", fromLeader(pgidLeader, pName)),
		strF("proc.vpgid.name", kAny, "Name of the process group leader, found through namespace-local ids.", fromLeader(vpgidLeader, pName)),
		boolF("proc.is_pgid_leader", kAny, "True when the process leads its process group.",
			func(e *Event) (bool, bool) {
				p := e.Process()
				if p == nil || p.Pgid == 0 {
					return false, false
				}
				return p.Pgid == p.Pid, true
			}),
		boolF("proc.is_vpgid_leader", kAny, "True when the process leads its process group as seen in its pid namespace; false for commands a script spawned in its own group.",
			func(e *Event) (bool, bool) {
				p := e.Process()
				if p == nil || p.Vpgid == 0 || p.Vpid == 0 {
					return false, false
				}
				return p.Vpgid == p.Vpid, true
			}),
		relF("proc.duration", kAny, "Time since the process started (its fork), at the event.",
			func(e *Event) (int64, bool) {
				p := e.Process()
				if p == nil || p.StartTs == 0 {
					return 0, false
				}
				return e.Ts() - p.StartTs, true
			}),
		absF("proc.pid.ts", kAny, "Process start time, ns since the epoch.", procInt(func(p *state.Process) (int64, bool) { return nonZero(p.StartTs) })),
		absF("proc.ppid.ts", kAny, "Parent's start time, ns since the epoch.",
			func(e *Event) (int64, bool) {
				p := e.parent()
				if p == nil {
					return 0, false
				}
				return nonZero(p.StartTs)
			}),
		relF("proc.ppid.duration", kAny, "Time since the parent started, at the event.",
			func(e *Event) (int64, bool) {
				p := e.parent()
				if p == nil || p.StartTs == 0 {
					return 0, false
				}
				return e.Ts() - p.StartTs, true
			}),
		ancestorField("proc.apid", "Pid of an ancestor, indexed like proc.aname; [0] is the process's own pid.", cond.TypeInt64, nil,
			func(p *state.Process) (int64, bool) { return int64(p.Pid), true }),
		intF("proc.exe_ino", kAny, "Inode number of the executable file.",
			procInt(func(p *state.Process) (int64, bool) { return nonZero(int64(p.Exe.Ino)) })),
		absF("proc.exe_ino.ctime", kAny, "Status-change time (ctime) of the executable's inode when it was exec'd, ns since the epoch. Writing, chmod and chown move it.",
			procInt(func(p *state.Process) (int64, bool) { return nonZero(p.Exe.Ctime) })),
		absF("proc.exe_ino.mtime", kAny, "Content modification time (mtime) of the executable's inode when it was exec'd, ns since the epoch.",
			procInt(func(p *state.Process) (int64, bool) { return nonZero(p.Exe.Mtime) })),
		absF("proc.exe_ino.ctime_duration_proc_start", kAny, "Process start time minus the executable's ctime: how long before the process was created its binary last changed. Small values flag a binary written or chmod'ed just before it ran; negative when it changed after the fork (a shell that execs the last command of a script itself).",
			procInt(func(p *state.Process) (int64, bool) {
				if p.Exe.Ctime == 0 || p.StartTs == 0 {
					return 0, false
				}
				return p.StartTs - p.Exe.Ctime, true
			})),
		absF("proc.exe_ino.ctime_duration_pidns_start", kAny, "Executable's ctime minus the start of the process's pid namespace, when the binary changed after the namespace (the container) started; missing otherwise.",
			procInt(func(p *state.Process) (int64, bool) {
				if p.PidnsInitStartTs == 0 || p.Exe.Ctime <= p.PidnsInitStartTs {
					return 0, false
				}
				return p.Exe.Ctime - p.PidnsInitStartTs, true
			})),
		uintF("proc.pidns_init_start_ts", kAny, "Start time of the init process of the process's pid namespace, ns since the epoch.",
			func(e *Event) (uint64, bool) {
				p := e.Process()
				if p == nil || p.PidnsInitStartTs == 0 {
					return 0, false
				}
				return uint64(p.PidnsInitStartTs), true
			}),
		boolF("proc.is_exe_writable", kAny, "True when the user that ran the executable could write to it.", procBool(func(p *state.Process) bool { return p.Exe.Writable })),
		boolF("proc.is_exe_upper_layer", kAny, "True when the executable lives in the writable upper layer of an overlayfs: a file added to a container after it started.", procBool(func(p *state.Process) bool { return p.Exe.UpperLayer })),
		boolF("proc.is_exe_lower_layer", kAny, "True when the executable comes from a read-only lower layer of an overlayfs (the image).", procBool(func(p *state.Process) bool { return p.Exe.LowerLayer })),
		boolF("proc.is_exe_from_memfd", kAny, "True when the executable is an anonymous memfd_create file: code that never touched a disk.", procBool(func(p *state.Process) bool { return p.Exe.FromMemfd })),
		ours(strF("proc.exe.sha256", kAny, "Lower-case hex sha256 of the executable, joined from the recording's exe_hash rows by (dev, inode, ctime, mtime, size); missing until the hash row has been seen or when hashing failed.",
			func(e *Event) (string, bool) {
				h, ok := e.Table.Hash(e.Process())
				return h.Sha256, ok && h.Sha256 != ""
			})),
		ours(strF("proc.exe.hash_source", kAny, "How the executable's hash was obtained (proc_exe, path, proc_fd, cache) or why it could not be (gone, changed, error).",
			func(e *Event) (string, bool) {
				h, ok := e.Table.Hash(e.Process())
				return h.Source, ok && h.Source != ""
			})),
		ours(strF("proc.exe.hash_error", kAny, "Why the executable could not be hashed, when it could not.",
			func(e *Event) (string, bool) {
				h, ok := e.Table.Hash(e.Process())
				return h.Error, ok && h.Error != ""
			})),
		ours(intF("proc.exe.size", kAny, "Size in bytes of the executable when it was exec'd.",
			procInt(func(p *state.Process) (int64, bool) { return p.Exe.Size, p.Exe.Known }))),
		ours(strF("proc.exe.mode", kAny, "Mode of the executable file in octal (type and permission bits).",
			procStr(func(p *state.Process) (string, bool) {
				return octal(uint64(p.Exe.Mode)), p.Exe.Known && p.Exe.Mode != 0
			}))),
		ours(intF("proc.exe.uid", kAny, "Owner uid of the executable file.",
			procInt(func(p *state.Process) (int64, bool) { return int64(p.Exe.UID), p.Exe.Known }))),
		ours(strF("proc.exe.script", kAny, "Path of the script when the exec ran a #! script (proc.exepath is then the interpreter).",
			procStr(func(p *state.Process) (string, bool) { return p.Interpreter, p.Interpreter != "" }))),
		ours(strF("proc.exe.script.sha256", kAny, "Lower-case hex sha256 of the #! script the exec ran, joined from the exe_hash rows by the script file's identity (dev, inode, ctime, mtime, size) as the kernel reported it at the exec; missing when the exec ran no script, before the hash row, when hashing failed (a script deleted or rewritten before the recorder pinned it, through its path or the descriptor its interpreter reads it from), or in recordings older than schema version 3.",
			func(e *Event) (string, bool) {
				h, ok := e.Table.ScriptHash(e.Process())
				return h.Sha256, ok && h.Sha256 != ""
			})),
		ours(strF("proc.cgroup", kAny, "Cgroup v2 path of the process, as of its last exec or keyframe.",
			procStr(func(p *state.Process) (string, bool) { return p.CgroupPath, p.CgroupPath != "" }))),
		ours(strF("proc.state_source", kAny, "How the replay learned the process: keyframe, fork, exec, or event (first met as the actor of an event, so lineage and exe details may be missing).",
			procStr(func(p *state.Process) (string, bool) { return p.Source.String(), true }))),
		ours(strF("proc.exe.filename", kExec, "Path given to execve as the caller wrote it (relative or through a symlink).",
			func(e *Event) (string, bool) { return e.str(format.ColFilename) })),
		unavailable("proc.vmsize", cond.TypeUint64, reasonUsage, "Virtual memory size of the process."),
		unavailable("proc.vmrss", cond.TypeUint64, reasonUsage, "Resident memory of the process."),
		unavailable("proc.vmswap", cond.TypeUint64, reasonUsage, "Swapped memory of the process."),
		unavailable("proc.fdlimit", cond.TypeInt64, reasonUsage, "Maximum number of descriptors the process may open."),
		unavailable("proc.nthreads", cond.TypeUint64, "thread creation is recorded but the live thread count is not reconstructed", "Number of live threads of the process."),
	}
}

func threadFields() []*Field {
	caps := func(get func(*state.Process) uint64) func(*Event) (string, bool) {
		return procStr(func(p *state.Process) (string, bool) {
			if !p.CapsKnown {
				return "", false
			}
			return renderCaps(get(p)), true
		})
	}
	return []*Field{
		intF("thread.tid", kAny, "Thread id in the initial pid namespace.", func(e *Event) (int64, bool) { return e.i64(format.ColTid) }),
		intF("thread.vtid", kAny, "Thread id inside the thread's pid namespace.", func(e *Event) (int64, bool) { return e.i64(format.ColVtid) }),
		boolF("thread.ismain", kAny, "True when the event comes from the main thread of its process.",
			func(e *Event) (bool, bool) {
				tid, ok := e.i64(format.ColTid)
				pid, _ := e.i64(format.ColPid)
				return tid == pid, ok
			}),
		strF("thread.cap_effective", kAny, "Effective capabilities as of the last exec or capset, as names (CAP_SYS_ADMIN ...) separated by spaces.", caps(func(p *state.Process) uint64 { return p.CapEffective })),
		strF("thread.cap_permitted", kAny, "Permitted capabilities as of the last exec or capset, as names.", caps(func(p *state.Process) uint64 { return p.CapPermitted })),
		strF("thread.cap_inheritable", kAny, "Inheritable capabilities as of the last exec or capset, as names.", caps(func(p *state.Process) uint64 { return p.CapInheritable })),
		unavailable("thread.pfmajor", cond.TypeUint64, reasonUsage, "Major page faults of the thread."),
		unavailable("thread.pfminor", cond.TypeUint64, reasonUsage, "Minor page faults of the thread."),
	}
}
