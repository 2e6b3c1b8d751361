package state_test

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/rewind-sh/rewind/analyze/state"
	"github.com/rewind-sh/rewind/analyze/state/statetest"
	"github.com/rewind-sh/rewind/format"
)

const sec = int64(1e9)

func keyframe(ts int64, pid, ppid int32, comm, exe string, argv ...string) format.Event {
	return format.Event{Ts: ts, Kind: format.KindKeyframe, Pid: pid, Tid: pid, Ppid: ppid, Vpid: pid,
		Comm: comm, ExePath: exe, Argv: argv, StartTs: ts - 100*sec, Sid: 1, Pgid: pid, ExeIno: uint64(pid) * 10, ExeDev: 8}
}

func fork(ts int64, parent, ppid, child int32, comm string) format.Event {
	return format.Event{Ts: ts, Kind: format.KindFork, Syscall: "clone", Pid: parent, Tid: parent, Ppid: ppid,
		Comm: comm, ChildPid: child, ChildTid: child, CloneFlags: 0x11}
}

func exec(ts int64, pid, ppid int32, comm, exe string, argv ...string) format.Event {
	return format.Event{Ts: ts, Kind: format.KindExec, Syscall: "execve", Pid: pid, Tid: pid, Ppid: ppid,
		Comm: comm, ExePath: exe, Argv: argv, Cwd: "/tmp", ExeDev: 8, ExeIno: 777, ExeCtime: ts - 2*sec,
		ExeMtime: ts - 3*sec, ExeSize: 4096, ExeUpperLayer: true}
}

func exit(ts int64, pid, ppid int32, comm string) format.Event {
	return format.Event{Ts: ts, Kind: format.KindExit, Syscall: "sched_process_exit", Pid: pid, Tid: pid, Ppid: ppid, Comm: comm}
}

func open(ts int64, pid, ppid int32, comm, path string, ret int64) format.Event {
	return format.Event{Ts: ts, Kind: format.KindOpen, Syscall: "openat", Pid: pid, Tid: pid, Ppid: ppid, Comm: comm,
		Path: path, Ret: ret, Fd: int32(ret)}
}

// replay feeds evs to a new table, calling check after each row with the
// row's actor.
func replay(t *testing.T, evs []format.Event, check func(i int, tab *state.Table, p *state.Process)) *state.Table {
	t.Helper()
	rec := statetest.Record(evs)
	defer rec.Release()
	var rows state.Rows
	if err := rows.Reset(rec); err != nil {
		t.Fatal(err)
	}
	tab := state.NewTable()
	tab.BeginSegment("seg-00000001.arrow")
	for i := 0; i < rows.Len(); i++ {
		p := tab.Apply(&rows, i, evs[i].Kind)
		if check != nil {
			check(i, tab, p)
		}
	}
	return tab
}

func TestKeyframeRowsBuildTheTableWithLineage(t *testing.T) {
	evs := []format.Event{
		keyframe(100*sec, 1, 0, "systemd", "/usr/lib/systemd/systemd", "/sbin/init"),
		keyframe(100*sec, 500, 1, "sshd", "/usr/sbin/sshd", "sshd", "-D"),
		keyframe(100*sec, 600, 500, "bash", "/usr/bin/bash", "-bash"),
		open(101*sec, 600, 500, "bash", "/etc/hosts", 3),
	}
	tab := replay(t, evs, nil)
	p := tab.Lookup(600)
	if p == nil {
		t.Fatal("pid 600 missing after keyframe")
	}
	if got := tab.Ancestor(p, 1).Comm; got != "sshd" {
		t.Errorf("parent = %q, want sshd", got)
	}
	if got := tab.Ancestor(p, 2).Comm; got != "systemd" {
		t.Errorf("grandparent = %q, want systemd", got)
	}
	if tab.Ancestor(p, 3) != nil {
		t.Errorf("great-grandparent of a child of pid 1 should be unknown")
	}
	var names []string
	tab.Ancestors(p, func(a *state.Process) bool { names = append(names, a.Comm); return true })
	if len(names) != 2 || names[0] != "sshd" || names[1] != "systemd" {
		t.Errorf("ancestors = %v", names)
	}
	if p.Source != state.FromKeyframe || p.Cmdline() != "bash" {
		t.Errorf("source %v cmdline %q", p.Source, p.Cmdline())
	}
	if f, ok := p.FD(3); !ok || f.Name != "/etc/hosts" || f.TypeChar != 'f' {
		t.Errorf("fd 3 = %+v, %v; want /etc/hosts file", f, ok)
	}
}

func TestForkExecExitFollowTheProcessLife(t *testing.T) {
	evs := []format.Event{
		keyframe(100*sec, 600, 1, "bash", "/usr/bin/bash", "bash"),
		fork(101*sec, 600, 1, 700, "bash"),
		exec(102*sec, 700, 600, "payload", "/tmp/payload", "/tmp/payload", "-x", "y z"),
		exit(103*sec, 700, 600, "payload"),
		open(104*sec, 600, 1, "bash", "/etc/passwd", 3),
	}
	replay(t, evs, func(i int, tab *state.Table, p *state.Process) {
		switch i {
		case 1:
			c := tab.Lookup(700)
			if c == nil || c.Comm != "bash" || c.Ppid != 600 || c.StartTs != 101*sec || c.Source != state.FromFork {
				t.Errorf("after fork, child = %+v", c)
			}
		case 2:
			if p.Pid != 700 || p.Comm != "payload" || p.ExeArg0() != "/tmp/payload" || p.Args() != "-x y z" {
				t.Errorf("after exec, actor = %+v", p)
			}
			if p.StartTs != 101*sec || p.ExecTs != 102*sec {
				t.Errorf("exec keeps the fork time: start %d exec %d", p.StartTs, p.ExecTs)
			}
			if !p.Exe.Known || !p.Exe.UpperLayer || p.Exe.Ino != 777 {
				t.Errorf("exec identity = %+v", p.Exe)
			}
		case 3:
			if p == nil || p.ExitTs != 103*sec {
				t.Fatalf("exit actor = %+v", p)
			}
			if tab.Lookup(700) != p {
				t.Errorf("an exiting process stays readable during its exit event")
			}
		case 4:
			if got := tab.Stats().Live; got != 1 {
				t.Errorf("live processes after the exit = %d, want 1", got)
			}
			if g := tab.Lookup(700); g == nil || g.Comm != "payload" {
				t.Errorf("the grace set keeps the exited process for late lookups, got %+v", g)
			}
		}
	})
}

func TestThreadsAndFailedCallsDoNotCreateProcesses(t *testing.T) {
	thread := fork(101*sec, 600, 1, 600, "bash")
	thread.ChildTid = 601
	thread.CloneFlags = 0x10000 | 0x100
	failed := fork(102*sec, 600, 1, 0, "bash")
	failed.Ret = -11
	failedExec := exec(103*sec, 600, 1, "bash", "/usr/bin/bash", "/nonexistent")
	failedExec.Filename = "/nonexistent"
	failedExec.Ret = -2
	threadExit := exit(104*sec, 600, 1, "bash")
	threadExit.Tid = 601
	evs := []format.Event{keyframe(100*sec, 600, 1, "bash", "/usr/bin/bash", "bash"), thread, failed, failedExec, threadExit,
		open(105*sec, 600, 1, "bash", "/x", 3)}
	tab := replay(t, evs, nil)
	st := tab.Stats()
	if st.Live != 1 || st.Forks != 0 || st.Execs != 0 || st.Exits != 0 || st.IgnoredThreads != 2 {
		t.Errorf("stats = %+v", st)
	}
	if p := tab.Lookup(600); p.ExeArg0() != "bash" || p.Exe.Ino != 6000 {
		t.Errorf("a failed exec replaced the image: argv %q ino %d", p.Argv, p.Exe.Ino)
	}
}

func TestHashRowsJoinByExecutableIdentity(t *testing.T) {
	e := exec(102*sec, 700, 1, "payload", "/tmp/payload", "/tmp/payload")
	hash := format.Event{Ts: 103 * sec, Kind: format.KindExeHash, ExeDev: e.ExeDev, ExeIno: e.ExeIno,
		ExeCtime: e.ExeCtime, ExeMtime: e.ExeMtime, ExeSize: e.ExeSize, Sha256: "ab12", HashSource: "proc_exe"}
	other := hash
	other.ExeMtime++ // a rewritten file is another identity
	other.Sha256 = "ffff"
	user := format.Event{Ts: 90 * sec, Kind: format.KindUser, UID: 1000, UserName: "alice", UserHome: "/home/alice"}
	group := format.Event{Ts: 90 * sec, Kind: format.KindGroup, GID: 1000, GroupName: "staff"}
	tab := replay(t, []format.Event{user, group, e, other, hash}, nil)
	h, ok := tab.Hash(tab.Lookup(700))
	if !ok || h.Sha256 != "ab12" || h.Source != "proc_exe" {
		t.Errorf("hash = %+v, %v", h, ok)
	}
	if u, ok := tab.User(1000); !ok || u.Name != "alice" || u.Home != "/home/alice" {
		t.Errorf("user = %+v", u)
	}
	if g, ok := tab.Group(1000); !ok || g != "staff" {
		t.Errorf("group = %q", g)
	}
}

func TestALaterKeyframeDropsProcessesWhoseExitWasLost(t *testing.T) {
	evs := []format.Event{
		keyframe(100*sec, 600, 1, "bash", "/usr/bin/bash"),
		keyframe(100*sec, 601, 1, "vim", "/usr/bin/vim"),
		open(101*sec, 601, 1, "vim", "/etc/x", 3),
		keyframe(200*sec, 600, 1, "bash", "/usr/bin/bash"),
		open(201*sec, 600, 1, "bash", "/etc/y", 3),
	}
	rec := statetest.Record(evs)
	defer rec.Release()
	var rows state.Rows
	if err := rows.Reset(rec); err != nil {
		t.Fatal(err)
	}
	tab := state.NewTable()
	for i := 0; i < rows.Len(); i++ {
		if i == 3 {
			tab.BeginSegment("seg-2")
		} else if i == 0 {
			tab.BeginSegment("seg-1")
		}
		tab.Apply(&rows, i, evs[i].Kind)
	}
	st := tab.Stats()
	if st.Live != 1 || st.Reconciled != 1 {
		t.Errorf("stats = %+v, want 1 live and 1 reconciled", st)
	}
	if p := tab.Lookup(601); p == nil {
		t.Errorf("the dropped process is still readable from the grace set")
	}
}

func TestSocketsEnterTheFDTable(t *testing.T) {
	sock := format.Event{Ts: 101 * sec, Kind: format.KindNet, Syscall: "socket", Pid: 600, Tid: 600, Ppid: 1, Comm: "curl",
		Family: 2, SockType: 1, Proto: "tcp", Ret: 5}
	conn := format.Event{Ts: 102 * sec, Kind: format.KindNet, Syscall: "connect", Pid: 600, Tid: 600, Ppid: 1, Comm: "curl",
		Family: 2, Proto: "tcp", Fd: 5, Saddr: "10.0.0.2", Sport: 40000, Daddr: "1.2.3.4", Dport: 443, Ret: -115}
	tab := replay(t, []format.Event{sock, conn}, nil)
	p := tab.Lookup(600)
	if p == nil || p.Source != state.FromEvent {
		t.Fatalf("learned process = %+v", p)
	}
	f, ok := p.FD(5)
	if !ok || f.TypeChar != '4' || !f.Connected || f.FullName() != "10.0.0.2:40000->1.2.3.4:443" || f.Sock.Proto != "tcp" {
		t.Errorf("fd 5 = %+v", f)
	}
}

func TestTheFDTableIsBounded(t *testing.T) {
	var evs []format.Event
	for i := 0; i < 20; i++ {
		evs = append(evs, open(int64(100+i)*sec, 600, 1, "cat", "/f", int64(3+i)))
	}
	rec := statetest.Record(evs)
	defer rec.Release()
	var rows state.Rows
	if err := rows.Reset(rec); err != nil {
		t.Fatal(err)
	}
	tab := state.NewTable()
	tab.MaxFDs = 8
	for i := 0; i < rows.Len(); i++ {
		tab.Apply(&rows, i, evs[i].Kind)
	}
	p := tab.Lookup(600)
	// fds 3..7 sit in direct slots; 8..22 overflow, which keeps 8.
	if p.NumFDs() != 13 {
		t.Errorf("fd table holds %d entries, want 13", p.NumFDs())
	}
	if _, ok := p.FD(3); !ok {
		t.Errorf("a low fd was evicted")
	}
	if _, ok := p.FD(14); ok {
		t.Errorf("the oldest overflow fd was not evicted")
	}
	if st := tab.Stats(); st.FDsEvicted != 7 {
		t.Errorf("evictions = %d, want 7", st.FDsEvicted)
	}
	if _, ok := p.FD(22); !ok {
		t.Errorf("the newest fd is missing")
	}
}

func TestRowsRejectAColumnOfTheWrongType(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "pid", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append("12")
	rec := b.NewRecordBatch()
	defer rec.Release()
	var rows state.Rows
	err := rows.Reset(rec)
	if err == nil || err.Error() != "column pid: type utf8, want int32" {
		t.Errorf("error = %v", err)
	}
}
