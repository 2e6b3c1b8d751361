package capture

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rewind-sh/rewind/format"
	"golang.org/x/sys/unix"
)

type fakeKernel struct {
	drops      []uint64
	dropsErr   error
	used, size uint64
	ringErr    error
}

func (f *fakeKernel) DropsPerCPU() ([]uint64, error)     { return f.drops, f.dropsErr }
func (f *fakeKernel) RingUsage() (uint64, uint64, error) { return f.used, f.size, f.ringErr }

func TestHeartbeat(t *testing.T) {
	badStatm := filepath.Join(t.TempDir(), "statm")
	if err := os.WriteFile(badStatm, []byte("12\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	failRusage := func(*unix.Rusage) error { return errors.New("no rusage") }
	tests := []struct {
		name      string
		kernel    KernelCounters
		self      *SelfUsage
		wantNull  []format.ColumnID
		wantValue []format.ColumnID
	}{
		{"every counter readable", &fakeKernel{drops: []uint64{0, 3}, used: 10, size: 4096}, nil,
			nil, []format.ColumnID{format.ColDropsPerCPU, format.ColRingUsedBytes, format.ColRecorderCPUNs, format.ColRecorderRSSBytes}},
		{"no kernel side makes kernel counters null", nil, nil,
			[]format.ColumnID{format.ColDropsPerCPU, format.ColRingUsedBytes, format.ColRingSizeBytes}, []format.ColumnID{format.ColRecorderRSSBytes}},
		{"an unreadable drop map is null, the ring still read", &fakeKernel{dropsErr: errors.New("map gone"), used: 1, size: 2}, nil,
			[]format.ColumnID{format.ColDropsPerCPU}, []format.ColumnID{format.ColRingUsedBytes}},
		{"an unreadable ring fill is null", &fakeKernel{drops: []uint64{1}, ringErr: errors.New("closed")}, nil,
			[]format.ColumnID{format.ColRingUsedBytes, format.ColRingSizeBytes}, []format.ColumnID{format.ColDropsPerCPU}},
		{"unreadable self usage is null", &fakeKernel{drops: []uint64{1}}, &SelfUsage{StatmPath: badStatm, Rusage: failRusage},
			[]format.ColumnID{format.ColRecorderCPUNs, format.ColRecorderRSSBytes}, []format.ColumnID{format.ColDropsPerCPU}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Counters
			c.AddKind(format.KindExec)
			c.AddKind(format.KindExec)
			c.AddUserDrop(5)
			c.AddDecodeError()
			ev := Heartbeat(99, tt.kernel, &c, tt.self)
			for _, col := range tt.wantNull {
				if !ev.Null.Has(col) {
					t.Errorf("%s is not null", format.Columns[col].Name)
				}
			}
			for _, col := range tt.wantValue {
				if ev.Null.Has(col) {
					t.Errorf("%s is null", format.Columns[col].Name)
				}
			}
			if ev.Kind != format.KindHeartbeat || ev.Ts != 99 || ev.DropsUser != 6 {
				t.Errorf("heartbeat %+v", ev)
			}
			if len(ev.EventsPerKind) != 2 || ev.EventsPerKind[0] != (format.KindCount{Kind: "exec", Count: 2}) ||
				ev.EventsPerKind[1] != (format.KindCount{Kind: "heartbeat", Count: 1}) {
				t.Errorf("events per kind %+v", ev.EventsPerKind)
			}
			if !ev.Null.Has(format.ColRecorderRSSBytes) && ev.RecorderRSSBytes == 0 {
				t.Error("rss read as 0")
			}
		})
	}
}
