package format_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/rewind-sh/rewind/format"
	"github.com/rewind-sh/rewind/format/formattest"
)

// TestCorruptSegmentIsNeverAShortRead flips one byte of a finished
// segment at many offsets and reads it through every read path: each
// must return every row or an error naming the segment file, never
// fewer rows without an error, and never panic.
func TestCorruptSegmentIsNeverAShortRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := format.Create(format.WriterOptions{Dir: dir, BatchRows: 300})
	if err != nil {
		t.Fatal(err)
	}
	events := formattest.Events(3, 1500)
	for i := range events {
		if err := w.Append(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	name := format.SegmentName(1)
	path := filepath.Join(dir, name)
	clean, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := format.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	readers := []struct {
		name string
		read func() (int64, error)
	}{
		{"scan all columns", func() (int64, error) { return scanRows(rec, format.ScanOptions{}) }},
		{"scan projected", func() (int64, error) {
			return scanRows(rec, format.ScanOptions{Columns: []format.ColumnID{format.ColPid, format.ColPath}})
		}},
		{"ReadSegment", func() (int64, error) {
			st, err := format.ReadSegment(path, func(arrow.RecordBatch, int) error { return nil })
			return st.Rows, err
		}},
	}
	for _, r := range readers {
		if n, err := r.read(); err != nil || n != int64(len(events)) {
			t.Fatalf("%s on the intact segment: %d rows, %v", r.name, n, err)
		}
	}
	// Densely over the first 4 KiB (schema, first dictionaries and
	// batch headers) and the trailer, then a spread over the rest.
	var offsets []int
	for off := 0; off < len(clean); off++ {
		if (off < 4096 && off%29 == 0) || off%997 == 0 || (off >= len(clean)-64 && off%3 == 0) {
			offsets = append(offsets, off)
		}
	}
	bad := append([]byte(nil), clean...)
	for _, off := range offsets {
		bad[off] ^= 0xff
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		bad[off] ^= 0xff
		for _, r := range readers {
			n, err := r.read()
			switch {
			case err != nil && !strings.Contains(err.Error(), name):
				t.Errorf("byte %d flipped, %s: error does not name the file: %v", off, r.name, err)
			case err == nil && n != int64(len(events)):
				t.Errorf("byte %d flipped, %s: %d of %d rows and no error", off, r.name, n, len(events))
			}
		}
	}
}

func scanRows(rec *format.Recording, opts format.ScanOptions) (int64, error) {
	var n int64
	err := rec.Scan(opts, func(b *format.Batch) error {
		n += int64(b.Len())
		return nil
	})
	return n, err
}
