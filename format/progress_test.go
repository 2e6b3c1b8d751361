package format

import (
	"os"
	"path/filepath"
	"testing"
)

// TestScanReportsProgress reads a three-segment recording every way a
// scan can, and checks what Progress was told: the segments in order,
// Done never going back, and ending at Total, the size of the segments
// the scan reads.
func TestScanReportsProgress(t *testing.T) {
	dir := writeRecording(t, 3, 200, WriterOptions{BatchRows: 50})
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	size := func(names ...string) int64 {
		var n int64
		for _, name := range names {
			info, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			n += info.Size()
		}
		return n
	}
	all := []string{SegmentName(1), SegmentName(2), SegmentName(3)}
	second := rec.Manifest.Segments[1]
	tests := []struct {
		name     string
		opts     ScanOptions
		segments []string
		minCalls int
	}{
		{"whole batches: once per batch", ScanOptions{}, all, 12},
		{"projected: once per batch", ScanOptions{Columns: []ColumnID{ColPid}}, all, 12},
		{"projected, batches picked: skipped ones count too", ScanOptions{Columns: []ColumnID{ColPid}, Batch: func(string, int) bool { return false }}, all, 12},
		{"a time range reads one segment", ScanOptions{Columns: []ColumnID{ColPid}, Since: second.FirstTs, Until: second.LastTs + 1}, all[1:2], 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []ScanProgress
			rec.Progress = func(p ScanProgress) { got = append(got, p) }
			defer func() { rec.Progress = nil }()
			if err := rec.Scan(tt.opts, func(*Batch) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) < tt.minCalls {
				t.Fatalf("%d progress reports, want at least %d", len(got), tt.minCalls)
			}
			total := size(tt.segments...)
			var seen []string
			prev := int64(0)
			for _, p := range got {
				if p.Total != total {
					t.Fatalf("total %d, want %d", p.Total, total)
				}
				if p.Done < prev || p.Done > p.Total {
					t.Fatalf("done went %d -> %d (total %d)", prev, p.Done, p.Total)
				}
				prev = p.Done
				if len(seen) == 0 || seen[len(seen)-1] != p.Segment {
					seen = append(seen, p.Segment)
				}
			}
			if prev != total {
				t.Errorf("ended at %d of %d", prev, total)
			}
			if len(seen) != len(tt.segments) {
				t.Fatalf("segments reported %v, want %v", seen, tt.segments)
			}
			for i := range seen {
				if seen[i] != tt.segments[i] {
					t.Errorf("segments reported %v, want %v", seen, tt.segments)
				}
			}
		})
	}
}
