package format

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fakeClock is a settable wall clock for WriterOptions.Now.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

// writeRecording writes segments segments of rowsPer open events each
// (rotating by hand) and returns the directory.
func writeRecording(t testing.TB, segments, rowsPer int, opts WriterOptions) string {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = filepath.Join(t.TempDir(), "rec")
	}
	if opts.Now == nil {
		opts.Now = newClock().now
	}
	w, err := Create(opts)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for s := 0; s < segments; s++ {
		if s > 0 {
			if err := w.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < rowsPer; i++ {
			if err := w.Append(fullEvent(KindOpen, n)); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return opts.Dir
}

// openEveryKind writes rounds rounds of one full event of every kind in
// batches of batchRows rows, rotating after round rotateAfter (none when
// negative), and opens the recording.
func openEveryKind(t testing.TB, rounds, batchRows, rotateAfter int) *Recording {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, BatchRows: batchRows, Now: newClock().now})
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < rounds; n++ {
		for _, k := range Kinds() {
			if err := w.Append(fullEvent(k, n)); err != nil {
				t.Fatal(err)
			}
		}
		if n == rotateAfter {
			if err := w.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func countRows(t testing.TB, rec *Recording, opts ScanOptions) int {
	t.Helper()
	rows := 0
	if err := rec.Scan(opts, func(b *Batch) error { rows += b.Len(); return nil }); err != nil {
		t.Fatal(err)
	}
	return rows
}

func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "seg-*.arrow"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

func mustStat(t testing.TB, path string) os.FileInfo {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
