package capture

import (
	"net/netip"
	"testing"

	"github.com/rewind-sh/rewind/bpf"
	"github.com/rewind-sh/rewind/format"
)

func TestConvert(t *testing.T) {
	clock := bpf.BootClock{OffsetNs: 1_000_000_000}
	tests := []struct {
		name  string
		in    bpf.Event
		check func(t *testing.T, ev *format.Event)
	}{
		{"times move to the epoch and common columns are copied",
			bpf.Event{Kind: bpf.KindOpen, Syscall: "openat", BootNs: 5, CPU: 1, Seq: 9, Pid: 10, Tid: 11, Comm: "cat", CgroupID: 3, Ret: 4, Path: "/etc/hosts", Fd: 4},
			func(t *testing.T, ev *format.Event) {
				if ev.Ts != 1_000_000_005 || ev.Kind != format.KindOpen || ev.Seq != 9 || ev.Tid != 11 || ev.CgroupID != 3 || ev.Path != "/etc/hosts" || ev.Fd != 4 {
					t.Errorf("row %+v", ev)
				}
			}},
		{"exec start times are converted and argv is copied",
			bpf.Event{Kind: bpf.KindExec, Syscall: "execve", StartBootNs: 7, PidnsInitStartBootNs: 2, Argv: []string{"a"}, ExeCtime: 42},
			func(t *testing.T, ev *format.Event) {
				if ev.StartTs != 1_000_000_007 || ev.PidnsInitStartTs != 1_000_000_002 || ev.ExeCtime != 42 || len(ev.Argv) != 1 {
					t.Errorf("row %+v", ev)
				}
			}},
		{"a cut argv is flagged truncated",
			bpf.Event{Kind: bpf.KindExec, Syscall: "execve", Truncated: true, Argv: []string{"a"}},
			func(t *testing.T, ev *format.Event) {
				if !ev.Truncated {
					t.Errorf("row %+v: truncated false, want true", ev)
				}
			}},
		{"an unknown start time stays unknown", bpf.Event{Kind: bpf.KindExec, Syscall: "execve"},
			func(t *testing.T, ev *format.Event) {
				if ev.StartTs != 0 {
					t.Errorf("start ts %d, want 0 (null)", ev.StartTs)
				}
			}},
		{"chown to root keeps uid 0 and nulls an unchanged gid",
			bpf.Event{Kind: bpf.KindFile, Syscall: "fchownat", NewUID: 0, NewGID: bpf.Unchanged},
			func(t *testing.T, ev *format.Event) {
				if ev.Null.Has(format.ColNewUID) || !ev.Null.Has(format.ColNewGID) {
					t.Errorf("null set %v", ev.Null)
				}
			}},
		{"an unlink has no requested ids", bpf.Event{Kind: bpf.KindFile, Syscall: "unlinkat"},
			func(t *testing.T, ev *format.Event) {
				for _, c := range allIDColumns {
					if !ev.Null.Has(c) {
						t.Errorf("%s is not null", format.Columns[c].Name)
					}
				}
			}},
		{"setresuid sets the three uids only",
			bpf.Event{Kind: bpf.KindSecurity, Syscall: "setresuid", NewUID: 1, NewEUID: 2, NewSUID: bpf.Unchanged},
			func(t *testing.T, ev *format.Event) {
				if ev.Null.Has(format.ColNewUID) || ev.Null.Has(format.ColNewEUID) || !ev.Null.Has(format.ColNewSUID) || !ev.Null.Has(format.ColNewGID) {
					t.Errorf("null set %v", ev.Null)
				}
			}},
		{"capabilities are kept for capset only", bpf.Event{Kind: bpf.KindSecurity, Syscall: "ptrace", CapPermitted: 0},
			func(t *testing.T, ev *format.Event) {
				if !ev.Null.Has(format.ColCapPermitted) || !ev.Null.Has(format.ColCapInheritable) {
					t.Errorf("capabilities of a ptrace row are not null")
				}
			}},
		{"capset capabilities are kept", bpf.Event{Kind: bpf.KindSecurity, Syscall: "capset", CapPermitted: 5},
			func(t *testing.T, ev *format.Event) {
				if ev.Null.Has(format.ColCapPermitted) || ev.CapPermitted != 5 {
					t.Errorf("capset row %+v", ev)
				}
			}},
		{"capset keeps the effective set too", bpf.Event{Kind: bpf.KindSecurity, Syscall: "capset", CapEffective: 3, CapPermitted: 7},
			func(t *testing.T, ev *format.Event) {
				if ev.Null.Has(format.ColCapEffective) || ev.CapEffective != 3 {
					t.Errorf("capset row %+v null %v", ev, ev.Null)
				}
			}},
		{"a ptrace row has no effective set", bpf.Event{Kind: bpf.KindSecurity, Syscall: "ptrace"},
			func(t *testing.T, ev *format.Event) {
				if !ev.Null.Has(format.ColCapEffective) {
					t.Errorf("cap_effective of a ptrace row is not null")
				}
			}},
		{"truncate keeps its length", bpf.Event{Kind: bpf.KindFile, Syscall: "truncate", Path: "/tmp/f", Fd: -1, Len: 4096},
			func(t *testing.T, ev *format.Event) {
				if ev.Null.Has(format.ColLen) || ev.Len != 4096 || !ev.Null.Has(format.ColFd) {
					t.Errorf("truncate row %+v null %v", ev, ev.Null)
				}
			}},
		{"ftruncate keeps its length and fd", bpf.Event{Kind: bpf.KindFile, Syscall: "ftruncate", Fd: 0, Len: 1},
			func(t *testing.T, ev *format.Event) {
				if ev.Null.Has(format.ColLen) || ev.Len != 1 || ev.Null.Has(format.ColFd) || ev.Fd != 0 {
					t.Errorf("ftruncate row %+v null %v", ev, ev.Null)
				}
			}},
		{"an unlink has no length and no fd", bpf.Event{Kind: bpf.KindFile, Syscall: "unlinkat", Fd: -1},
			func(t *testing.T, ev *format.Event) {
				if !ev.Null.Has(format.ColLen) || !ev.Null.Has(format.ColFd) {
					t.Errorf("null set %v", ev.Null)
				}
			}},
		{"utimensat on a path has no fd, on an fd keeps it", bpf.Event{Kind: bpf.KindFile, Syscall: "utimensat", Fd: -1},
			func(t *testing.T, ev *format.Event) {
				if !ev.Null.Has(format.ColFd) {
					t.Errorf("null set %v", ev.Null)
				}
			}},
		{"a failed open keeps fd -1", bpf.Event{Kind: bpf.KindOpen, Syscall: "openat", Fd: -1, Ret: -2},
			func(t *testing.T, ev *format.Event) {
				if ev.Null.Has(format.ColFd) || ev.Fd != -1 {
					t.Errorf("open row %+v null %v", ev, ev.Null)
				}
			}},
		{"setuid has no fd", bpf.Event{Kind: bpf.KindSecurity, Syscall: "setuid", Fd: -1},
			func(t *testing.T, ev *format.Event) {
				if !ev.Null.Has(format.ColFd) || !ev.Null.Has(format.ColIno) {
					t.Errorf("null set %v", ev.Null)
				}
			}},
		{"setns keeps the namespace inode and the fd", bpf.Event{Kind: bpf.KindSecurity, Syscall: "setns", Fd: 3, Ino: 4026531840, NsFlags: 0x40000000},
			func(t *testing.T, ev *format.Event) {
				if ev.Null.Has(format.ColIno) || ev.Ino != 4026531840 || ev.Null.Has(format.ColFd) || ev.Fd != 3 || ev.NsFlags != 0x40000000 {
					t.Errorf("setns row %+v null %v", ev, ev.Null)
				}
			}},
		{"ip addresses become text, the protocol a name",
			bpf.Event{Kind: bpf.KindNet, Syscall: "connect", Family: 2, Proto: 6, Saddr: netip.MustParseAddr("10.0.0.1"), Daddr: netip.MustParseAddr("1.2.3.4"), Dport: 443},
			func(t *testing.T, ev *format.Event) {
				if ev.Saddr != "10.0.0.1" || ev.Daddr != "1.2.3.4" || ev.Proto != "tcp" || ev.Dport != 443 {
					t.Errorf("row %+v", ev)
				}
			}},
		{"an absent address is empty (null)", bpf.Event{Kind: bpf.KindNet, Syscall: "socket", Family: 2},
			func(t *testing.T, ev *format.Event) {
				if ev.Saddr != "" || ev.Daddr != "" {
					t.Errorf("row %+v", ev)
				}
			}},
		{"a unix connect names the peer", bpf.Event{Kind: bpf.KindNet, Syscall: "connect", Family: 1, UnixPath: "/run/x.sock"},
			func(t *testing.T, ev *format.Event) {
				if ev.Daddr != "/run/x.sock" || ev.Saddr != "" || ev.Proto != "unix" {
					t.Errorf("row %+v", ev)
				}
			}},
		{"a unix bind names the local socket", bpf.Event{Kind: bpf.KindNet, Syscall: "bind", Family: 1, UnixPath: "/run/x.sock"},
			func(t *testing.T, ev *format.Event) {
				if ev.Saddr != "/run/x.sock" || ev.Daddr != "" {
					t.Errorf("row %+v", ev)
				}
			}},
		{"fork keeps the child and its clone flags",
			bpf.Event{Kind: bpf.KindFork, Syscall: "sched_process_fork", ChildPid: 5, ChildTid: 6, CloneFlags: 0x11, NsFlags: 0x20000000, StartBootNs: 3},
			func(t *testing.T, ev *format.Event) {
				if ev.ChildPid != 5 || ev.ChildTid != 6 || ev.CloneFlags != 0x11 || ev.NsFlags != 0x20000000 || ev.StartTs != 1_000_000_003 {
					t.Errorf("row %+v", ev)
				}
			}},
		{"exit keeps code and signal", bpf.Event{Kind: bpf.KindExit, Syscall: "sched_process_exit", ExitCode: 3, ExitSignal: 9},
			func(t *testing.T, ev *format.Event) {
				if ev.ExitCode != 3 || ev.ExitSignal != 9 {
					t.Errorf("row %+v", ev)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev format.Event
			if !Convert(&ev, &tt.in, clock) {
				t.Fatal("Convert refused a known kind")
			}
			tt.check(t, &ev)
		})
	}
}

func TestConvertRefusesAnUnknownKindAndCopiesArgv(t *testing.T) {
	var ev format.Event
	if Convert(&ev, &bpf.Event{Kind: 99}, bpf.BootClock{}) {
		t.Fatal("an unknown kind was converted")
	}
	src := bpf.Event{Kind: bpf.KindExec, Argv: []string{"a", "b"}, Env: []string{"X=1"}}
	Convert(&ev, &src, bpf.BootClock{})
	src.Argv[0], src.Env[0] = "changed", "changed"
	if ev.Argv[0] != "a" || ev.Env[0] != "X=1" {
		t.Fatalf("the row shares the reader's slices: %q %q", ev.Argv, ev.Env)
	}
}
