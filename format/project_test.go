package format

import (
	"path/filepath"
	"reflect"
	"testing"
)

// TestProjectedScanMatchesFullScan reads every column alone through the
// projected path and compares it with the full reader, on a finished
// recording and on one whose last segment has no footer.
func TestProjectedScanMatchesFullScan(t *testing.T) {
	for _, finished := range []bool{true, false} {
		name := "finished"
		if !finished {
			name = "unfinished"
		}
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "rec")
			w, err := Create(WriterOptions{Dir: dir, BatchRows: 9, Now: newClock().now})
			if err != nil {
				t.Fatal(err)
			}
			for n := 0; n < 40; n++ {
				for _, k := range Kinds() {
					if err := w.Append(fullEvent(k, n)); err != nil {
						t.Fatal(err)
					}
				}
				if n == 20 {
					if err := w.Rotate(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if finished {
				err = w.Close()
			} else {
				err = w.Flush()
			}
			if err != nil {
				t.Fatal(err)
			}
			rec, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			type cell struct {
				ts   int64
				kind Kind
				v    any
			}
			read := func(opts ScanOptions, c ColumnID) []cell {
				var out []cell
				err := rec.Scan(opts, func(b *Batch) error {
					for i := 0; i < b.Len(); i++ {
						out = append(out, cell{b.Ts(i), b.Kind(i), b.Value(c, i)})
					}
					return nil
				})
				if err != nil {
					t.Fatalf("column %s: %v", Columns[c].Name, err)
				}
				return out
			}
			// The full scan once, every column of every row.
			var full [NumColumns][]cell
			err = rec.Scan(ScanOptions{}, func(b *Batch) error {
				for i := 0; i < b.Len(); i++ {
					for c := range full {
						full[c] = append(full[c], cell{b.Ts(i), b.Kind(i), b.Value(ColumnID(c), i)})
					}
				}
				return nil
			})
			if err != nil || len(full[0]) == 0 {
				t.Fatalf("full scan: %d rows, %v", len(full[0]), err)
			}
			for c := ColumnID(0); c < NumColumns; c++ {
				projected := read(ScanOptions{Columns: []ColumnID{c}}, c)
				if !reflect.DeepEqual(full[c], projected) {
					t.Fatalf("column %s: projected scan differs from the full scan", Columns[c].Name)
				}
			}
		})
	}
}

func TestProjectedScanFiltersByPid(t *testing.T) {
	dir := writeRecording(t, 2, 30, WriterOptions{})
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := ScanOptions{Pids: []int32{fullEvent(KindOpen, 3).Pid}, Columns: []ColumnID{ColComm}}
	matched := 0
	err = rec.Scan(opts, func(b *Batch) error {
		for i := 0; i < b.Len(); i++ {
			if opts.Match(b, i) {
				matched++
			}
		}
		if b.Column(ColExePath) != nil {
			t.Error("exe_path loaded although not asked for")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if matched != 1 {
		t.Errorf("matched %d rows, want 1", matched)
	}
}
