package format

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestDeltaColumns writes ts and seq values that step forward, back,
// across CPUs, around the integer range and past null rows, and checks
// that every reader returns them and that the file stores the
// differences DeltaVersion describes.
func TestDeltaColumns(t *testing.T) {
	type row struct {
		kind Kind
		ts   int64
		cpu  uint16
		seq  uint64
	}
	rows := []row{
		{KindOpen, 100, 0, 5},
		{KindOpen, 90, 1, 9},    // earlier than the row before
		{KindExeHash, 95, 0, 0}, // no cpu, no seq
		{KindOpen, 110, 0, 6},
		{KindOpen, 120, 0, 8}, // a gap: seq 7 lost
		{KindOpen, 130, 1, 10},
		{KindOpen, 140, 0, math.MaxUint64},
		{KindOpen, 150, 0, 0}, // wraps around
		{KindOpen, 1 << 62, math.MaxUint16, 1},
		{KindOpen, -5, 2, 3},
	}
	dir := filepath.Join(t.TempDir(), "rec")
	var hookTs []int64
	var hookSeq []uint64
	w, err := Create(WriterOptions{Dir: dir, BatchRows: 4, OnBatch: func(b *Batch) {
		for i := 0; i < b.Len(); i++ {
			hookTs = append(hookTs, b.Ts(i))
			hookSeq = append(hookSeq, b.Uint64(ColSeq).Value(i))
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		ev := &Event{Kind: r.kind, Ts: r.ts, CPU: r.cpu, Seq: r.seq, Pid: 1, Path: "/x"}
		if r.kind == KindExeHash {
			ev.Path = ""
		}
		if err := w.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var wantTs []int64
	var wantSeq []uint64
	for _, r := range rows {
		wantTs = append(wantTs, r.ts)
		wantSeq = append(wantSeq, r.seq)
	}
	if !slices.Equal(hookTs, wantTs) || !slices.Equal(hookSeq, wantSeq) {
		t.Errorf("OnBatch ts %v seq %v, want %v %v", hookTs, hookSeq, wantTs, wantSeq)
	}

	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		cols []ColumnID
	}{
		{"whole batches", nil},
		{"projected seq without cpu", []ColumnID{ColSeq}},
		{"projected ts alone", []ColumnID{ColPid}},
	} {
		var ts []int64
		var seq []uint64
		err := rec.Scan(ScanOptions{Columns: tt.cols}, func(b *Batch) error {
			for i := 0; i < b.Len(); i++ {
				ts = append(ts, b.Ts(i))
				if s := b.Uint64(ColSeq); s != nil && s.IsValid(i) {
					seq = append(seq, s.Value(i))
				} else {
					seq = append(seq, 0)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		// The reader returns rows in time order across segments but keeps
		// a batch's own order; compare as written.
		if !slices.Equal(ts, wantTs) {
			t.Errorf("%s: ts %v, want %v", tt.name, ts, wantTs)
		}
		if slices.Contains(tt.cols, ColSeq) || tt.cols == nil {
			if !slices.Equal(seq, wantSeq) {
				t.Errorf("%s: seq %v, want %v", tt.name, seq, wantSeq)
			}
		}
	}

	// As stored, batch by batch (4 rows each): the differences.
	wantStoredTs := []int64{100, -10, 5, 15, 120, 10, 10, 10, 1 << 62, -5 - 1<<62}
	wantStoredSeq := []uint64{5, 9, 0, 0, 8, 10, math.MaxUint64 - 9, 0, 1, 3}
	fr := arrowFile(t, filepath.Join(dir, SegmentName(1)))
	var storedTs []int64
	var storedSeq []uint64
	for k := 0; k < fr.NumRecords(); k++ {
		r, err := fr.RecordBatch(k)
		if err != nil {
			t.Fatal(err)
		}
		ts := r.Column(int(ColTs)).(*array.Timestamp)
		seq := r.Column(int(ColSeq)).(*array.Uint64)
		for i := 0; i < int(r.NumRows()); i++ {
			storedTs = append(storedTs, int64(ts.Value(i)))
			storedSeq = append(storedSeq, seq.Value(i))
		}
	}
	if !slices.Equal(storedTs, wantStoredTs) {
		t.Errorf("stored ts %v, want %v", storedTs, wantStoredTs)
	}
	if !slices.Equal(storedSeq, wantStoredSeq) {
		t.Errorf("stored seq %v, want %v", storedSeq, wantStoredSeq)
	}
}
