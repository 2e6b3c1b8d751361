package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rewind-sh/rewind/format"
)

// These tests prove that Check fails when a recording differs from the
// truth, so that a green capture test means something. They need no root.

func ptr[T any](v T) *T { return &v }

func syntheticTruth() *Truth {
	return &Truth{
		Scenario: "synthetic", ScriptPid: 100, StartedNs: 1_000_000_000, FinishedNs: 2_000_000_000,
		Execs: []ExecTruth{{
			Pid: 101, Ppid: ptr[int32](100), ExePath: ptr("/tmp/x/payload"), Argv: []string{"/tmp/x/payload"},
			Exe: &ExeTruth{Ino: ptr[uint64](42), Dev: ptr[uint64](65024), CtimeNs: ptr[int64](900), MtimeNs: ptr[int64](800),
				Size: ptr[int64](9040), Sha256: "aa"},
			FromMemfd: ptr(false), Writable: ptr(true), UID: ptr[uint32](0),
			Env: []string{"LD_PRELOAD=/x.so"}, Ns: map[string]uint32{"net": 7},
		}},
		Opens:    []OpenTruth{{Pid: 102, Path: ptr("/etc/shadow"), Ino: ptr[uint64](817), FlagsClear: ptr[uint64](3)}},
		Files:    []FileTruth{{Pid: 103, Syscalls: []string{"symlink", "symlinkat"}, PathRaw: ptr("/etc/shadow"), TargetPath: ptr("/etc/l")}},
		Net:      []NetTruth{{Pid: 104, Syscalls: []string{"connect"}, Daddr: ptr("127.0.0.1"), Dport: ptr[uint16](8080), Ret: ptr[int64](0)}},
		Security: []SecTruth{{Pid: 105, Syscalls: []string{"ptrace"}, Op: ptr[int64](16), TargetPid: ptr[int32](106)}},
		Forks:    []ForkTruth{{Pid: 100, ChildPid: 101}},
		Exits:    []ExitTruth{{Pid: 101, ExitCode: 0}},
	}
}

// syntheticRows are the rows a correct recorder writes for syntheticTruth.
func syntheticRows() []*format.Event {
	return []*format.Event{
		{Kind: format.KindFork, Pid: 100, ChildPid: 101},
		{Kind: format.KindExec, Ts: 1_500_000_000, Pid: 101, Ppid: 100, ExePath: "/tmp/x/payload", Argv: []string{"/tmp/x/payload"},
			ExeIno: 42, ExeDev: 65024, ExeCtime: 900, ExeMtime: 800, ExeSize: 9040, ExeWritable: true,
			Env: []string{"PATH=/bin", "LD_PRELOAD=/x.so"}, NetNs: 7},
		{Kind: format.KindExeHash, ExeIno: 42, ExeDev: 65024, ExeCtime: 900, ExeMtime: 800, Sha256: "aa"},
		{Kind: format.KindExit, Pid: 101},
		{Kind: format.KindOpen, Pid: 102, Path: "/etc/shadow", Ino: 817, Fd: 3, Ret: 3},
		{Kind: format.KindFile, Pid: 103, Syscall: "symlinkat", PathRaw: "/etc/shadow", TargetPath: "/etc/l"},
		{Kind: format.KindNet, Pid: 104, Syscall: "connect", Daddr: "127.0.0.1", Dport: 8080},
		{Kind: format.KindSecurity, Pid: 105, Syscall: "ptrace", Op: 16, TargetPid: 106},
	}
}

func rowsOf(evs []*format.Event) *Rows {
	r := &Rows{ByPid: map[int32][]*format.Event{}}
	for _, ev := range evs {
		if ev.Kind == format.KindExeHash {
			r.Hashes = append(r.Hashes, ev)
		} else {
			r.ByPid[ev.Pid] = append(r.ByPid[ev.Pid], ev)
		}
	}
	return r
}

func TestCheckReportsEachDifference(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(evs []*format.Event) []*format.Event
		want   string // a substring of the single problem reported; "" for none
	}{
		{"a faithful recording passes", func(e []*format.Event) []*format.Event { return e }, ""},
		{"a wrong parent pid is reported", func(e []*format.Event) []*format.Event { e[1].Ppid = 1; return e }, "ppid: got 1, want 100"},
		{"a wrong exe inode is reported", func(e []*format.Event) []*format.Event { e[1].ExeIno = 43; return e }, "exe_ino: got 43, want 42"},
		{"a wrong exe ctime is reported", func(e []*format.Event) []*format.Event { e[1].ExeCtime = 901; return e }, "exe_ctime: got 901"},
		{"a missing hash row is reported", func(e []*format.Event) []*format.Event { return append(e[:2:2], e[3:]...) }, "no exe_hash row"},
		{"a hash of another identity does not count", func(e []*format.Event) []*format.Event { e[2].ExeMtime = 1; return e }, "no exe_hash row"},
		{"a wrong sha256 is reported", func(e []*format.Event) []*format.Event { e[2].Sha256 = "bb"; return e }, "sha256: got bb, want aa"},
		{"a hash error is reported", func(e []*format.Event) []*format.Event { e[2].Sha256, e[2].HashError = "", "gone"; return e }, "no sha256: gone"},
		{"a missing env entry is reported", func(e []*format.Event) []*format.Event { e[1].Env = nil; return e }, `"LD_PRELOAD=/x.so" missing`},
		{"a wrong namespace is reported", func(e []*format.Event) []*format.Event { e[1].NetNs = 8; return e }, "net_ns: got 8, want 7"},
		{"a wrong memfd flag is reported", func(e []*format.Event) []*format.Event { e[1].ExeFromMemfd = true; return e }, "exe_from_memfd: got true"},
		{"an exec outside the run's time is reported", func(e []*format.Event) []*format.Event { e[1].Ts = 5_000_000_000; return e }, "outside the scenario's run"},
		{"a failed exec does not count", func(e []*format.Event) []*format.Event { e[1].Ret = -2; return e }, "no successful exec row"},
		{"a missing open is reported", func(e []*format.Event) []*format.Event { e[4].Path = "/etc/passwd"; return e }, "no successful open"},
		{"a write open of a read is reported", func(e []*format.Event) []*format.Event { e[4].Flags = 1; return e }, "have 01 set"},
		{"a wrong symlink target is reported", func(e []*format.Event) []*format.Event { e[5].TargetPath = "/etc/m"; return e }, "target_path: got /etc/m"},
		{"a wrong port is reported", func(e []*format.Event) []*format.Event { e[6].Dport = 1; return e }, "dport: got 1, want 8080"},
		{"a wrong ptrace target is reported", func(e []*format.Event) []*format.Event { e[7].TargetPid = 1; return e }, "target_pid: got 1"},
		{"a missing fork is reported", func(e []*format.Event) []*format.Event { e[0].ChildPid = 9; return e }, "child_pid: got 9"},
		{"a killed process is reported", func(e []*format.Event) []*format.Event { e[3].ExitSignal = 9; return e }, "exit_signal: got 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := Check(syntheticTruth(), rowsOf(tt.mutate(syntheticRows())))
			switch {
			case tt.want == "" && len(problems) != 0:
				t.Fatalf("want no problems, got %q", problems)
			case tt.want != "" && len(problems) != 1:
				t.Fatalf("want one problem containing %q, got %q", tt.want, problems)
			case tt.want != "" && !strings.Contains(problems[0], tt.want):
				t.Fatalf("want a problem containing %q, got %q", tt.want, problems[0])
			}
		})
	}
}

func TestLoadTruthRejectsUnknownKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "truth.json")
	writeFile(t, path, `{"scenario":"x","execs":[{"pid":1,"exe_pth":"/bin/ls"}]}`)
	if _, err := LoadTruth(path); err == nil || !strings.Contains(err.Error(), "exe_pth") {
		t.Fatalf("want an error naming the unknown key, got %v", err)
	}
}

// TestLoadRowsReadsWhatTheWriterWrote writes the synthetic rows with the
// real format writer and checks them through LoadRows, the path every
// capture test takes.
func TestLoadRowsReadsWhatTheWriterWrote(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := format.Create(format.WriterOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range syntheticRows() {
		if ev.Ts == 0 {
			ev.Ts = 1_400_000_000
		}
		if err := w.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	tr := syntheticTruth()
	rows, _, err := LoadRows(dir, tr.Pids())
	if err != nil {
		t.Fatal(err)
	}
	if rows.Total != len(syntheticRows()) {
		t.Errorf("want %d rows, got %d", len(syntheticRows()), rows.Total)
	}
	if problems := Check(tr, rows); len(problems) != 0 {
		t.Errorf("want no problems, got %q", problems)
	}
}
