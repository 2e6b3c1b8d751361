package fields_test

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/rewind-sh/rewind/analyze/cond"
	"github.com/rewind-sh/rewind/analyze/fields"
	"github.com/rewind-sh/rewind/analyze/state"
	"github.com/rewind-sh/rewind/analyze/state/statetest"
	"github.com/rewind-sh/rewind/format"
)

const sec = int64(1e9)

// scene is a small replay: a keyframe of init, sshd and bash, a user
// row, then the events under test.
func scene() []format.Event {
	kf := func(pid, ppid int32, comm, exe string, argv ...string) format.Event {
		return format.Event{Ts: 100 * sec, Kind: format.KindKeyframe, Pid: pid, Tid: pid, Ppid: ppid, Vpid: pid, Comm: comm,
			ExePath: exe, Argv: argv, StartTs: 50 * sec, Sid: 500, Pgid: pid, Vpgid: pid, ExeIno: uint64(pid), CapEffective: 1<<21 | 1<<1}
	}
	common := func(ts int64, kind format.Kind, sys string) format.Event {
		return format.Event{Ts: ts, Kind: kind, Syscall: sys, Pid: 700, Tid: 700, Ppid: 600, Vpid: 7, Comm: "payload",
			ExePath: "/tmp/payload", UID: 1000, GID: 1000, LoginUID: 4294967295, ContainerID: "0123456789abcdef0123"}
	}
	fork := format.Event{Ts: 101 * sec, Kind: format.KindFork, Syscall: "clone", Pid: 600, Tid: 600, Ppid: 500, Comm: "bash",
		ChildPid: 700, ChildTid: 700, CloneFlags: 0x11, PidnsInitStartTs: 90 * sec}
	exec := common(102*sec, format.KindExec, "execve")
	exec.Argv, exec.Cwd, exec.Env = []string{"./payload", "-x", "y"}, "/tmp", []string{"LD_PRELOAD=/tmp/evil.so"}
	exec.ExeIno, exec.ExeDev, exec.ExeCtime, exec.ExeMtime, exec.ExeSize = 77, 8, 100*sec, 99*sec, 10
	exec.ExeUpperLayer, exec.ExeWritable, exec.TTY, exec.Sid = true, true, 34816, 500
	// the payload is a #! script: its file's identity, and a hash row for
	// it and one for another version of the same inode (another ctime)
	exec.Interpreter, exec.ScriptPath = "/tmp/payload", "/tmp/payload"
	exec.ScriptDev, exec.ScriptIno, exec.ScriptCtime, exec.ScriptMtime, exec.ScriptSize = 8, 78, 101*sec, 98*sec, 42
	hash := format.Event{Ts: 102 * sec, Kind: format.KindExeHash, ExeDev: 8, ExeIno: 77, ExeCtime: 100 * sec, ExeMtime: 99 * sec, ExeSize: 10, Sha256: "beef", HashSource: "proc_exe"}
	scriptHash := format.Event{Ts: 102 * sec, Kind: format.KindExeHash, ExeDev: 8, ExeIno: 78, ExeCtime: 101 * sec, ExeMtime: 98 * sec, ExeSize: 42, Sha256: "cafe", HashSource: "path"}
	staleHash := format.Event{Ts: 102 * sec, Kind: format.KindExeHash, ExeDev: 8, ExeIno: 78, ExeCtime: 97 * sec, ExeMtime: 98 * sec, ExeSize: 42, Sha256: "dead", HashSource: "path"}
	open := common(103*sec, format.KindOpen, "openat")
	open.Path, open.PathRaw, open.Flags, open.Ret, open.Fd, open.Mode = "/etc/shadow", "../etc/shadow", 0o1|0o100|0o1000|0o2000000, 3, 3, 0o755
	failed := common(104*sec, format.KindOpen, "openat")
	failed.Path, failed.Ret, failed.Fd = "/nope", -2, -1
	conn := common(105*sec, format.KindNet, "connect")
	conn.Family, conn.Proto, conn.Fd, conn.Saddr, conn.Sport, conn.Daddr, conn.Dport, conn.Ret = 2, "tcp", 4, "10.0.0.2", 40000, "127.0.0.1", 22, -115
	ptrace := common(106*sec, format.KindSecurity, "ptrace")
	ptrace.Op, ptrace.TargetPid = 16, 600
	link := common(107*sec, format.KindFile, "symlinkat")
	link.Path, link.PathRaw, link.TargetPath = "/etc/shadow", "/etc/shadow", "/etc/x"
	return []format.Event{
		kf(1, 0, "systemd", "/sbin/init", "/sbin/init"), kf(500, 1, "sshd", "/usr/sbin/sshd", "sshd"), kf(600, 500, "bash", "/bin/bash", "-bash"),
		{Ts: 100 * sec, Kind: format.KindUser, UID: 1000, UserName: "alice", UserHome: "/home/alice"},
		fork, exec, staleHash, hash, scriptHash, open, failed, conn, ptrace, link,
	}
}

// values replays scene and renders field on the row with the given
// syscall (the first one).
func value(t *testing.T, field, arg string, hasArg bool, syscall string) string {
	t.Helper()
	x, spec, err := fields.Default().Lookup(field, arg, hasArg)
	if err != nil {
		t.Fatalf("lookup %s: %v", field, err)
	}
	evs := scene()
	rec := statetest.Record(evs)
	defer rec.Release()
	var rows state.Rows
	if err := rows.Reset(rec); err != nil {
		t.Fatal(err)
	}
	tab := state.NewTable()
	ev := fields.Event{Rows: &rows, Table: tab, Hostname: "h"}
	for i := range evs {
		p := tab.Apply(&rows, i, evs[i].Kind)
		if evs[i].Syscall != syscall {
			continue
		}
		ev.Reset(i, evs[i].Kind, uint64(i))
		ev.SetProcess(p)
		return render(x, spec, &ev)
	}
	t.Fatalf("no %s row", syscall)
	return ""
}

func render(x cond.Extractor, spec cond.FieldSpec, ev *fields.Event) string {
	if spec.IsList {
		var parts []string
		for i := 0; ; i++ {
			var s string
			var ok bool
			switch {
			case x.StringAt != nil:
				s, ok = x.StringAt(ev, i)
			case x.Int64At != nil:
				var v int64
				v, ok = x.Int64At(ev, i)
				s = strconv.FormatInt(v, 10)
			case x.AddrAt != nil:
				var a netip.Addr
				a, ok = x.AddrAt(ev, i)
				s = a.String()
			case x.Uint64At != nil:
				var v uint64
				v, ok = x.Uint64At(ev, i)
				s = strconv.FormatUint(v, 10)
			}
			if !ok {
				break
			}
			parts = append(parts, s)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	var s string
	var ok bool
	switch {
	case x.String != nil:
		s, ok = x.String(ev)
	case x.Int64 != nil:
		var v int64
		v, ok = x.Int64(ev)
		s = strconv.FormatInt(v, 10)
	case x.Uint64 != nil:
		var v uint64
		v, ok = x.Uint64(ev)
		s = strconv.FormatUint(v, 10)
	case x.Bool != nil:
		var v bool
		v, ok = x.Bool(ev)
		s = strconv.FormatBool(v)
	case x.Addr != nil:
		var a netip.Addr
		a, ok = x.Addr(ev)
		s = a.String()
	}
	if !ok {
		return "<NA>"
	}
	return s
}

func TestFieldValuesFollowTheProcessTable(t *testing.T) {
	tests := []struct {
		name, field, arg string
		hasArg           bool
		syscall, want    string
	}{
		{"the name comes from the row", "proc.name", "", false, "openat", "payload"},
		{"the parent is found through the row's ppid", "proc.pname", "", false, "openat", "bash"},
		{"aname[2] is the grandparent", "proc.aname", "2", true, "openat", "sshd"},
		{"aname[0] is the process itself", "proc.aname", "0", true, "openat", "payload"},
		{"aname without index lists every ancestor", "proc.aname", "", false, "openat", "[bash sshd systemd]"},
		{"apid lists ancestor pids", "proc.apid", "", false, "openat", "[600 500 1]"},
		{"a missing ancestor is missing", "proc.aname", "5", true, "openat", "<NA>"},
		{"argv[0] is proc.exe", "proc.exe", "", false, "execve", "./payload"},
		{"args exclude argv[0]", "proc.args", "", false, "openat", "-x y"},
		{"args[1] is the second argument", "proc.args", "1", true, "openat", "y"},
		{"cmdline is name plus args", "proc.cmdline", "", false, "openat", "payload -x y"},
		{"pcmdline is the parent's", "proc.pcmdline", "", false, "openat", "bash"},
		{"env by name", "proc.env", "LD_PRELOAD", true, "openat", "/tmp/evil.so"},
		{"cwd after exec", "proc.cwd", "", false, "openat", "/tmp"},
		{"session leader name", "proc.sname", "", false, "openat", "sshd"},
		{"ctime duration from the fork", "proc.exe_ino.ctime_duration_proc_start", "", false, "execve", "1000000000"},
		{"ctime after the pid namespace started", "proc.exe_ino.ctime_duration_pidns_start", "", false, "execve", "10000000000"},
		{"upper layer flag", "proc.is_exe_upper_layer", "", false, "openat", "true"},
		{"memfd flag", "proc.is_exe_from_memfd", "", false, "openat", "false"},
		{"keyframe processes have no exec flags but a known identity", "proc.is_exe_upper_layer", "", false, "ptrace", "true"},
		{"hash joined by identity", "proc.exe.sha256", "", false, "openat", "beef"},
		{"the script's hash joined by the script file's identity", "proc.exe.script.sha256", "", false, "openat", "cafe"},
		{"the script path as the exec named it", "proc.exe.script", "", false, "openat", "/tmp/payload"},
		{"no script hash for a process that ran none", "proc.exe.script.sha256", "", false, "clone", "<NA>"},
		{"duration since the fork", "proc.duration", "", false, "openat", "2000000000"},
		{"container id is cut to 12", "container.id", "", false, "openat", "0123456789ab"},
		{"container start is the pid namespace start", "container.start_ts", "", false, "openat", "90000000000"},
		{"user name from user rows", "user.name", "", false, "openat", "alice"},
		{"unset loginuid is -1", "user.loginuid", "", false, "openat", "-1"},
		{"caps of a keyframe process as names", "thread.cap_effective", "", false, "clone", "CAP_DAC_OVERRIDE CAP_SYS_ADMIN"},
		{"caps after an exec that dropped them", "thread.cap_effective", "", false, "execve", ""},
		{"fd.num is the returned fd", "fd.num", "", false, "openat", "3"},
		{"fd.name is the resolved path", "fd.name", "", false, "openat", "/etc/shadow"},
		{"fd.nameraw is the caller's path", "fd.nameraw", "", false, "openat", "../etc/shadow"},
		{"fd.directory", "fd.directory", "", false, "openat", "/etc"},
		{"fd.filename", "fd.filename", "", false, "openat", "shadow"},
		{"fd.typechar of a file", "fd.typechar", "", false, "openat", "f"},
		{"open for write", "evt.is_open_write", "", false, "openat", "true"},
		{"open for read", "evt.is_open_read", "", false, "openat", "false"},
		{"open flags render as names", "evt.arg.flags", "", false, "openat", "O_TRUNC|O_CREAT|O_WRONLY|O_CLOEXEC"},
		{"evt.arg[1] is the second parameter", "evt.arg", "1", true, "openat", "/etc/shadow"},
		{"mode renders in octal", "evt.arg.mode", "", false, "openat", "0755"},
		{"a parameter the call lacks is missing", "evt.arg.request", "", false, "openat", "<NA>"},
		{"socket tuple", "fd.name", "", false, "connect", "10.0.0.2:40000->127.0.0.1:22"},
		{"server ip of an outbound connect is the remote", "fd.sip", "", false, "connect", "127.0.0.1"},
		{"client port", "fd.cport", "", false, "connect", "40000"},
		{"fd.ip lists both ends", "fd.ip", "", false, "connect", "[10.0.0.2 127.0.0.1]"},
		{"in-progress connect counts as connected", "fd.connected", "", false, "connect", "true"},
		{"EINPROGRESS renders by name", "evt.res", "", false, "connect", "EINPROGRESS"},
		{"l4proto", "fd.l4proto", "", false, "connect", "tcp"},
		{"ptrace request by name", "evt.arg.request", "", false, "ptrace", "PTRACE_ATTACH"},
		{"ptrace target pid", "evt.arg.pid", "", false, "ptrace", "600"},
		{"rawarg gives the number", "evt.rawarg", "request", true, "ptrace", "16"},
		{"symlink target is the text the caller gave", "evt.arg.target", "", false, "symlinkat", "/etc/shadow"},
		{"symlink link path", "evt.arg.linkpath", "", false, "symlinkat", "/etc/x"},
		{"a failed open has fd.num -1", "fd.num", "", false, "openat", "3"},
		{"evt.type", "evt.type", "", false, "ptrace", "ptrace"},
		{"the executable path as the kernel resolved it", "proc.exepath", "", false, "openat", "/tmp/payload"},
		{"execve flags", "evt.arg.flags", "", false, "execve", "EXE_WRITABLE|EXE_UPPER_LAYER"},
		{"host outside containers", "container.id", "", false, "clone", "host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := value(t, tt.field, tt.arg, tt.hasArg, tt.syscall); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.field, got, tt.want)
			}
		})
	}
}

func TestMemfdExecutablePathsReadLikeFalcos(t *testing.T) {
	for in, want := range map[string]string{
		"/memfd:rewind-sample (deleted)":    "memfd:rewind-sample",
		"/memfd:runc_cloned:/proc/self/exe": "memfd:runc_cloned:/proc/self/exe",
		"memfd:payload (deleted)":           "memfd:payload",
		"/usr/bin/memfd:thing (deleted)":    "/usr/bin/memfd:thing (deleted)",
		"/tmp/x (deleted)":                  "/tmp/x (deleted)",
	} {
		if got := fields.ExePathForTest(in); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}

func TestLookupErrors(t *testing.T) {
	tests := []struct {
		name, field, arg string
		hasArg           bool
		want             string
		unavailable      bool
	}{
		{"an unknown field", "proc.nosuch", "", false, "unknown field proc.nosuch", false},
		{"an unknown event argument", "evt.arg.nosuch", "", false, `field evt.arg: unknown event argument "nosuch" (known: addr, args,`, false},
		{"a required argument is missing", "evt.arg", "", false, "field evt.arg needs an argument: evt.arg.NAME", false},
		{"an argument where none is taken", "proc.name", "1", true, "field proc.name takes no argument", false},
		{"a non-numeric ancestor index", "proc.aname", "x", true, `field proc.aname: index "x" is not a non-negative integer`, false},
		{"kubernetes fields are unavailable", "k8s.ns.name", "", false, "field k8s.ns.name is not available: kubernetes metadata is not recorded (the recorder does not query the kubelet or the API server)", true},
		{"unlisted kubernetes fields are unavailable too", "k8s.deployment.name", "", false, "field k8s.deployment.name is not available: kubernetes metadata is not recorded (the recorder does not query the kubelet or the API server)", true},
		{"image metadata is unavailable", "container.image.repository", "", false, "field container.image.repository is not available: container runtime metadata (image, name, mounts, privileges, labels) is not recorded; only the id from the cgroup path is", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := fields.Default().Lookup(tt.field, tt.arg, tt.hasArg)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			var ue *cond.UnavailableError
			if errors.As(err, &ue) != tt.unavailable {
				t.Errorf("unavailable = %v, want %v", !tt.unavailable, tt.unavailable)
			}
			if !tt.unavailable && strings.HasPrefix(tt.want, "unknown field") && !errors.Is(err, cond.ErrUnknownField) {
				t.Errorf("does not wrap ErrUnknownField")
			}
		})
	}
}

// upstreamFields are the fields the three upstream rules files use
// (rules-usage.md); each must be in the catalog, available or not.
var upstreamFields = []string{
	"evt.type", "proc.name", "evt.num", "container.id", "fd.typechar", "container.image.repository", "proc.pname",
	"fd.name", "fd.num", "proc.args", "proc.cmdline", "fd.directory", "evt.is_open_read", "proc.exe", "proc.pcmdline",
	"proc.aname", "evt.res", "user.name", "evt.is_open_write", "evt.rawres", "thread.cap_effective", "proc.pexe",
	"fd.connected", "fd.filename", "fd.ip", "fd.l4proto", "fd.name_changed", "fd.nameraw", "fd.net", "fd.sip.name",
	"fd.snet", "fd.sport", "k8s.ns.name", "proc.duration", "proc.exepath", "container.privileged", "fd.type",
	"proc.cwd", "proc.is_exe_from_memfd", "proc.is_exe_upper_layer", "proc.tty", "user.uid", "container.start_ts",
	"fd.lport", "fd.rport", "fd.sip", "group.gid", "group.name", "proc.aexepath", "proc.exe_ino.ctime",
	"proc.exe_ino.ctime_duration_proc_start", "proc.exe_ino.mtime", "proc.pexepath", "proc.sname", "user.loginname",
	"user.loginuid", "evt.args", "proc.aexe", "proc.env", "proc.vpid", "proc.is_vpgid_leader", "thread.cap_permitted",
	"fd.port", "fd.rnet", "fd.sockfamily", "fd.cip", "fd.cip.name", "fd.cnet", "evt.buffer", "evt.is_open_exec",
	"container.mount.dest", "k8s.pod.name", "container.mounts", "fd.rip", "fd.lip.name", "fd.rip.name", "evt.arg",
	"proc.exe_ino", "proc.exe_ino.ctime_duration_pidns_start", "proc.pidns_init_start_ts", "proc.is_exe_writable",
	"proc.is_exe_lower_layer", "container.duration", "proc.exe.sha256",
}

func TestTheCatalogCoversTheUpstreamFields(t *testing.T) {
	for _, name := range upstreamFields {
		f, ok := fields.Default().Field(name)
		if !ok {
			t.Errorf("%s is not in the catalog", name)
			continue
		}
		if f.Desc == "" || f.Type == cond.TypeInvalid {
			t.Errorf("%s lacks a description or a type", name)
		}
	}
}

func TestLenientCatalogTurnsUnavailableIntoMissing(t *testing.T) {
	l := fields.NewLenient(fields.Default())
	x, spec, err := l.Lookup("container.image.repository", "", false)
	if err != nil || spec.Type != cond.TypeString {
		t.Fatalf("lookup: %v %v", spec.Type, err)
	}
	if _, ok := x.String(nil); ok {
		t.Errorf("an unavailable field has a value")
	}
	if m := l.TakeMissing(); len(m) != 1 || m[0].Field != "container.image.repository" {
		t.Errorf("missing = %+v", m)
	}
}

// FuzzLookup resolves arbitrary field references and evaluates every
// extractor it gets on every row of the scene: nothing may panic.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"proc.aname", "evt.arg.flags", "k8s.pod.name", "fd.ip", "proc.env", "evt.rawarg.pid", "a..b", "."} {
		f.Add(s, "2", true)
		f.Add(s, "", false)
	}
	evs := scene()
	rec := statetest.Record(evs)
	var rows state.Rows
	if err := rows.Reset(rec); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name, arg string, hasArg bool) {
		x, spec, err := fields.Default().Lookup(name, arg, hasArg)
		if err != nil {
			return
		}
		if spec.Type == cond.TypeInvalid {
			t.Fatalf("%s: no type", name)
		}
		tab := state.NewTable()
		ev := fields.Event{Rows: &rows, Table: tab}
		for i := range evs {
			p := tab.Apply(&rows, i, evs[i].Kind)
			ev.Reset(i, evs[i].Kind, uint64(i))
			ev.SetProcess(p)
			render(x, spec, &ev)
			if x.Text != nil {
				x.Text(&ev)
			}
		}
	})
}
