package capture

import (
	"testing"

	"github.com/rewind-sh/rewind/format"
)

func TestProcessTableFollowsForkExecExit(t *testing.T) {
	tab := NewProcessTable()
	tab.Load([]format.Event{
		{Kind: format.KindKeyframe, Pid: 1, Tid: 1, Comm: "init", StartTs: 1000, State: "S"},
		{Kind: format.KindKeyframe, Pid: 100, Tid: 100, Ppid: 1, Comm: "bash", ExePath: "/bin/bash", StartTs: 5000, State: "S",
			ContainerID: idA, ContainerRuntime: RuntimeDocker, Argv: []string{"bash"}},
	})

	tab.Fork(&format.Event{Kind: format.KindFork, Pid: 100, Ppid: 1, ChildPid: 200, ChildTid: 200, CloneFlags: 17, StartTs: 9000})
	child := tab.Lookup(200)
	if child == nil || child.Ppid != 100 || child.Comm != "bash" || child.StartTs != 9000 || child.ContainerID != idA {
		t.Fatalf("forked child %+v", child)
	}
	if !child.Null.Has(format.ColVpid) {
		t.Error("the child's vpid is not known and must be null")
	}
	child.Argv[0] = "changed"
	if tab.Lookup(100).Argv[0] != "bash" {
		t.Fatal("the child shares its argv with the parent")
	}

	tab.Fork(&format.Event{Kind: format.KindFork, Pid: 100, ChildPid: 100, ChildTid: 101, CloneFlags: cloneThread})
	if tab.Len() != 3 {
		t.Fatalf("a new thread changed the table: %d processes", tab.Len())
	}
	tab.Fork(&format.Event{Kind: format.KindFork, Pid: 100, Ppid: 1, ChildPid: 300, CloneFlags: cloneParent | 17, StartTs: 9500})
	if got := tab.Lookup(300).Ppid; got != 1 {
		t.Errorf("CLONE_PARENT child has ppid %d, want the caller's parent 1", got)
	}

	tab.Fork(&format.Event{Kind: format.KindFork, Pid: 100, ChildPid: 400, CloneFlags: cloneNewPid | 17, StartTs: 9600, PidnsInitStartTs: 9600})
	if r := tab.Lookup(400); r.Vpid != 1 || r.Null.Has(format.ColVpid) || r.PidnsInitStartTs != 9600 {
		t.Errorf("the child in a new pid namespace: %+v; want vpid 1, its own start as the namespace's init", r)
	}
	tab.Exit(400, true)

	tab.Exec(&format.Event{Kind: format.KindExec, Syscall: "execve", Pid: 200, Tid: 200, Ppid: 100, Vpid: 200, Comm: "curl",
		ExePath: "/usr/bin/curl", ExeIno: 42, Argv: []string{"curl", "x"}, Seq: 9, CPU: 1})
	row := tab.Lookup(200)
	if row.Kind != format.KindKeyframe || row.ExePath != "/usr/bin/curl" || row.ExeIno != 42 || row.Syscall != "" || row.Seq != 0 {
		t.Fatalf("row after exec %+v", row)
	}
	if row.StartTs != 9000 || row.ContainerID != idA {
		t.Errorf("exec lost the start time or container: %+v", row)
	}
	tab.Exec(&format.Event{Kind: format.KindExec, Pid: 200, Ret: -2, ExePath: "/nonexistent"})
	if tab.Lookup(200).ExePath != "/usr/bin/curl" {
		t.Error("a failed exec changed the row")
	}

	tab.Exit(200, false)
	if tab.Lookup(200) == nil {
		t.Fatal("a thread exit removed the process")
	}
	tab.Exit(200, true)
	if tab.Lookup(200) != nil {
		t.Fatal("the group exit kept the process")
	}

	rows := tab.Rows(77)
	if len(rows) != 3 || rows[0].Pid != 1 || rows[1].Pid != 100 || rows[2].Pid != 300 || rows[2].Ts != 77 {
		t.Fatalf("keyframe rows %+v", rows)
	}
}

func TestProcessTableReconcile(t *testing.T) {
	tab := NewProcessTable()
	tab.Load([]format.Event{
		{Pid: 1, StartTs: 1_000_000_000, State: "S", ExePath: "/sbin/init"},
		{Pid: 50, StartTs: 2_000_000_000, ExePath: "/bin/old"},
	})
	// 60 comes from an exec event: kernel truth, vpid unknown.
	ev := format.Event{Kind: format.KindExec, Pid: 60, StartTs: 3_004_000_000, ExePath: "/bin/kernel-view", ExeIno: 7}
	ev.Null.Add(format.ColVpid)
	tab.Exec(&ev)
	// 70 exited while its exit event was lost.
	tab.Load([]format.Event{{Pid: 70, StartTs: 4_000_000_000}})

	scan := []format.Event{
		{Pid: 1, StartTs: 1_000_000_000, State: "R", ExePath: "/sbin/init"},
		{Pid: 50, StartTs: 9_000_000_000, ExePath: "/bin/new"},                            // pid reused
		{Pid: 60, StartTs: 3_000_000_000, State: "S", ExePath: "/bin/proc-view", Vpid: 6}, // same process, ticks truncated
		{Pid: 80, StartTs: 5_000_000_000, ExePath: "/bin/missed"},                         // fork event lost
	}
	tab.Reconcile(scan)
	tests := []struct {
		name string
		pid  int32
		gone bool
		exe  string
		st   string
	}{
		{"a known process takes its state from the scan", 1, false, "/sbin/init", "R"},
		{"a reused pid is replaced by the scanned process", 50, false, "/bin/new", ""},
		{"an event-known process keeps the kernel's exe", 60, false, "/bin/kernel-view", "S"},
		{"a process whose exit was lost is removed", 70, true, "", ""},
		{"a process whose fork was lost is added", 80, false, "/bin/missed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := tab.Lookup(tt.pid)
			if tt.gone {
				if row != nil {
					t.Fatalf("pid %d still in the table", tt.pid)
				}
				return
			}
			if row == nil || row.ExePath != tt.exe || row.State != tt.st {
				t.Fatalf("pid %d row %+v, want exe %s state %q", tt.pid, row, tt.exe, tt.st)
			}
		})
	}
	if r := tab.Lookup(60); r.Null.Has(format.ColVpid) || r.Vpid != 6 {
		t.Errorf("the null vpid was not filled from /proc: %+v", r)
	}
}
