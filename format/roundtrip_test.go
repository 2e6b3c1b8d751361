package format

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// fullEvent returns an event of kind k with every column of k set to a
// value derived from n, and every other field left zero: exactly what a
// round trip must give back.
func fullEvent(k Kind, n int) *Event {
	ev := &Event{Kind: k, Ts: int64(1_700_000_000_000_000_000 + n*1000)}
	for c := ColKind + 1; c < NumColumns; c++ {
		if !Columns[c].Kinds.Has(k) {
			continue
		}
		v := n*131 + int(c) + 1
		switch goTypeFor(c).Kind() {
		case reflect.Int32:
			*fieldAt[int32](ev, c) = int32(v)
		case reflect.Int64:
			*fieldAt[int64](ev, c) = int64(v) * 1_000_003
		case reflect.Uint16:
			*fieldAt[uint16](ev, c) = uint16(v)
		case reflect.Uint32:
			*fieldAt[uint32](ev, c) = uint32(v)
		case reflect.Uint64:
			*fieldAt[uint64](ev, c) = uint64(v) << 20
		case reflect.Bool:
			*fieldAt[bool](ev, c) = v%2 == 0
		case reflect.String:
			// A few distinct values per column so that dictionaries grow
			// across batches and segments.
			*fieldAt[string](ev, c) = fmt.Sprintf("%s-%d", Columns[c].Name, v%7)
		case reflect.Slice:
			switch c {
			case ColArgv, ColEnv:
				*fieldAt[[]string](ev, c) = []string{Columns[c].Name, fmt.Sprint(v), ""}
			case ColDropsPerCPU:
				ev.DropsPerCPU = []uint64{uint64(n), 0, uint64(v)}
			case ColEventsPerKind:
				ev.EventsPerKind = []KindCount{{"exec", uint64(v)}, {"open", uint64(n)}}
			}
		}
	}
	return ev
}

func TestRoundTripEveryKindAndColumn(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, BatchRows: 7})
	if err != nil {
		t.Fatal(err)
	}
	var want []*Event
	for n := 0; n < 60; n++ {
		for _, k := range Kinds() {
			ev := fullEvent(k, n)
			if n%5 == 3 && Columns[ColUID].Kinds.Has(k) {
				ev.Null.Add(ColUID) // a value that could not be read
				ev.UID = 0
			}
			want = append(want, ev)
			if err := w.Append(ev); err != nil {
				t.Fatal(err)
			}
		}
		if n == 30 {
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
	if len(rec.Warnings) != 0 {
		t.Errorf("warnings: %v", rec.Warnings)
	}
	if got := len(rec.Manifest.Segments); got != 2 {
		t.Fatalf("segments = %d, want 2", got)
	}
	var got []*Event
	err = rec.Scan(ScanOptions{}, func(b *Batch) error {
		for i := 0; i < b.Len(); i++ {
			ev := new(Event)
			b.Event(i, ev)
			got = append(got, ev)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d rows, wrote %d", len(got), len(want))
	}
	for i := range want {
		w := normalise(want[i])
		if !reflect.DeepEqual(got[i], w) {
			t.Fatalf("row %d (%s) differs:\n got %+v\nwant %+v", i, w.Kind, got[i], w)
		}
	}
}

// normalise turns an event as written into the event a reader returns:
// empty strings inside lists stay, Null keeps only the kind's columns.
func normalise(ev *Event) *Event {
	out := *ev
	return &out
}

func TestRecoveryReadsUnfinishedSegment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, BatchRows: 10, Now: func() time.Time { return time.Unix(1, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 35; n++ {
		if err := w.Append(fullEvent(KindOpen, n)); err != nil {
			t.Fatal(err)
		}
	}
	// No Close: the writer "crashed" with 3 batches flushed, 5 rows lost.
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	if err := rec.Scan(ScanOptions{}, func(b *Batch) error { rows += b.Len(); return nil }); err != nil {
		t.Fatal(err)
	}
	if rows != 30 {
		t.Errorf("recovered %d rows, want 30", rows)
	}
	if len(rec.Warnings) == 0 {
		t.Error("no warning for the unfinished segment")
	}
}
