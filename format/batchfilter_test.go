package format

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
)

// TestScanReadsOnlyTheChosenBatches: ScanOptions.Batch picks batches by
// segment and index, in a full and in a projected scan; the batches read
// are the ones an unfiltered scan returns under those names, unchanged.
func TestScanReadsOnlyTheChosenBatches(t *testing.T) {
	rec := openEveryKind(t, 30, 7, 15)
	// read returns the pids of each batch read, by "segment/index".
	read := func(opts ScanOptions) map[string][]any {
		out := map[string][]any{}
		err := rec.Scan(opts, func(b *Batch) error {
			key := fmt.Sprintf("%s/%d", b.Segment, b.Index)
			for i := 0; i < b.Len(); i++ {
				out[key] = append(out[key], b.Value(ColPid, i))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, c := range []struct {
		name string
		cols []ColumnID
	}{{"full", nil}, {"projected", []ColumnID{ColPid}}} {
		t.Run(c.name, func(t *testing.T) {
			all := read(ScanOptions{Columns: c.cols})
			segments := map[string]bool{}
			for key := range all {
				segments[filepath.Dir(key)] = true
			}
			if len(all) < 6 || len(segments) < 2 {
				t.Fatalf("want several batches in several segments, got %d in %d", len(all), len(segments))
			}
			odd := func(segment string, index int) bool { return index%2 == 1 }
			got := read(ScanOptions{Columns: c.cols, Batch: odd})
			want := map[string][]any{}
			for key, pids := range all {
				var index int
				fmt.Sscanf(filepath.Base(key), "%d", &index)
				if index%2 == 1 {
					want[key] = pids
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("batches read with the filter differ: got %d batches, want %d", len(got), len(want))
			}
			none := read(ScanOptions{Columns: c.cols, Batch: func(string, int) bool { return false }})
			if len(none) != 0 {
				t.Errorf("a filter refusing everything read %d batches", len(none))
			}
		})
	}
}
