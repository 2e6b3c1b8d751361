package enginetest

import (
	"fmt"
	"sort"
	"time"

	"github.com/rewind-sh/rewind/format"
)

// Base is the time of the first row of every scenario: 2026-01-02 03:04:05 UTC.
var Base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()

const (
	ms  = int64(time.Millisecond)
	sec = int64(time.Second)
	day = 24 * 3600 * sec
)

// Host is the manifest host of every scenario recording.
var Host = format.HostInfo{Hostname: "sample-host", BootID: "00000000-0000-4000-8000-000000000001",
	KernelRelease: "6.8.0-test", RecorderVersion: "enginetest", BootTimeNs: Base - 3600*sec, NumCPU: 2}

// proc is a process the generator knows, for building rows.
type proc struct {
	pid, ppid int32
	comm, exe string
	uid       uint32
	ino       uint64
}

func (p proc) row(ts int64, kind format.Kind, sys string) format.Event {
	return format.Event{Ts: ts, Kind: kind, Syscall: sys, Pid: p.pid, Tid: p.pid, Ppid: p.ppid, Vpid: p.pid, Vtid: p.pid,
		UID: p.uid, GID: p.uid, EUID: p.uid, EGID: p.uid, LoginUID: 1000, Comm: p.comm, ExePath: p.exe,
		ExeDev: 0x803, ExeIno: p.ino, MntNs: 4026531841, PidNs: 4026531836, NetNs: 4026531840}
}

var (
	initProc = proc{pid: 1, ppid: 0, comm: "systemd", exe: "/usr/lib/systemd/systemd", ino: 11}
	sshd     = proc{pid: 500, ppid: 1, comm: "sshd", exe: "/usr/sbin/sshd", ino: 12}
	shell    = proc{pid: 600, ppid: 500, comm: "bash", exe: "/usr/bin/bash", uid: 1000, ino: 13}
)

// Keyframe returns the rows a segment starts with: the live processes,
// users and groups.
func Keyframe(ts int64) []format.Event {
	var out []format.Event
	for _, p := range []proc{initProc, sshd, shell} {
		e := p.row(ts, format.KindKeyframe, "")
		e.Argv = []string{p.exe}
		if p.pid == 600 {
			e.Argv = []string{"-bash"}
			e.TTY = 0x8800
		}
		e.Cwd = "/"
		e.StartTs = ts - 3000*sec + int64(p.pid)*sec
		e.ExeCtime, e.ExeMtime, e.ExeSize, e.ExeMode = ts-90*day, ts-90*day, 100000, 0o100755
		e.PidnsInitStartTs = Host.BootTimeNs
		e.Sid, e.Pgid, e.Vpgid = p.pid, p.pid, p.pid
		e.State = "S"
		out = append(out, e)
	}
	out = append(out,
		format.Event{Ts: ts, Kind: format.KindUser, UID: 0, UserName: "root", UserHome: "/root", UserShell: "/bin/bash"},
		format.Event{Ts: ts, Kind: format.KindUser, UID: 1000, UserName: "alice", UserHome: "/home/alice", UserShell: "/bin/bash"},
		format.Event{Ts: ts, Kind: format.KindGroup, GID: 0, GroupName: "root"},
		format.Event{Ts: ts, Kind: format.KindGroup, GID: 1000, GroupName: "alice"},
	)
	return out
}

// builder accumulates a scenario's event rows.
type builder struct {
	ts      int64
	evs     []format.Event
	nextPid int32
}

func (b *builder) tick(d int64) int64 { b.ts += d; return b.ts }

// spawn forks the shell and execs exe in the child; it returns the child.
func (b *builder) spawn(exe string, argv []string, mod func(*format.Event)) proc {
	child := proc{pid: b.nextPid, ppid: shell.pid, comm: comm(exe), exe: exe, uid: shell.uid, ino: uint64(1000 + b.nextPid)}
	b.nextPid++
	f := shell.row(b.tick(ms), format.KindFork, "clone")
	f.ChildPid, f.ChildTid, f.CloneFlags, f.Ret = child.pid, child.pid, 0x1200011, int64(child.pid)
	f.PidnsInitStartTs = Host.BootTimeNs
	forkTs := f.Ts
	b.evs = append(b.evs, f)
	e := child.row(b.tick(ms), format.KindExec, "execve")
	e.Filename, e.Argv, e.Cwd = exe, argv, "/home/alice"
	e.ExeCtime, e.ExeMtime, e.ExeSize, e.ExeMode, e.ExeUID = b.ts-30*day, b.ts-30*day, 50000, 0o100755, 0
	e.StartTs, e.PidnsInitStartTs = forkTs, Host.BootTimeNs
	e.TTY, e.Sid, e.Pgid, e.Vpgid = 0x8800, shell.pid, child.pid, child.pid
	e.CapEffective, e.CapPermitted = 0, 0
	if mod != nil {
		mod(&e)
	}
	b.evs = append(b.evs, e)
	return child
}

func (b *builder) exit(p proc) {
	e := p.row(b.tick(ms), format.KindExit, "sched_process_exit")
	b.evs = append(b.evs, e)
}

func (b *builder) open(p proc, path string, flags uint64, ret int64) {
	e := p.row(b.tick(ms), format.KindOpen, "openat")
	e.Path, e.PathRaw, e.Flags, e.Mode, e.Ret, e.Fd, e.Ino, e.Dev = path, path, flags, 0o644, ret, int32(ret), 4242, 0x803
	b.evs = append(b.evs, e)
}

func comm(exe string) string {
	i := len(exe) - 1
	for i >= 0 && exe[i] != '/' {
		i--
	}
	c := exe[i+1:]
	if len(c) > 15 {
		c = c[:15]
	}
	return c
}

// Scenarios lists the scenario names Events knows, sorted.
func Scenarios() []string {
	out := make([]string, 0, len(scenarios))
	for n := range scenarios {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

var scenarios = map[string]func(b *builder){
	"drift": func(b *builder) {
		cp := b.spawn("/usr/bin/cp", []string{"cp", "/usr/bin/true", "/tmp/rewind-drift/payload"}, nil)
		b.open(cp, "/tmp/rewind-drift/payload", 0o1|0o100|0o1000, 3)
		b.exit(cp)
		chmod := b.spawn("/usr/bin/chmod", []string{"chmod", "+x", "/tmp/rewind-drift/payload"}, nil)
		e := chmod.row(b.tick(ms), format.KindFile, "fchmodat")
		e.Path, e.PathRaw, e.Mode = "/tmp/rewind-drift/payload", "/tmp/rewind-drift/payload", 0o755
		b.evs = append(b.evs, e)
		changed := e.Ts
		b.exit(chmod)
		var id format.Event
		p := b.spawn("/tmp/rewind-drift/payload", []string{"/tmp/rewind-drift/payload"}, func(e *format.Event) {
			e.ExeCtime, e.ExeMtime, e.ExeUID, e.ExeWritable = changed, changed-2*ms, 1000, true
			id = *e
		})
		b.exit(p)
		// The recorder hashes asynchronously: the hash row comes later.
		b.evs = append(b.evs, format.Event{Ts: b.tick(ms), Kind: format.KindExeHash, ExeDev: id.ExeDev, ExeIno: id.ExeIno,
			ExeCtime: id.ExeCtime, ExeMtime: id.ExeMtime, ExeSize: id.ExeSize, HashSource: "path",
			Sha256: "3c8727e019a42b444667a587b6001251becadabbb36bfed8087a92c18882d111"})
	},
	"memfd": func(b *builder) {
		loader := b.spawn("/tmp/rewind-memfd/loader", []string{"loader"}, nil)
		m := loader.row(b.tick(ms), format.KindSecurity, "memfd_create")
		m.Path, m.Ret, m.Fd = "payload", 3, 3
		b.evs = append(b.evs, m)
		created := m.Ts
		e := loader.row(b.tick(ms), format.KindExec, "execveat")
		e.ExePath, e.Comm, e.Filename, e.Argv = "memfd:payload (deleted)", "3", "", []string{"payload"}
		e.ExeFromMemfd, e.ExeCtime, e.ExeMtime, e.ExeSize, e.ExeMode = true, created, created, 8000, 0o100777
		e.Cwd, e.TTY, e.Sid, e.Pgid = "/home/alice", 0x8800, shell.pid, loader.pid
		b.evs = append(b.evs, e)
		loader.comm, loader.exe = "3", "memfd:payload (deleted)"
		b.exit(loader)
	},
	"devshm": func(b *builder) {
		p := b.spawn("/dev/shm/rewind-x", []string{"/dev/shm/rewind-x"}, func(e *format.Event) {
			e.ExeCtime, e.ExeMtime = e.Ts-2*3600*sec, e.Ts-2*3600*sec
		})
		b.exit(p)
	},
	"shadow": func(b *builder) {
		p := b.spawn("/usr/bin/cat", []string{"cat", "/etc/shadow"}, nil)
		b.open(p, "/etc/shadow", 0o2000000, 3)
		b.exit(p)
	},
	"ptrace": func(b *builder) {
		p := b.spawn("/usr/bin/gdb", []string{"gdb", "-p", "600"}, nil)
		e := p.row(b.tick(ms), format.KindSecurity, "ptrace")
		e.Op, e.TargetPid, e.Ret = 16, shell.pid, 0
		b.evs = append(b.evs, e)
		b.exit(p)
	},
	"symlink": func(b *builder) {
		p := b.spawn("/usr/bin/ln", []string{"ln", "-s", "/etc/shadow", "/etc/rewind-sample-link"}, nil)
		e := p.row(b.tick(ms), format.KindFile, "symlinkat")
		e.Path, e.PathRaw, e.TargetPath, e.TargetPathRaw = "/etc/shadow", "/etc/shadow", "/etc/rewind-sample-link", "/etc/rewind-sample-link"
		b.evs = append(b.evs, e)
		b.exit(p)
	},
	"benign": func(b *builder) {
		ls := b.spawn("/usr/bin/ls", []string{"ls", "/tmp"}, nil)
		b.open(ls, "/tmp", 0o200000|0o4000|0o2000000, 3)
		b.exit(ls)
		cat := b.spawn("/usr/bin/cat", []string{"cat", "/etc/hostname"}, nil)
		b.open(cat, "/etc/hostname", 0, 3)
		b.exit(cat)
		sh := b.spawn("/usr/bin/dash", []string{"sh", "-c", "echo hi"}, nil)
		b.exit(sh)
	},
}

// Events returns the event rows of a scenario (without the keyframe),
// starting just after Base.
func Events(name string) ([]format.Event, error) {
	fn, ok := scenarios[name]
	if !ok {
		return nil, fmt.Errorf("unknown scenario %q (known: %v)", name, Scenarios())
	}
	b := &builder{ts: Base, nextPid: 4000}
	fn(b)
	return b.evs, nil
}

// Write records the scenario into dir (which must not hold a recording).
func Write(dir, name string) error {
	evs, err := Events(name)
	if err != nil {
		return err
	}
	return WriteEvents(dir, evs)
}

// WriteEvents records evs into dir, after a keyframe taken at Base.
func WriteEvents(dir string, evs []format.Event) error {
	now := time.Unix(0, Base)
	w, err := format.Create(format.WriterOptions{
		Dir:  dir,
		Host: Host,
		Now:  func() time.Time { return now },
		Keyframe: func(emit func(*format.Event) error) error {
			for _, e := range Keyframe(Base) {
				if err := emit(&e); err != nil {
					return err
				}
			}
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("write scenario recording: %w", err)
	}
	for i := range evs {
		if err := w.Append(&evs[i]); err != nil {
			w.Close()
			return fmt.Errorf("write scenario recording: %w", err)
		}
	}
	return w.Close()
}
