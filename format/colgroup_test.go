package format

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// writeBusy writes n events in batches of batchRows and returns the
// recording's directory: opens of 2000 files (some through a different
// raw path), connects to 50 endpoints, and process events with neither.
// (formattest's busy-host mix would import this package.)
func writeBusy(t *testing.T, n, batchRows int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, BatchRows: batchRows})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		ev := &Event{Ts: int64(i + 1), Pid: int32(100 + i%50), Comm: "w"}
		switch f := i * 7919 % 2000; {
		case i%10 < 7:
			ev.Kind, ev.Path, ev.Dev, ev.Ino = KindOpen, fmt.Sprintf("/srv/f%d", f), 8, uint64(1000+f)
			ev.PathRaw = ev.Path
			if f%3 == 0 {
				ev.PathRaw = fmt.Sprintf("f%d", f)
			}
		case i%10 < 9:
			ev.Kind, ev.Family, ev.SockType, ev.Proto = KindNet, 2, 1, "tcp"
			ev.Saddr, ev.Sport = "10.0.0.1", uint16(30000+i%1000)
			ev.Daddr, ev.Dport = fmt.Sprintf("10.0.1.%d", f%50), 443
		default:
			ev.Kind = KindExit
		}
		if err := w.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestGroupMembersShareOneIndex reads a segment as any Arrow reader does
// (storage types) and checks what Groups promise: in every batch the
// members of a group are dictionaries of the same length whose indices
// are equal, entry 0 is null in every member, no two entries hold the
// same combination of values, and the index buffers are stored once in
// the segment.
func TestGroupMembersShareOneIndex(t *testing.T) {
	dir := writeBusy(t, 20000, 4096)
	path := filepath.Join(dir, SegmentName(1))
	fr := arrowFile(t, path)
	if fr.NumRecords() < 4 {
		t.Fatalf("%d batches, want several", fr.NumRecords())
	}
	for b := 0; b < fr.NumRecords(); b++ {
		rec, err := fr.RecordBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range Groups {
			var first *array.Dictionary
			for _, c := range g.Members {
				d, ok := rec.Column(int(c)).(*array.Dictionary)
				if !ok {
					t.Fatalf("batch %d: %s is %s, want a dictionary", b, Columns[c].Name, rec.Column(int(c)).DataType())
				}
				if d.Dictionary().IsValid(0) {
					t.Errorf("batch %d: %s entry 0 is %v, want null", b, Columns[c].Name, d.Dictionary().ValueStr(0))
				}
				if first == nil {
					first = d
					continue
				}
				if d.Dictionary().Len() != first.Dictionary().Len() {
					t.Fatalf("batch %d group %s: %s has %d entries, %s %d", b, g.Name, Columns[c].Name, d.Dictionary().Len(), Columns[g.Members[0]].Name, first.Dictionary().Len())
				}
				a, z := d.Indices().(*array.Int32), first.Indices().(*array.Int32)
				if !array.Equal(a, z) {
					t.Fatalf("batch %d group %s: %s indices differ from %s", b, g.Name, Columns[c].Name, Columns[g.Members[0]].Name)
				}
			}
			seen := map[string]int{}
			for k := 0; k < first.Dictionary().Len(); k++ {
				var key strings.Builder
				for _, c := range g.Members {
					fmt.Fprintf(&key, "%q|", rec.Column(int(c)).(*array.Dictionary).Dictionary().ValueStr(k))
				}
				if j, dup := seen[key.String()]; dup {
					t.Fatalf("batch %d group %s: entries %d and %d are both %s", b, g.Name, j, k, key.String())
				}
				seen[key.String()] = k
			}
			if b == fr.NumRecords()-1 && len(seen) < 10 {
				t.Errorf("group %s: %d entries after %d batches, want the busy mix's many", g.Name, len(seen), b+1)
			}
		}
		rec.Release()
	}

	// Stored once: every member's index buffer is at the same place.
	layouts := layoutsFor(SchemaVersion)
	batches := recordBatchBuffers(t, path)
	for b, bufs := range batches {
		for _, g := range Groups {
			want := bufs[layouts[g.Members[0]].buf+1]
			for _, c := range g.Members[1:] {
				if got := bufs[layouts[c].buf+1]; got != want {
					t.Errorf("batch %d: %s indices stored at %v, %s at %v", b, Columns[c].Name, got, Columns[g.Members[0]].Name, want)
				}
			}
		}
	}
	if len(batches) != fr.NumRecords() {
		t.Errorf("%d record batch messages, footer lists %d", len(batches), fr.NumRecords())
	}
}

// TestGroupEntryCapStartsSegment writes more distinct files than a
// group may hold in one segment: the writer starts a new segment at the
// cap, no segment's dictionary passes it, and every row reads back.
func TestGroupEntryCapStartsSegment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, BatchRows: 8192})
	if err != nil {
		t.Fatal(err)
	}
	const n = maxGroupEntries + maxGroupEntries/2
	for i := 0; i < n; i++ {
		ev := &Event{Kind: KindOpen, Ts: int64(i + 1), Pid: 7, Path: fmt.Sprintf("/data/f%06d", i), Ino: uint64(i + 1), Dev: 8}
		if err := w.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rec.Segments()); got != 2 {
		t.Fatalf("%d segments, want 2 (one per %d files)", got, maxGroupEntries)
	}
	for _, seg := range rec.Segments() {
		r := lastBatch(t, filepath.Join(dir, seg))
		if got := r.Column(int(ColPath)).(*array.Dictionary).Dictionary().Len(); got > maxGroupEntries {
			t.Errorf("%s: %d file entries, cap %d", seg, got, maxGroupEntries)
		}
	}
	next := 0
	err = rec.Scan(ScanOptions{Kinds: SetOf(KindOpen)}, func(b *Batch) error {
		for i := 0; i < b.Len(); i++ {
			want := fmt.Sprintf("/data/f%06d", next)
			if got := b.String(ColPath, i); got != want {
				return fmt.Errorf("row %d: path %q, want %q", next, got, want)
			}
			if got := b.Uint64(ColIno).Value(i); got != uint64(next+1) {
				return fmt.Errorf("row %d: ino %d, want %d", next, got, next+1)
			}
			next++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if next != n {
		t.Fatalf("read %d open rows, want %d", next, n)
	}
}

// TestSameAsMembers writes opens whose raw path equals the resolved one,
// differs from it, or is missing, and checks that a raw path equal to
// its path is stored once (null in path_raw's dictionary, as any Arrow
// reader sees it) while every reader of rewind (whole batches, projected
// with and without path, the OnBatch hook) returns the raw paths given.
func TestSameAsMembers(t *testing.T) {
	type open struct{ path, raw string }
	opens := []open{
		{"/etc/passwd", "/etc/passwd"},
		{"/etc/passwd", "passwd"},
		{"/etc/passwd", ""}, // raw not read
		{"/etc/shadow", "/etc/shadow"},
		{"", "/missing"}, // failed open: no resolved path
		{"/etc/passwd", "/etc/passwd"},
	}
	dir := filepath.Join(t.TempDir(), "rec")
	var hooked []string
	w, err := Create(WriterOptions{Dir: dir, BatchRows: 4, OnBatch: func(b *Batch) {
		for i := 0; i < b.Len(); i++ {
			hooked = append(hooked, b.String(ColPathRaw, i))
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range opens {
		ev := &Event{Kind: KindOpen, Ts: int64(i + 1), Pid: 1, Path: o.path, PathRaw: o.raw, Ino: 5}
		if err := w.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := make([]string, len(opens))
	for i, o := range opens {
		want[i] = o.raw
	}
	if !slices.Equal(hooked, want) {
		t.Errorf("OnBatch path_raw %q, want %q", hooked, want)
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
		{"projected with path", []ColumnID{ColPath, ColPathRaw}},
		{"projected without path", []ColumnID{ColPathRaw}},
	} {
		var got []string
		var nulls []bool
		err := rec.Scan(ScanOptions{Columns: tt.cols}, func(b *Batch) error {
			for i := 0; i < b.Len(); i++ {
				got = append(got, b.String(ColPathRaw, i))
				nulls = append(nulls, b.IsNull(ColPathRaw, i))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: path_raw %q, want %q", tt.name, got, want)
		}
		if !nulls[2] || nulls[0] || nulls[1] {
			t.Errorf("%s: path_raw nulls %v, want only row 2", tt.name, nulls)
		}
	}

	// As stored: "/etc/passwd" once, in path's dictionary; path_raw holds
	// only "passwd" and "/missing".
	r := lastBatch(t, filepath.Join(dir, SegmentName(1)))
	raws := r.Column(int(ColPathRaw)).(*array.Dictionary).Dictionary().(*array.String)
	var stored []string
	for k := 0; k < raws.Len(); k++ {
		if raws.IsValid(k) {
			stored = append(stored, raws.Value(k))
		}
	}
	if !slices.Equal(stored, []string{"passwd", "/missing"}) {
		t.Errorf("path_raw dictionary holds %q, want [passwd /missing]", stored)
	}
}

// arrowFile opens the segment at path with arrow-go's IPC file reader,
// as any Arrow reader sees it; both close when the test ends.
func arrowFile(t *testing.T, path string) *ipc.FileReader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fr, err := ipc.NewFileReader(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fr.Close() })
	return fr
}

// lastBatch is the last record batch of the segment at path, as stored
// (its dictionaries hold the whole segment's entries).
func lastBatch(t *testing.T, path string) arrow.RecordBatch {
	t.Helper()
	fr := arrowFile(t, path)
	r, err := fr.RecordBatch(fr.NumRecords() - 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Release)
	return r
}
