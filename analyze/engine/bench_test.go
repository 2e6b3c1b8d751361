package engine

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rewind-sh/rewind/format"
	"github.com/rewind-sh/rewind/format/formattest"
)

// benchEvents is the size of the busy-host recording the benchmarks
// replay: large enough that per-batch costs are amortised.
const benchEvents = 500_000

var (
	busyOnce sync.Once
	busyDir  string
	busyErr  error
)

// busyRecording writes, once per test binary, a busy-host recording of
// the formattest mix (70% opens, 20% network, 10% process events).
func busyRecording(b *testing.B) *format.Recording {
	b.Helper()
	busyOnce.Do(func() {
		busyDir, busyErr = os.MkdirTemp("", "rewind-engine-bench-")
		if busyErr != nil {
			return
		}
		dir := filepath.Join(busyDir, "rec")
		w, err := format.Create(format.WriterOptions{Dir: dir, Host: format.HostInfo{Hostname: "busy"}})
		if err != nil {
			busyErr = err
			return
		}
		g := formattest.BusyHost(1)
		var ev format.Event
		for i := 0; i < benchEvents; i++ {
			g.Next(&ev)
			if err := w.Append(&ev); err != nil {
				busyErr = err
				return
			}
		}
		busyErr = w.Close()
	})
	if busyErr != nil {
		b.Fatal(busyErr)
	}
	rec, err := format.Open(filepath.Join(busyDir, "rec"))
	if err != nil {
		b.Fatal(err)
	}
	return rec
}

func TestMain(m *testing.M) {
	code := m.Run()
	if busyDir != "" {
		os.RemoveAll(busyDir)
	}
	os.Exit(code)
}

// minimalColumns are what scanOnly reads besides ts and kind.
var minimalColumns = []format.ColumnID{format.ColSyscall, format.ColPid}

// scanOnly reads every row's kind, evt.type and pid, the least any
// replay does, with the projected reader the replay uses (a scan without
// a projection would decompress every column, a slower baseline than
// any replay pays).
func scanOnly(b *testing.B, rec *format.Recording) (rows int) {
	var sink int64
	err := rec.Scan(format.ScanOptions{Columns: minimalColumns}, func(bt *format.Batch) error {
		pids := bt.Int32(format.ColPid)
		sys := bt.Dictionary(format.ColSyscall)
		for i := 0; i < bt.Len(); i++ {
			sink += int64(bt.Kind(i)) + int64(pids.Value(i)) + int64(sys.GetValueIndex(i))
		}
		rows += bt.Len()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	_ = sink
	return rows
}

// BenchmarkScanBaseline is the rule-free read rate of the recording that
// BenchmarkStableRuleset replays.
func BenchmarkScanBaseline(b *testing.B) {
	rec := busyRecording(b)
	b.ResetTimer()
	cpu0 := cpuTime()
	var rows int
	for i := 0; i < b.N; i++ {
		rows += scanOnly(b, rec)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(rows)/(cpuTime()-cpu0).Seconds(), "cpu-events/s")
}

// BenchmarkReplayRead is the read floor of a replay of the stable rules:
// the projected scan of the columns Run loads for them, touching no row. The gap between it and
// BenchmarkScanBaseline is what decompressing those columns costs.
func BenchmarkReplayRead(b *testing.B) {
	rs, err := Load([]string{upstream(b, "falco_rules.yaml")}, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rec := busyRecording(b)
	cols := rs.scanColumns(rec)
	b.ResetTimer()
	cpu0 := cpuTime()
	var rows int
	for i := 0; i < b.N; i++ {
		if err := rec.Scan(format.ScanOptions{Columns: cols}, func(bt *format.Batch) error {
			rows += bt.Len()
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(rows)/(cpuTime()-cpu0).Seconds(), "cpu-events/s")
}

// cpuTime is the CPU time this process has used. On a shared machine the
// wall-clock rate understates the work one core does; events per CPU
// second does not (with GOMAXPROCS=1, as make bench runs, the garbage
// collector shares the same core and is counted too).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStableRuleset replays the busy-host recording through every
// rule of the upstream stable falco_rules.yaml, with process-state
// reconstruction, and reports events/s; baseline-events/s is the scan
// rate of the same recording measured in the same run.
func BenchmarkStableRuleset(b *testing.B) {
	rs, err := Load([]string{upstream(b, "falco_rules.yaml")}, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	benchRuleset(b, rs)
}

// BenchmarkReplayNoRules measures state reconstruction alone.
func BenchmarkReplayNoRules(b *testing.B) {
	rs, err := Load([]string{writeRules(b, "- rule: never\n  desc: d\n  condition: evt.type=nosuchcall\n  output: o\n  priority: INFO\n")}, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	benchRuleset(b, rs)
}

func writeRules(b *testing.B, text string) string {
	p := filepath.Join(b.TempDir(), "rules.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

func benchRuleset(b *testing.B, rs *Ruleset) {
	rec := busyRecording(b)
	start, cpu0 := time.Now(), cpuTime()
	baseRows := scanOnly(b, rec)
	base := float64(baseRows) / time.Since(start).Seconds()
	baseCPU := float64(baseRows) / (cpuTime() - cpu0).Seconds()
	b.ResetTimer()
	cpu0 = cpuTime()
	var events, alerts uint64
	for i := 0; i < b.N; i++ {
		st, err := rs.Run(rec, RunOptions{}, func(*Alert) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		events += st.Rows
		alerts += st.Alerts
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events)/(cpuTime()-cpu0).Seconds(), "cpu-events/s")
	b.ReportMetric(base, "baseline-events/s")
	b.ReportMetric(baseCPU, "baseline-cpu-events/s")
	b.ReportMetric(float64(alerts)/float64(b.N), "alerts/run")
}

// BenchmarkWriterWithLiveRules is what --freeze-on costs the recorder:
// busy-host events appended to a recording while the stable rules test
// every batch through the writer's hook; BenchmarkWriterAlone is the
// same writing without the hook, its baseline.
func BenchmarkWriterWithLiveRules(b *testing.B) {
	rs, err := Load([]string{upstream(b, "falco_rules.yaml")}, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	benchWriter(b, rs)
}

func BenchmarkWriterAlone(b *testing.B) { benchWriter(b, nil) }

func benchWriter(b *testing.B, rs *Ruleset) {
	events := formattest.Events(1, 1<<16)
	opts := format.WriterOptions{Dir: filepath.Join(b.TempDir(), "rec")}
	var alerts uint64
	if rs != nil {
		live := rs.NewLive("busy")
		opts.OnBatch = func(bt *format.Batch) {
			if err := live.Batch(bt, func(*Alert) error { alerts++; return nil }); err != nil {
				b.Error(err)
			}
		}
	}
	w, err := format.Create(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	if err := formattest.AppendLooped(events, b.N, w.Append); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "cpu-events/s")
	if rs != nil {
		b.ReportMetric(float64(alerts)/float64(b.N)*1e6, "alerts/Mev")
	}
}
