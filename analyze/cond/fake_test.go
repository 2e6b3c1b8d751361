package cond

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// fakeEvent is a map-backed event for tests: field name (with [arg] when
// given) -> value (string, int64, uint64, bool, netip.Addr, []byte, or
// []string for list fields). A missing key is a missing value.
type fakeEvent map[string]any

// fakeCatalog knows the fields the upstream rules use, with Falco's types.
type fakeCatalog struct{}

var fakeTypes = map[string]FieldType{
	"fd.num": TypeInt64, "evt.rawres": TypeInt64, "proc.duration": TypeRelTime, "proc.ppid.duration": TypeRelTime,
	"user.uid": TypeUint64, "user.loginuid": TypeInt64, "proc.tty": TypeInt64, "proc.vpid": TypeInt64, "proc.pid": TypeInt64,
	"evt.num": TypeUint64, "group.gid": TypeUint64, "container.start_ts": TypeAbsTime, "proc.exe_ino.mtime": TypeAbsTime,
	"proc.exe_ino.ctime": TypeAbsTime, "proc.exe_ino.ctime_duration_proc_start": TypeAbsTime,
	"fd.sport": TypePort, "fd.dport": TypePort, "fd.lport": TypePort, "fd.rport": TypePort, "fd.port": TypePort,
	"fd.ip": TypeIPAddr, "fd.cip": TypeIPAddr, "fd.sip": TypeIPAddr, "fd.rip": TypeIPAddr, "fd.lip": TypeIPAddr,
	"fd.net": TypeIPNet, "fd.cnet": TypeIPNet, "fd.snet": TypeIPNet, "fd.rnet": TypeIPNet, "fd.lnet": TypeIPNet,
	"evt.is_open_read": TypeBool, "evt.is_open_write": TypeBool, "evt.is_open_exec": TypeBool, "fd.connected": TypeBool,
	"fd.name_changed": TypeBool, "container.privileged": TypeBool, "proc.is_exe_upper_layer": TypeBool,
	"proc.is_exe_from_memfd": TypeBool, "proc.is_vpgid_leader": TypeBool, "proc.is_exe_writable": TypeBool,
	"evt.buffer": TypeBytes,
	"proc.name":  TypeString, "proc.pname": TypeString, "proc.cmdline": TypeString, "proc.exepath": TypeString,
	"proc.args": TypeString, "proc.pcmdline": TypeString, "proc.pexe": TypeString, "proc.exe": TypeString, "proc.cwd": TypeString,
	"proc.sname": TypeString, "proc.pexepath": TypeString, "proc.vpgid.name": TypeString, "proc.vpgid.exe": TypeString,
	"proc.env": TypeString, "proc.aname": TypeString, "proc.aexepath": TypeString, "proc.aexe": TypeString,
	"fd.name": TypeString, "fd.directory": TypeString, "fd.typechar": TypeString, "fd.type": TypeString, "fd.l4proto": TypeString,
	"fd.filename": TypeString, "fd.nameraw": TypeString, "fd.sip.name": TypeString, "fd.cip.name": TypeString,
	"fd.rip.name": TypeString, "fd.lip.name": TypeString, "fd.sockfamily": TypeString, "fd.types": TypeString,
	"evt.type": TypeString, "evt.res": TypeString, "evt.args": TypeString, "evt.arg": TypeString, "evt.hostname": TypeString,
	"evt.time":  TypeAbsTime,
	"user.name": TypeString, "user.loginname": TypeString, "group.name": TypeString,
	"thread.cap_effective": TypeString, "thread.cap_permitted": TypeString,
	"container.id": TypeString, "container.mount.dest": TypeString, "container.mounts": TypeString,
}

var fakeUnavailable = map[string]string{
	"k8s.":             "kubernetes metadata is not recorded",
	"container.image.": "container image metadata is not recorded",
}

var fakeEventTypes = []string{"execve", "execveat", "open", "openat", "openat2", "connect", "accept", "socket",
	"ptrace", "symlink", "symlinkat", "link", "linkat", "dup", "dup2", "dup3", "init_module", "finit_module",
	"sendto", "sendmsg", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat",
	"setuid", "clone", "fork", "chmod", "mount", "bpf", "memfd_create", "listen", "bind", "setns", "unshare"}

func (fakeCatalog) EventTypes() []string { return fakeEventTypes }

func (fakeCatalog) Lookup(name, arg string, hasArg bool) (Extractor, FieldSpec, error) {
	for prefix, reason := range fakeUnavailable {
		if strings.HasPrefix(name, prefix) {
			return Extractor{}, FieldSpec{}, &UnavailableError{Field: name, Reason: reason}
		}
	}
	key := name
	if strings.HasPrefix(name, "evt.arg.") { // evt.arg.flags -> evt.arg with argument flags
		if hasArg {
			return Extractor{}, FieldSpec{}, fmt.Errorf("evt.arg.<name> takes no [argument]")
		}
		name, arg, hasArg = "evt.arg", strings.TrimPrefix(name, "evt.arg."), true
		if arg == "nosuchparam" {
			return Extractor{}, FieldSpec{}, fmt.Errorf("unknown event argument %s", arg)
		}
	}
	t, ok := fakeTypes[name]
	if !ok {
		return Extractor{}, FieldSpec{}, fmt.Errorf("%w %s", ErrUnknownField, name)
	}
	spec := FieldSpec{Name: name, Type: t}
	if hasArg {
		key = name + "[" + arg + "]"
		if name == "proc.aname" || name == "proc.aexepath" || name == "proc.aexe" {
			if _, err := strconv.Atoi(arg); err != nil {
				return Extractor{}, FieldSpec{}, fmt.Errorf("argument %q is not an ancestor number", arg)
			}
		}
	} else if name == "proc.aname" || name == "proc.aexe" || name == "proc.aexepath" {
		spec.IsList, spec.AnyElement, spec.NoTransformer = true, true, true
	} else if name == "fd.types" {
		spec.IsList = true
	}
	if name == "evt.arg" && !hasArg {
		return Extractor{}, FieldSpec{}, fmt.Errorf("evt.arg needs an argument")
	}
	if spec.IsList {
		return Extractor{StringAt: func(ev Event, i int) (string, bool) {
			l, ok := ev.(fakeEvent)[key].([]string)
			if !ok || i >= len(l) {
				return "", false
			}
			return l[i], true
		}}, spec, nil
	}
	var ex Extractor
	switch familyOf(t) {
	case famString:
		ex.String = func(ev Event) (string, bool) { v, ok := ev.(fakeEvent)[key].(string); return v, ok }
	case famInt:
		ex.Int64 = func(ev Event) (int64, bool) { v, ok := ev.(fakeEvent)[key].(int64); return v, ok }
	case famUint:
		ex.Uint64 = func(ev Event) (uint64, bool) { v, ok := ev.(fakeEvent)[key].(uint64); return v, ok }
	case famBool:
		ex.Bool = func(ev Event) (bool, bool) { v, ok := ev.(fakeEvent)[key].(bool); return v, ok }
	case famAddr:
		ex.Addr = func(ev Event) (netip.Addr, bool) { v, ok := ev.(fakeEvent)[key].(netip.Addr); return v, ok }
	case famBytes:
		ex.Bytes = func(ev Event) ([]byte, bool) { v, ok := ev.(fakeEvent)[key].([]byte); return v, ok }
	}
	return ex, spec, nil
}
