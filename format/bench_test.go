package format_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rewind-sh/rewind/format"
	"github.com/rewind-sh/rewind/format/formattest"
)

// cpuTime is the process's user+system CPU time. Benchmarks report
// events per CPU-second next to events per wall-second: on a shared
// machine the wall clock counts other processes' time too, and the
// writer's zstd runs partly on helper goroutines.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchEvents is a pool of pre-generated events, so that the writer
// benchmarks measure the writer and not the generator.
const benchPool = 1 << 16

func dirBytes(b testing.TB, dir string) int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			b.Fatal(err)
		}
		n += info.Size()
	}
	return n
}

// BenchmarkWriter appends busy-host events to a recording (batches of
// 16k rows, zstd, default rotation) and reports on-disk bytes per event,
// manifest included.
func BenchmarkWriter(b *testing.B) {
	events := formattest.Events(1, benchPool)
	dir := filepath.Join(b.TempDir(), "rec")
	w, err := format.Create(format.WriterOptions{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start, cpuStart := time.Now(), cpuTime(b)
	if err := formattest.AppendLooped(events, b.N, w.Append); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	elapsed, cpu := time.Since(start), cpuTime(b)-cpuStart
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	b.ReportMetric(float64(dirBytes(b, dir))/float64(b.N), "bytes/event")
}

// BenchmarkWriterCapture rewrites a real capture, testdata/capture-gobuild
// (15 s of this project's recorder during a cold `go build`: 23.6k rows,
// mostly opens of distinct build files, 1k execs), once per iteration into
// a new segment, and reports bytes per event on disk. The busy-host mix
// repeats a few thousand files and endpoints; a real host may not, and a
// change that helps one can hurt the other (a trial process column group
// did: -22% bytes on the mix, +11% on a capture like this one).
func BenchmarkWriterCapture(b *testing.B) {
	rec, err := format.Open("testdata/capture-gobuild")
	if err != nil {
		b.Fatal(err)
	}
	var events []format.Event
	if err := rec.Scan(format.ScanOptions{}, func(bt *format.Batch) error {
		for i := 0; i < bt.Len(); i++ {
			var ev format.Event
			bt.Event(i, &ev)
			events = append(events, ev)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	// One writer, as in a recorder that runs for days: each iteration
	// writes the capture again (later in time) into a new segment, whose
	// dictionaries start empty as every segment's do.
	dir := filepath.Join(b.TempDir(), "rec")
	w, err := format.Create(format.WriterOptions{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	span := events[len(events)-1].Ts - events[0].Ts + 1
	b.ReportAllocs()
	b.ResetTimer()
	start, cpuStart := time.Now(), cpuTime(b)
	var ev format.Event
	for i := 0; i < b.N; i++ {
		for j := range events {
			ev = events[j]
			ev.Ts += int64(i) * span
			if err := w.Append(&ev); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Rotate(); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	elapsed, cpu := time.Since(start), cpuTime(b)-cpuStart
	b.StopTimer()
	n := float64(b.N * len(events))
	b.ReportMetric(n/elapsed.Seconds(), "events/s")
	b.ReportMetric(n/cpu.Seconds(), "events/cpu-s")
	b.ReportMetric(float64(dirBytes(b, dir))/n, "bytes/event")
}

// BenchmarkWriterBaseline copies the same events into a plain Go slice:
// the cheapest possible "recording", for the writer's ratio.
func BenchmarkWriterBaseline(b *testing.B) {
	events := formattest.Events(1, benchPool)
	sink := make([]format.Event, 0, benchPool)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpuStart := time.Now(), cpuTime(b)
	for i := 0; i < b.N; i++ {
		if len(sink) == benchPool {
			sink = sink[:0]
		}
		sink = append(sink, events[i%benchPool])
	}
	elapsed, cpu := time.Since(start), cpuTime(b)-cpuStart
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
}

const readerRows = 1 << 20

func writeBenchRecording(b *testing.B) string {
	dir := filepath.Join(b.TempDir(), "rec")
	w, err := format.Create(format.WriterOptions{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	g := formattest.BusyHost(2)
	var ev format.Event
	for i := 0; i < readerRows; i++ {
		g.Next(&ev)
		if err := w.Append(&ev); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkReader runs a full Scan of a 1M-event recording that touches
// ts, kind and pid of every row: "all-columns" decodes every column of
// every batch (what arrow-go's IPC reader does), "projected" asks Scan
// for the three columns only (ScanOptions.Columns).
func BenchmarkReader(b *testing.B) {
	dir := writeBenchRecording(b)
	rec, err := format.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts format.ScanOptions
	}{
		{"all-columns", format.ScanOptions{}},
		{"projected", format.ScanOptions{Columns: []format.ColumnID{format.ColTs, format.ColKind, format.ColPid}}},
		{"projected-every-column", format.ScanOptions{Columns: allColumns()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var sum int64
			rows := 0
			cpuStart := cpuTime(b)
			for i := 0; i < b.N; i++ {
				err := rec.Scan(bc.opts, func(bt *format.Batch) error {
					pids := bt.Int32(format.ColPid).Int32Values()
					for r := 0; r < bt.Len(); r++ {
						sum += bt.Ts(r) + int64(bt.Kind(r)) + int64(pids[r])
					}
					rows += bt.Len()
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(rows)/(cpuTime(b)-cpuStart).Seconds(), "events/cpu-s")
			if sum == 0 {
				b.Fatal("nothing read")
			}
		})
	}
}

func allColumns() []format.ColumnID {
	out := make([]format.ColumnID, format.NumColumns)
	for i := range out {
		out[i] = format.ColumnID(i)
	}
	return out
}

// BenchmarkReaderBaseline touches the same three fields of the same
// events held in memory as Go structs.
func BenchmarkReaderBaseline(b *testing.B) {
	events := formattest.Events(2, readerRows)
	b.ReportAllocs()
	b.ResetTimer()
	var sum int64
	rows := 0
	cpuStart := cpuTime(b)
	for i := 0; i < b.N; i++ {
		for r := range events {
			ev := &events[r]
			sum += ev.Ts + int64(ev.Kind) + int64(ev.Pid)
		}
		rows += len(events)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(rows)/(cpuTime(b)-cpuStart).Seconds(), "events/cpu-s")
	if sum == 0 {
		b.Fatal("nothing read")
	}
}
