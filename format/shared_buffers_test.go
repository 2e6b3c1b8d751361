package format_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rewind-sh/rewind/format"
	"github.com/rewind-sh/rewind/format/formattest"
)

// TestScanOfEveryColumnSharesStoredBuffers reads a busy-host recording,
// whose batches store many buffers once for several columns (pid and
// tid, uid and euid, path and path_raw indices, all-null buffers), with
// a projected scan of every column, which decompresses each stored
// buffer once and shares it, and checks every value against the full
// reader.
func TestScanOfEveryColumnSharesStoredBuffers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := format.Create(format.WriterOptions{Dir: dir, BatchRows: 4096})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range formattest.Events(3, 20000) {
		if err := w.Append(&ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := format.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	rows := func(opts format.ScanOptions) [][]any {
		var out [][]any
		err := rec.Scan(opts, func(b *format.Batch) error {
			for i := 0; i < b.Len(); i++ {
				row := make([]any, format.NumColumns)
				for c := range row {
					row[c] = b.Value(format.ColumnID(c), i)
				}
				out = append(out, row)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	all := make([]format.ColumnID, format.NumColumns)
	for c := range all {
		all[c] = format.ColumnID(c)
	}
	full, projected := rows(format.ScanOptions{}), rows(format.ScanOptions{Columns: all})
	if len(full) != 20000 || len(projected) != len(full) {
		t.Fatalf("full scan %d rows, projected %d, want 20000", len(full), len(projected))
	}
	for i := range full {
		if !reflect.DeepEqual(full[i], projected[i]) {
			for c := range full[i] {
				if !reflect.DeepEqual(full[i][c], projected[i][c]) {
					t.Fatalf("row %d column %s: projected %v, full %v", i, format.Columns[c].Name, projected[i][c], full[i][c])
				}
			}
		}
	}
}
