//go:build duckdb_arrow

package queries

import (
	"encoding/json"
	"testing"

	"github.com/rewind-sh/rewind/format"
)

// TestTakeRowsKeepsEveryValue takes every other row (and the rows in
// reverse) of every column of the sample recording and compares each
// value with the source's.
func TestTakeRowsKeepsEveryValue(t *testing.T) {
	rec, err := format.Open(sampleDir)
	if err != nil {
		t.Fatal(err)
	}
	err = rec.Scan(format.ScanOptions{}, func(b *format.Batch) error {
		n := b.Len()
		var odd, reversed []int
		for i := 1; i < n; i += 2 {
			odd = append(odd, i)
		}
		for i := n - 1; i >= 0; i-- {
			reversed = append(reversed, i)
		}
		for c := 0; c < int(b.Record.NumCols()); c++ {
			col := b.Record.Column(c)
			for _, idx := range [][]int{odd, reversed, nil} {
				got, err := takeRows(col, idx)
				if err != nil {
					t.Fatalf("column %s: %v", b.Record.Schema().Field(c).Name, err)
				}
				if got.Len() != len(idx) {
					t.Fatalf("column %s: %d rows, want %d", b.Record.Schema().Field(c).Name, got.Len(), len(idx))
				}
				for j, i := range idx {
					want, _ := json.Marshal(col.GetOneForMarshal(i))
					have, _ := json.Marshal(got.GetOneForMarshal(j))
					if string(want) != string(have) || col.IsNull(i) != got.IsNull(j) {
						t.Fatalf("column %s row %d: got %s, want %s", b.Record.Schema().Field(c).Name, i, have, want)
					}
				}
				got.Release()
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
