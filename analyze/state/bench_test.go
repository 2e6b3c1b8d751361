package state_test

import (
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/rewind-sh/rewind/analyze/state"
	"github.com/rewind-sh/rewind/analyze/state/statetest"
	"github.com/rewind-sh/rewind/format"
	"github.com/rewind-sh/rewind/format/formattest"
)

// busyBatches returns the formattest busy-host mix as in-memory record
// batches of 16k rows, so that the benchmarks measure the table alone,
// without reading or decompressing a recording.
func busyBatches(b *testing.B) ([]arrow.RecordBatch, [][]format.Kind) {
	b.Helper()
	const rows, per = 200_000, 16384
	evs := formattest.Events(1, rows)
	var recs []arrow.RecordBatch
	var kinds [][]format.Kind
	for i := 0; i < rows; i += per {
		j := min(i+per, rows)
		recs = append(recs, statetest.Record(evs[i:j]))
		ks := make([]format.Kind, j-i)
		for k := range ks {
			ks[k] = evs[i+k].Kind
		}
		kinds = append(kinds, ks)
	}
	b.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	return recs, kinds
}

// BenchmarkTableApply feeds the busy-host mix through the process table.
func BenchmarkTableApply(b *testing.B) {
	recs, kinds := busyBatches(b)
	var rows state.Rows
	b.ResetTimer()
	n := 0
	for it := 0; it < b.N; it++ {
		tab := state.NewTable()
		for bi, rec := range recs {
			if err := rows.Reset(rec); err != nil {
				b.Fatal(err)
			}
			// Each in-memory batch has its own dictionaries, as a segment
			// of a recording has.
			tab.BeginSegment(strconv.Itoa(bi))
			for i, k := range kinds[bi] {
				tab.Apply(&rows, i, k)
			}
			n += len(kinds[bi])
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkTableApplyBaseline reads what any replay reads of each row
// (pid and ppid) through the same Rows view, without a table.
func BenchmarkTableApplyBaseline(b *testing.B) {
	recs, kinds := busyBatches(b)
	var rows state.Rows
	b.ResetTimer()
	n := 0
	var sink int64
	for it := 0; it < b.N; it++ {
		for bi, rec := range recs {
			if err := rows.Reset(rec); err != nil {
				b.Fatal(err)
			}
			for i := range kinds[bi] {
				p, _ := rows.Int(format.ColPid, i)
				pp, _ := rows.Int(format.ColPpid, i)
				sink += p + pp
			}
			n += len(kinds[bi])
		}
	}
	_ = sink
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}
