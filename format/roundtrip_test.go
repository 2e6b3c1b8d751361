package format

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
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
			// Stored nulls: every column outside the kind, and only
			// the marked ones inside it.
			for c := ColumnID(0); c < NumColumns; c++ {
				inKind := Columns[c].Kinds.Has(ev.Kind)
				wantNull := !inKind || (c == ColUID && ev.Null.Has(ColUID))
				if b.IsNull(c, i) != wantNull {
					t.Fatalf("%s row %d (%s): column %s null = %v, want %v", b.Segment, i, ev.Kind, Columns[c].Name, b.IsNull(c, i), wantNull)
				}
			}
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
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("row %d (%s) differs:\n got %+v\nwant %+v", i, want[i].Kind, got[i], want[i])
		}
	}
}

func TestNewerSchemaVersionIsRefused(t *testing.T) {
	md := arrow.NewMetadata([]string{MetaSchemaVersion}, []string{"7"})
	schema := arrow.NewSchema(Schema().Fields(), &md)
	path := filepath.Join(t.TempDir(), SegmentName(3))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := ipc.NewFileWriter(f, ipc.WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rec, err := OpenSegment(path)
	if err != nil {
		t.Fatal(err)
	}
	err = rec.Scan(ScanOptions{}, func(*Batch) error { return nil })
	want := fmt.Sprintf("segment seg-00000003.arrow: schema version 7 is newer than this reader (%d); upgrade rewind", SchemaVersion)
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if _, err := parseManifest("m.json", []byte(`{"format":"rewind-recording/1","schema_version":7}`)); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("schema version 7 is newer than this reader (%d)", SchemaVersion)) {
		t.Errorf("manifest of version 7: err = %v", err)
	}
}

// TestDictionariesGrowAsDeltas checks that a dictionary column whose
// values keep changing is written as one dictionary plus deltas (the
// IPC file format forbids replacing a dictionary).
func TestDictionariesGrowAsDeltas(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, BatchRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		ev := fullEvent(KindOpen, 0)
		ev.Comm = fmt.Sprintf("comm-%d", i) // a new comm in every batch
		if err := w.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, SegmentName(1)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fr, err := ipc.NewFileReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	dictCols := 0
	for c := range Columns {
		if StorageType(ColumnID(c), SchemaVersion).ID() == arrow.DICTIONARY {
			dictCols++
		}
	}
	// One initial dictionary per column, then a delta per batch for comm,
	// and one per member of the file group for the one file opened.
	if got, want := fr.NumDictionaries(), dictCols+4+len(Groups[0].Members); got != want {
		t.Errorf("%d dictionary blocks, want %d", got, want)
	}
	var comms []string
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = rec.Scan(ScanOptions{}, func(b *Batch) error {
		for i := 0; i < b.Len(); i++ {
			comms = append(comms, b.String(ColComm, i))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(comms) != 10 || comms[0] != "comm-0" || comms[9] != "comm-9" {
		t.Errorf("comms read back: %v", comms)
	}
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
