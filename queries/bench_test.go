//go:build duckdb_arrow

package queries

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rewind-sh/rewind/format"
	"github.com/rewind-sh/rewind/format/formattest"
)

// The benchmarks share one generated busy-host recording of
// REWIND_BENCH_EVENTS events (default 10M), written once per test binary
// into a temporary directory: process-tree and timeline latency and
// export throughput are each reported beside a plain full scan of the
// same recording (BenchmarkFullScan), as events/s.
var bench struct {
	once   sync.Once
	tmp    string
	dir    string
	events int
	pid    int64 // a process with descendants, for tree and timeline
	err    error
}

func benchEvents() int {
	if s := os.Getenv("REWIND_BENCH_EVENTS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 10_000_000
}

func benchRecording(b *testing.B) (dir string, events int, pid int64) {
	b.Helper()
	bench.once.Do(func() {
		bench.tmp, bench.err = os.MkdirTemp("", "rewind-queries-bench-")
		if bench.err != nil {
			return
		}
		bench.dir = filepath.Join(bench.tmp, "rec")
		bench.events = benchEvents()
		w, err := format.Create(format.WriterOptions{Dir: bench.dir})
		if err != nil {
			bench.err = err
			return
		}
		g := formattest.BusyHost(7)
		var ev format.Event
		forks := map[int32]int{}
		for i := 0; i < bench.events; i++ {
			g.Next(&ev)
			if ev.Kind == format.KindFork {
				forks[ev.Pid]++
			}
			if err := w.Append(&ev); err != nil {
				bench.err = err
				return
			}
		}
		bench.err = w.Close()
		// The busiest parent: the largest subtree a tree or timeline
		// query would be asked about.
		best := 0
		for pid, n := range forks {
			if n > best || n == best && int64(pid) < bench.pid {
				best, bench.pid = n, int64(pid)
			}
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.dir, bench.events, bench.pid
}

func cleanupBench() {
	if bench.tmp != "" {
		os.RemoveAll(bench.tmp)
	}
}

func reportEvents(b *testing.B, events int, start time.Time) {
	b.ReportMetric(float64(events)*float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// firstRuns holds, per benchmark, how long its first iteration in this
// test binary took: the one a single CLI call is closest to, with
// nothing of the query warm yet. Later runs of the benchmark report it
// too (as first-s).
var firstRuns = map[string]time.Duration{}

// timeFirst times iteration i of fn, when it is the benchmark's first
// in this binary.
func timeFirst(b *testing.B, i int, fn func()) {
	if _, done := firstRuns[b.Name()]; done || i > 0 {
		fn()
		return
	}
	start := time.Now()
	fn()
	firstRuns[b.Name()] = time.Since(start)
}

func reportFirst(b *testing.B) {
	b.ReportMetric(firstRuns[b.Name()].Seconds(), "first-s")
}

// BenchmarkFullScan is the baseline: one pass of Recording.Scan over every
// batch, touching the ts, kind and pid of each row.
func BenchmarkFullScan(b *testing.B) {
	dir, events, _ := benchRecording(b)
	rec, err := format.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	var sum int64
	for i := 0; i < b.N; i++ {
		err := rec.Scan(format.ScanOptions{}, func(bt *format.Batch) error {
			pids := bt.Record.Column(int(format.ColPid))
			sum += int64(pids.Len() - pids.NullN())
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	reportEvents(b, events, start)
	if sum == 0 {
		b.Fatal("scan saw no pids")
	}
}

// BenchmarkProcessTree is what `rewind-replay tree DIR --pid N` costs from
// a cold start: open the recording, read the subtree of the busiest parent
// from it, run the process-tree query on that subtree.
func BenchmarkProcessTree(b *testing.B) {
	_, _, pid := benchRecording(b)
	benchTree(b, pid)
}

// BenchmarkProcessTreeHost is `rewind-replay tree DIR` without --pid: the
// whole host's tree, so the attributes of every process are read.
func BenchmarkProcessTreeHost(b *testing.B) {
	benchTree(b, 0)
}

// benchTree opens the recording and builds the tree under pid (0: the
// whole host) b.N times.
func benchTree(b *testing.B, pid int64) {
	dir, events, _ := benchRecording(b)
	b.ResetTimer()
	start := time.Now()
	nodes := 0
	for i := 0; i < b.N; i++ {
		timeFirst(b, i, func() {
			r, _, err := Open(dir, Options{})
			if err != nil {
				b.Fatal(err)
			}
			roots, err := r.Tree(context.Background(), TreeOptions{Pid: pid})
			if err != nil {
				b.Fatal(err)
			}
			nodes = countNodes(roots)
			r.Close()
		})
	}
	reportEvents(b, events, start)
	reportFirst(b)
	b.ReportMetric(float64(nodes), "processes")
	if nodes == 0 {
		b.Fatal("empty tree")
	}
}

func countNodes(ns []*TreeNode) int {
	n := len(ns)
	for _, c := range ns {
		n += countNodes(c.Children)
	}
	return n
}

// BenchmarkTimeline is `rewind-replay timeline DIR --pid N` from a cold
// start: the subtree's processes, then every event of the subtree.
func BenchmarkTimeline(b *testing.B) {
	dir, events, pid := benchRecording(b)
	b.ResetTimer()
	start := time.Now()
	rows := 0
	for i := 0; i < b.N; i++ {
		timeFirst(b, i, func() {
			r, _, err := Open(dir, Options{})
			if err != nil {
				b.Fatal(err)
			}
			c := &collectSink{}
			if err := r.Timeline(context.Background(), TimelineOptions{Pid: pid}, c); err != nil {
				b.Fatal(err)
			}
			rows = len(c.rows)
			r.Close()
		})
	}
	reportEvents(b, events, start)
	reportFirst(b)
	b.ReportMetric(float64(rows), "rows")
	if rows == 0 {
		b.Fatal("empty timeline")
	}
}

// BenchmarkExportParquet exports every row and column to Parquet.
func BenchmarkExportParquet(b *testing.B) {
	dir, events, _ := benchRecording(b)
	out := filepath.Join(b.TempDir(), "events.parquet")
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r, _, err := Open(dir, Options{AllowFiles: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Export(context.Background(), ExportOptions{Format: ExportParquet, Out: out}); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
	reportEvents(b, events, start)
	if st, err := os.Stat(out); err == nil {
		b.ReportMetric(float64(st.Size())/float64(events), "bytes/event")
	}
}
