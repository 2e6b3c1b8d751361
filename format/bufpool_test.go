package format

import (
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestRetainedBatchOutlivesScan retains every batch of a projected scan
// past its callback (as queries does when it hands batches to DuckDB)
// and checks that, once later batches have reused the pool, each
// retained batch still holds the values a fresh read gives: a pooled
// buffer must not be reused while an array still references it.
func TestRetainedBatchOutlivesScan(t *testing.T) {
	rec := openEveryKind(t, 500, 1500, -1)
	cols := []ColumnID{ColPid, ColIno, ColFlags, ColArgv, ColPath, ColFilename}
	rows := func(batch *Batch) [][]any {
		var out [][]any
		for i := 0; i < batch.Len(); i++ {
			row := []any{batch.Ts(i), batch.Kind(i)}
			for _, c := range cols {
				row = append(row, batch.Value(c, i))
			}
			out = append(out, row)
		}
		return out
	}
	var want [][][]any
	var kept []arrow.RecordBatch
	err := rec.Scan(ScanOptions{Columns: cols}, func(b *Batch) error {
		want = append(want, rows(b))
		b.Record.Retain()
		kept = append(kept, b.Record)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) < 3 {
		t.Fatalf("%d batches, want several so that the pool is reused", len(kept))
	}
	// Another scan reuses whatever the pool holds.
	if err := rec.Scan(ScanOptions{Columns: cols}, func(*Batch) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for i, r := range kept {
		var b Batch
		if err := b.resetProjected("retained", i, r); err != nil {
			t.Fatal(err)
		}
		if got := rows(&b); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("batch %d changed after its scan moved on", i)
		}
		r.Release()
	}
}
