package fields

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/rewind-sh/rewind/analyze/cond"
	"github.com/rewind-sh/rewind/analyze/state"
	"github.com/rewind-sh/rewind/format"
)

// sysParams lists, per evt.type, the parameter names evt.arg.NAME and
// evt.arg[N] can read, in Falco's order where Falco has the same call.
var sysParams = map[string][]string{}

func addParams(names []string, syscalls ...string) {
	for _, s := range syscalls {
		sysParams[s] = names
	}
}

func init() {
	addParams([]string{"fd", "name", "flags", "mode", "dev", "ino"}, "open", "openat", "openat2", "creat")
	addParams([]string{"res", "exe", "args", "tid", "pid", "ptid", "cwd", "comm", "env", "tty", "vpgid",
		"loginuid", "flags", "cap_inheritable", "cap_permitted", "cap_effective", "exe_ino",
		"exe_ino_ctime", "exe_ino_mtime", "uid", "trusted_exepath", "pgid", "gid", "filename"}, "execve", "execveat", "sched_process_exec")
	addParams([]string{"res", "flags", "pid", "tid"}, "clone", "clone3", "fork", "vfork", "sched_process_fork")
	addParams([]string{"status", "sig"}, "sched_process_exit", "exit", "exit_group")
	addParams([]string{"res", "target", "linkpath"}, "symlink", "symlinkat")
	addParams([]string{"res", "oldpath", "newpath", "flags"}, "link", "linkat", "rename", "renameat", "renameat2")
	addParams([]string{"res", "path", "name", "flags"}, "unlink", "unlinkat")
	addParams([]string{"res", "path", "mode"}, "mkdir", "mkdirat")
	addParams([]string{"res", "path"}, "rmdir", "truncate", "utimes", "utimensat", "utime", "futimesat")
	addParams([]string{"res", "filename", "mode", "fd"}, "chmod", "fchmod", "fchmodat", "fchmodat2")
	addParams([]string{"res", "path", "pathname", "uid", "gid", "fd"}, "chown", "lchown", "fchown", "fchownat")
	addParams([]string{"res", "fd"}, "ftruncate")
	addParams([]string{"fd", "domain", "type", "proto"}, "socket")
	addParams([]string{"res", "tuple", "fd", "addr"}, "connect")
	addParams([]string{"fd", "tuple"}, "accept", "accept4")
	addParams([]string{"res", "addr", "fd"}, "bind")
	addParams([]string{"res", "fd"}, "listen")
	addParams([]string{"res", "fd", "tuple"}, "sendto", "sendmsg", "recvfrom", "recvmsg")
	addParams([]string{"res", "uid"}, "setuid", "setfsuid")
	addParams([]string{"res", "gid"}, "setgid", "setfsgid")
	addParams([]string{"res", "ruid", "euid"}, "setreuid")
	addParams([]string{"res", "ruid", "euid", "suid"}, "setresuid")
	addParams([]string{"res", "rgid", "egid"}, "setregid")
	addParams([]string{"res", "rgid", "egid", "sgid"}, "setresgid")
	addParams([]string{"res", "cap_inheritable", "cap_permitted", "cap_effective"}, "capset")
	addParams([]string{"res", "option"}, "prctl")
	addParams([]string{"res", "addr", "data", "request", "pid"}, "ptrace")
	addParams([]string{"res", "pid"}, "process_vm_writev", "process_vm_readv", "pidfd_open")
	addParams([]string{"res", "pid", "sig"}, "kill", "tkill", "tgkill")
	addParams([]string{"res", "flags"}, "unshare")
	addParams([]string{"res", "fd", "nstype"}, "setns")
	addParams([]string{"res", "dev", "dir", "type", "flags"}, "mount")
	addParams([]string{"res", "name", "flags"}, "umount", "umount2", "delete_module")
	addParams([]string{"res", "new_root", "put_old"}, "pivot_root")
	addParams([]string{"res", "fd", "flags"}, "finit_module")
	addParams([]string{"res", "length"}, "init_module")
	addParams([]string{"res", "cmd"}, "bpf")
	addParams([]string{"fd", "name", "flags"}, "memfd_create")
	addParams([]string{"res", "addr", "length", "prot"}, "mprotect")
	addParams([]string{"res", "addr", "length", "prot", "flags", "fd"}, "mmap")
	addParams([]string{"res", "oldfd", "newfd", "flags"}, "dup", "dup2", "dup3")
}

// paramText renders parameter name of the current event.
var paramText = map[string]func(e *Event) (string, bool){
	"res": func(e *Event) (string, bool) {
		r, ok := e.i64(format.ColRet)
		return resText(r), ok
	},
	"fd": func(e *Event) (string, bool) {
		v, ok := argFd(e)
		return strconv.FormatInt(v, 10), ok
	},
	"oldfd":    func(e *Event) (string, bool) { return intText(e, format.ColFd) },
	"newfd":    func(e *Event) (string, bool) { return intText(e, format.ColRet) },
	"name":     func(e *Event) (string, bool) { return e.str(format.ColPath) },
	"path":     func(e *Event) (string, bool) { return e.str(format.ColPath) },
	"pathname": func(e *Event) (string, bool) { return e.str(format.ColPath) },
	"filename": func(e *Event) (string, bool) {
		if e.Kind == format.KindExec {
			return e.str(format.ColFilename)
		}
		return e.str(format.ColPath)
	},
	"oldpath":  func(e *Event) (string, bool) { return e.str(format.ColPath) },
	"newpath":  func(e *Event) (string, bool) { return e.str(format.ColTargetPath) },
	"linkpath": func(e *Event) (string, bool) { return e.str(format.ColTargetPath) },
	// The text a symlink will contain is what the caller passed, not a
	// resolved path.
	"target": func(e *Event) (string, bool) {
		if v, ok := e.str(format.ColPathRaw); ok {
			return v, true
		}
		return e.str(format.ColPath)
	},
	"new_root": func(e *Event) (string, bool) { return e.str(format.ColPath) },
	"put_old":  func(e *Event) (string, bool) { return e.str(format.ColTargetPath) },
	"dev": func(e *Event) (string, bool) {
		if e.Kind == format.KindSecurity { // mount source
			return e.str(format.ColPath)
		}
		return uintText(e, format.ColDev)
	},
	"dir":  func(e *Event) (string, bool) { return e.str(format.ColTargetPath) },
	"ino":  func(e *Event) (string, bool) { return uintText(e, format.ColIno) },
	"mode": func(e *Event) (string, bool) { v, ok := e.u64(format.ColMode); return octal(v), ok },
	"flags": func(e *Event) (string, bool) {
		switch e.Kind {
		case format.KindOpen:
			f, ok := e.u64(format.ColFlags)
			return renderOpenFlags(f), ok
		case format.KindExec:
			w, _ := e.Rows.Bool(format.ColExeWritable, e.Row)
			u, _ := e.Rows.Bool(format.ColExeUpperLayer, e.Row)
			m, _ := e.Rows.Bool(format.ColExeFromMemfd, e.Row)
			l, _ := e.Rows.Bool(format.ColExeLowerLayer, e.Row)
			return execFlags(w, u, m, l), true
		case format.KindFork:
			f, ok := e.u64(format.ColCloneFlags)
			return renderFlags(f, cloneFlagNames, "0"), ok
		}
		if e.Syscall() == "unshare" {
			f, ok := e.u64(format.ColNsFlags)
			return renderFlags(f, cloneFlagNames, "0"), ok
		}
		return uintText(e, format.ColFlags)
	},
	"nstype": func(e *Event) (string, bool) {
		f, ok := e.u64(format.ColNsFlags)
		return renderFlags(f, cloneFlagNames, "0"), ok
	},
	"uid": func(e *Event) (string, bool) {
		if e.Kind == format.KindExec {
			return uintText(e, format.ColUID)
		}
		return uintText(e, format.ColNewUID)
	},
	"gid": func(e *Event) (string, bool) {
		if e.Kind == format.KindExec {
			return uintText(e, format.ColGID)
		}
		return uintText(e, format.ColNewGID)
	},
	"ruid": func(e *Event) (string, bool) { return uintText(e, format.ColNewUID) },
	"euid": func(e *Event) (string, bool) { return uintText(e, format.ColNewEUID) },
	"suid": func(e *Event) (string, bool) { return uintText(e, format.ColNewSUID) },
	"rgid": func(e *Event) (string, bool) { return uintText(e, format.ColNewGID) },
	"egid": func(e *Event) (string, bool) { return uintText(e, format.ColNewEGID) },
	"sgid": func(e *Event) (string, bool) { return uintText(e, format.ColNewSGID) },
	"domain": func(e *Event) (string, bool) {
		f, ok := e.u64(format.ColFamily)
		if n, known := socketFamilies[f]; known {
			return n, ok
		}
		return strconv.FormatUint(f, 10), ok
	},
	"type": func(e *Event) (string, bool) {
		if e.Kind == format.KindSecurity {
			return e.str(format.ColFsType)
		}
		return uintText(e, format.ColSockType)
	},
	"proto": func(e *Event) (string, bool) { return e.str(format.ColProto) },
	"tuple": func(e *Event) (string, bool) {
		f := e.FD()
		if f == nil {
			return "", false
		}
		n := f.FullName()
		return n, n != ""
	},
	"addr": func(e *Event) (string, bool) {
		if e.Kind == format.KindSecurity {
			v, ok := e.u64(format.ColAddr)
			return "0x" + strconv.FormatUint(v, 16), ok
		}
		if e.Syscall() == "bind" {
			a, _ := e.str(format.ColSaddr)
			p, _ := e.u64(format.ColSport)
			return state.Tuple(famOf(e), a, uint16(p), "", 0), a != ""
		}
		a, _ := e.str(format.ColDaddr)
		p, _ := e.u64(format.ColDport)
		return state.Tuple(famOf(e), a, uint16(p), "", 0), a != ""
	},
	"data": func(e *Event) (string, bool) { return "", false },
	"request": func(e *Event) (string, bool) {
		v, ok := e.i64(format.ColOp)
		if n, known := ptraceRequests[v]; known {
			return n, ok
		}
		return strconv.FormatInt(v, 10), ok
	},
	"pid": func(e *Event) (string, bool) {
		switch e.Kind {
		case format.KindSecurity:
			return intText(e, format.ColTargetPid)
		case format.KindFork:
			return intText(e, format.ColChildPid)
		}
		return intText(e, format.ColPid)
	},
	"tid": func(e *Event) (string, bool) {
		if e.Kind == format.KindFork {
			return intText(e, format.ColChildTid)
		}
		return intText(e, format.ColTid)
	},
	"ptid":   func(e *Event) (string, bool) { return intText(e, format.ColPpid) },
	"sig":    func(e *Event) (string, bool) { return sigText(e) },
	"status": func(e *Event) (string, bool) { return intText(e, format.ColExitCode) },
	"option": func(e *Event) (string, bool) { return intText(e, format.ColOp) },
	"cmd":    func(e *Event) (string, bool) { return intText(e, format.ColOp) },
	"length": func(e *Event) (string, bool) { return uintText(e, format.ColLen) },
	"prot": func(e *Event) (string, bool) {
		v, ok := e.u64(format.ColProt)
		return renderFlags(v, protNames, "PROT_NONE"), ok
	},
	"exe":  func(e *Event) (string, bool) { a := execArgv(e); return first(a), len(a) > 0 },
	"args": func(e *Event) (string, bool) { a := execArgv(e); return joinArgs(a), len(a) > 0 },
	"cwd":  func(e *Event) (string, bool) { return e.str(format.ColCwd) },
	"comm": func(e *Event) (string, bool) { return e.str(format.ColComm) },
	"env": func(e *Event) (string, bool) {
		return strings.Join(e.Rows.Strings(format.ColEnv, e.Row, nil), " "), true
	},
	"tty":      func(e *Event) (string, bool) { return uintText(e, format.ColTTY) },
	"vpgid":    func(e *Event) (string, bool) { return intText(e, format.ColVpgid) },
	"pgid":     func(e *Event) (string, bool) { return intText(e, format.ColPgid) },
	"loginuid": func(e *Event) (string, bool) { return intText(e, format.ColLoginUID) },
	"cap_inheritable": func(e *Event) (string, bool) {
		v, ok := e.u64(format.ColCapInheritable)
		return renderCaps(v), ok
	},
	"cap_permitted": func(e *Event) (string, bool) {
		v, ok := e.u64(format.ColCapPermitted)
		return renderCaps(v), ok
	},
	"cap_effective": func(e *Event) (string, bool) {
		v, ok := e.u64(format.ColCapEffective)
		return renderCaps(v), ok
	},
	"exe_ino":         func(e *Event) (string, bool) { return uintText(e, format.ColExeIno) },
	"exe_ino_ctime":   func(e *Event) (string, bool) { return intText(e, format.ColExeCtime) },
	"exe_ino_mtime":   func(e *Event) (string, bool) { return intText(e, format.ColExeMtime) },
	"trusted_exepath": func(e *Event) (string, bool) { return e.str(format.ColExePath) },
}

// paramColumns lists, per parameter name, every column its rendering in
// paramText or paramRaw may read (on any kind of row), so that a replay
// can leave unread argument columns compressed. A parameter rendered
// from the process state (exe, args) lists the columns that state is
// filled from. Keep it in step with paramText: a test checks that every
// parameter is listed, and the engine's projection test that a listed
// set suffices.
var paramColumns = map[string][]format.ColumnID{
	"res":             {format.ColRet},
	"fd":              {format.ColRet, format.ColFd},
	"oldfd":           {format.ColFd},
	"newfd":           {format.ColRet},
	"name":            {format.ColPath},
	"path":            {format.ColPath},
	"pathname":        {format.ColPath},
	"filename":        {format.ColFilename, format.ColPath},
	"oldpath":         {format.ColPath},
	"newpath":         {format.ColTargetPath},
	"linkpath":        {format.ColTargetPath},
	"target":          {format.ColPathRaw, format.ColPath},
	"new_root":        {format.ColPath},
	"put_old":         {format.ColTargetPath},
	"dev":             {format.ColPath, format.ColDev},
	"dir":             {format.ColTargetPath},
	"ino":             {format.ColIno},
	"mode":            {format.ColMode},
	"flags":           {format.ColFlags, format.ColCloneFlags, format.ColNsFlags, format.ColExeWritable, format.ColExeUpperLayer, format.ColExeFromMemfd, format.ColExeLowerLayer},
	"nstype":          {format.ColNsFlags},
	"uid":             {format.ColUID, format.ColNewUID},
	"gid":             {format.ColGID, format.ColNewGID},
	"ruid":            {format.ColNewUID},
	"euid":            {format.ColNewEUID},
	"suid":            {format.ColNewSUID},
	"rgid":            {format.ColNewGID},
	"egid":            {format.ColNewEGID},
	"sgid":            {format.ColNewSGID},
	"domain":          {format.ColFamily},
	"type":            {format.ColFsType, format.ColSockType},
	"proto":           {format.ColProto},
	"tuple":           {format.ColRet, format.ColFd, format.ColPath, format.ColFlags, format.ColFamily, format.ColProto, format.ColSaddr, format.ColSport, format.ColDaddr, format.ColDport},
	"addr":            {format.ColAddr, format.ColFamily, format.ColSaddr, format.ColSport, format.ColDaddr, format.ColDport},
	"data":            {},
	"request":         {format.ColOp},
	"pid":             {format.ColTargetPid, format.ColChildPid, format.ColPid},
	"tid":             {format.ColChildTid, format.ColTid},
	"ptid":            {format.ColPpid},
	"sig":             {format.ColSignal, format.ColExitSignal},
	"status":          {format.ColExitCode},
	"option":          {format.ColOp},
	"cmd":             {format.ColOp},
	"length":          {format.ColLen},
	"prot":            {format.ColProt},
	"exe":             {format.ColArgv},
	"args":            {format.ColArgv},
	"cwd":             {format.ColCwd},
	"comm":            {format.ColComm},
	"env":             {format.ColEnv},
	"tty":             {format.ColTTY},
	"vpgid":           {format.ColVpgid},
	"pgid":            {format.ColPgid},
	"loginuid":        {format.ColLoginUID},
	"cap_inheritable": {format.ColCapInheritable},
	"cap_permitted":   {format.ColCapPermitted},
	"cap_effective":   {format.ColCapEffective},
	"exe_ino":         {format.ColExeIno},
	"exe_ino_ctime":   {format.ColExeCtime},
	"exe_ino_mtime":   {format.ColExeMtime},
	"trusted_exepath": {format.ColExePath},
}

// ArgColumns returns the columns evt.arg.NAME and evt.rawarg.NAME read
// for the parameter name; ok is false for a name that is no parameter.
func ArgColumns(name string) (cols []format.ColumnID, ok bool) {
	cols, ok = paramColumns[name]
	return cols, ok
}

// ArgNames lists the parameter names evt.arg.NAME accepts, sorted.
func ArgNames() []string { return paramNames() }

// TypeArgColumns returns the columns that rendering every parameter of
// an event reads (evt.args, evt.arg[N]) over the event types in types.
func TypeArgColumns(types cond.TypeSet) []format.ColumnID {
	seen := map[format.ColumnID]bool{}
	var out []format.ColumnID
	for typ, names := range sysParams {
		if !types.Has(typ) {
			continue
		}
		for _, n := range names {
			for _, c := range paramColumns[n] {
				if !seen[c] {
					seen[c] = true
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// paramRaw reads the numeric parameters for evt.rawarg.
var paramRaw = map[string]func(e *Event) (int64, bool){
	"res":     func(e *Event) (int64, bool) { return e.i64(format.ColRet) },
	"fd":      argFd,
	"flags":   func(e *Event) (int64, bool) { v, ok := rawFlags(e); return int64(v), ok },
	"mode":    func(e *Event) (int64, bool) { return e.i64(format.ColMode) },
	"uid":     func(e *Event) (int64, bool) { return e.i64(format.ColNewUID) },
	"gid":     func(e *Event) (int64, bool) { return e.i64(format.ColNewGID) },
	"ruid":    func(e *Event) (int64, bool) { return e.i64(format.ColNewUID) },
	"euid":    func(e *Event) (int64, bool) { return e.i64(format.ColNewEUID) },
	"suid":    func(e *Event) (int64, bool) { return e.i64(format.ColNewSUID) },
	"rgid":    func(e *Event) (int64, bool) { return e.i64(format.ColNewGID) },
	"egid":    func(e *Event) (int64, bool) { return e.i64(format.ColNewEGID) },
	"request": func(e *Event) (int64, bool) { return e.i64(format.ColOp) },
	"option":  func(e *Event) (int64, bool) { return e.i64(format.ColOp) },
	"cmd":     func(e *Event) (int64, bool) { return e.i64(format.ColOp) },
	"pid":     func(e *Event) (int64, bool) { return e.i64(format.ColTargetPid) },
	"sig":     func(e *Event) (int64, bool) { return e.i64(format.ColSignal) },
	"domain":  func(e *Event) (int64, bool) { return e.i64(format.ColFamily) },
	"prot":    func(e *Event) (int64, bool) { return e.i64(format.ColProt) },
	"length":  func(e *Event) (int64, bool) { return e.i64(format.ColLen) },
}

func rawFlags(e *Event) (uint64, bool) {
	switch e.Kind {
	case format.KindFork:
		return e.u64(format.ColCloneFlags)
	case format.KindExec:
		var f uint64
		for i, c := range []format.ColumnID{format.ColExeWritable, format.ColExeUpperLayer, format.ColExeFromMemfd, format.ColExeLowerLayer} {
			if v, _ := e.Rows.Bool(c, e.Row); v {
				f |= 1 << uint(i)
			}
		}
		return f, true
	}
	if e.Syscall() == "unshare" {
		return e.u64(format.ColNsFlags)
	}
	return e.u64(format.ColFlags)
}

func hasParam(e *Event, name string) bool {
	for _, p := range sysParams[e.Syscall()] {
		if p == name {
			return true
		}
	}
	return false
}

func knownParam(name string) bool {
	_, ok := paramText[name]
	return ok
}

func buildArg(arg string) (cond.Extractor, error) {
	if n, err := strconv.Atoi(arg); err == nil {
		if n < 0 {
			return cond.Extractor{}, fmt.Errorf("argument index %d is negative", n)
		}
		return cond.Extractor{String: func(x any) (string, bool) {
			e := ev(x)
			ps := sysParams[e.Syscall()]
			if n >= len(ps) {
				return "", false
			}
			return paramText[ps[n]](e)
		}}, nil
	}
	if !knownParam(arg) {
		return cond.Extractor{}, fmt.Errorf("unknown event argument %q (known: %s)", arg, strings.Join(paramNames(), ", "))
	}
	fn := paramText[arg]
	return cond.Extractor{String: func(x any) (string, bool) {
		e := ev(x)
		if !hasParam(e, arg) {
			return "", false
		}
		return fn(e)
	}}, nil
}

func buildRawArg(arg string) (cond.Extractor, error) {
	fn, ok := paramRaw[arg]
	if !ok {
		return cond.Extractor{}, fmt.Errorf("no raw numeric value for event argument %q", arg)
	}
	return cond.Extractor{Int64: func(x any) (int64, bool) {
		e := ev(x)
		if !hasParam(e, arg) {
			return 0, false
		}
		return fn(e)
	}}, nil
}

func paramNames() []string {
	out := make([]string, 0, len(paramText))
	for n := range paramText {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// allArgs renders evt.args: every parameter of the event as name=value.
func allArgs(e *Event) string {
	var b strings.Builder
	for _, p := range sysParams[e.Syscall()] {
		v, ok := paramText[p](e)
		if !ok {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
		b.WriteByte('=')
		b.WriteString(v)
	}
	return b.String()
}

// argFd is the fd an event is about: the one returned by calls that
// create descriptors, else the one passed in.
func argFd(e *Event) (int64, bool) {
	switch e.Kind {
	case format.KindOpen:
		r, ok := e.i64(format.ColRet)
		if r < 0 {
			return -1, ok
		}
		return r, ok
	case format.KindNet:
		switch e.Syscall() {
		case "socket", "accept", "accept4":
			return e.i64(format.ColRet)
		}
	case format.KindSecurity:
		if e.Syscall() == "memfd_create" {
			return e.i64(format.ColRet)
		}
	}
	return e.i64(format.ColFd)
}

func famOf(e *Event) uint16 {
	v, _ := e.u64(format.ColFamily)
	return uint16(v)
}

func intText(e *Event, c format.ColumnID) (string, bool) {
	v, ok := e.i64(c)
	return strconv.FormatInt(v, 10), ok
}

func uintText(e *Event, c format.ColumnID) (string, bool) {
	v, ok := e.u64(c)
	return strconv.FormatUint(v, 10), ok
}

func sigText(e *Event) (string, bool) {
	c := format.ColSignal
	if e.Kind == format.KindExit {
		c = format.ColExitSignal
	}
	return intText(e, c)
}

// execArgv returns argv of an exec row, or of the actor otherwise.
func execArgv(e *Event) []string {
	if p := e.Process(); p != nil {
		return p.Argv
	}
	return nil
}

func first(a []string) string {
	if len(a) == 0 {
		return ""
	}
	return a[0]
}

func joinArgs(a []string) string {
	if len(a) <= 1 {
		return ""
	}
	return strings.Join(a[1:], " ")
}
