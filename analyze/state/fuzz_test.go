package state_test

import (
	"testing"

	"github.com/rewind-sh/rewind/analyze/state"
	"github.com/rewind-sh/rewind/analyze/state/statetest"
	"github.com/rewind-sh/rewind/format"
)

// FuzzTable replays arbitrary sequences of process rows, including the
// hostile ones a damaged or forged recording could hold (pid cycles, a
// process that is its own parent, huge fd numbers, exits of unknown
// processes, keyframes in the middle), and checks that lookups end and
// nothing panics.
func FuzzTable(f *testing.F) {
	f.Add([]byte{9, 1, 0, 0, 0, 9, 2, 1, 0, 0, 2, 2, 1, 3, 0, 1, 3, 2, 0, 0, 3, 3, 2, 0, 0, 4, 2, 1, 5, 0})
	f.Add([]byte{9, 1, 2, 0, 0, 9, 2, 1, 0, 0, 2, 3, 3, 3, 0, 6, 1, 2, 200, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		kinds := []format.Kind{format.KindExec, format.KindFork, format.KindExit, format.KindOpen, format.KindFile,
			format.KindNet, format.KindSecurity, format.KindExeHash, format.KindKeyframe, format.KindUser, format.KindGroup}
		var evs []format.Event
		for i := 0; i+5 <= len(data) && len(evs) < 200; i += 5 {
			k := kinds[int(data[i])%len(kinds)]
			pid, ppid, arg := int32(data[i+1]%8), int32(data[i+2]%8), int32(data[i+3])
			ev := format.Event{Ts: int64(i), Kind: k, Pid: pid, Tid: pid, Ppid: ppid, Comm: "p", ExePath: "/x",
				ChildPid: arg % 8, ChildTid: arg % 8, Fd: arg - 100, Ret: int64(int8(data[i+4])), Path: "/f",
				Family: uint16(arg % 11), Saddr: "10.0.0.1", Daddr: "::1", Argv: []string{"a", "b"},
				Sid: arg % 8, Pgid: pid, Vpgid: pid, ExeIno: uint64(arg % 3), ExeCtime: int64(arg)}
			switch k {
			case format.KindFork:
				ev.Syscall, ev.CloneFlags = "clone", uint64(arg)<<8
			case format.KindNet:
				ev.Syscall = []string{"socket", "connect", "accept4", "bind", "listen", "sendto"}[arg%6]
			case format.KindSecurity:
				ev.Syscall = []string{"memfd_create", "dup2", "ptrace"}[arg%3]
			case format.KindOpen:
				ev.Syscall, ev.Ret = "openat", int64(arg)*1000 // also fds far above the slot bound
			}
			evs = append(evs, ev)
		}
		if len(evs) == 0 {
			return
		}
		rec := statetest.Record(evs)
		defer rec.Release()
		var rows state.Rows
		if err := rows.Reset(rec); err != nil {
			t.Fatal(err)
		}
		tab := state.NewTable()
		tab.MaxFDs = 4
		tab.MaxGrace = 3
		for i := range evs {
			if i%17 == 16 {
				tab.BeginSegment("seg")
			}
			tab.Apply(&rows, i, evs[i].Kind)
			for pid := int32(0); pid < 8; pid++ {
				p := tab.Lookup(pid)
				n := 0
				tab.Ancestors(p, func(*state.Process) bool { n++; return true })
				if n > 64 {
					t.Fatalf("ancestor walk of %d did not stop", pid)
				}
				if p != nil && p.NumFDs() > 2*tab.MaxFDs {
					t.Fatalf("pid %d holds %d fds, over the bound", pid, p.NumFDs())
				}
			}
		}
	})
}
