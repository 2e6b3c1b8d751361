package format

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestRecoveryAtEveryCut cuts a segment at many offsets (every batch
// boundary and its neighbours, and a stride through everything else) and
// checks that every batch that ended before the cut is read back, and
// nothing panics.
func TestRecoveryAtEveryCut(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, BatchRows: 1 << 20, Now: newClock().now})
	if err != nil {
		t.Fatal(err)
	}
	var ends []int64 // file size after each batch
	var rowsUpTo []int
	rows := 0
	for b := 0; b < 6; b++ {
		for i := 0; i < 5+b; i++ {
			// New strings in every batch make the writer emit dictionary deltas.
			if err := w.Append(fullEvent(Kinds()[(b+i)%len(Kinds())], b*100+i)); err != nil {
				t.Fatal(err)
			}
			rows++
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, w.seg.pos)
		rowsUpTo = append(rowsUpTo, rows)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(filepath.Join(dir, SegmentName(1)))
	if err != nil {
		t.Fatal(err)
	}
	cuts := map[int64]bool{}
	stride := int64(len(full))/400 + 1 // a few hundred cuts keep the test fast
	for off := int64(0); off < int64(len(full)); off += stride {
		cuts[off] = true
	}
	for _, e := range ends {
		for d := int64(-9); d <= 9; d++ {
			cuts[e+d] = true
		}
	}
	for off := int64(len(full)) - 64; off <= int64(len(full)); off++ { // inside the footer
		cuts[off] = true
	}
	t.Logf("segment of %d bytes, %d batches, %d cuts", len(full), len(ends), len(cuts))
	cut := filepath.Join(t.TempDir(), SegmentName(1))
	for off := range cuts {
		if err := os.WriteFile(cut, full[:off], 0o600); err != nil {
			t.Fatal(err)
		}
		wantBatches, wantRows := 0, 0
		for i, e := range ends {
			if e <= off {
				wantBatches, wantRows = i+1, rowsUpTo[i]
			}
		}
		gotRows := 0
		st, err := ReadSegment(cut, func(rec arrow.RecordBatch, _ int) error {
			gotRows += int(rec.NumRows())
			return nil
		})
		if err != nil {
			t.Fatalf("cut at %d of %d: %v", off, len(full), err)
		}
		if st.Batches != wantBatches || gotRows != wantRows {
			t.Fatalf("cut at %d of %d: read %d batches (%d rows), want %d (%d rows)", off, len(full), st.Batches, gotRows, wantBatches, wantRows)
		}
		if off < int64(len(full)) && !st.Recovered {
			t.Fatalf("cut at %d: not reported as recovered", off)
		}
	}
}

func TestReadErrorsNameTheFile(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"a foreign file", []byte("hello, this is not arrow"), "bad magic"},
		{"a corrupt footer", append(append([]byte("ARROW1\x00\x00"), make([]byte, 40)...), []byte("\x10\x00\x00\x00ARROW1")...), "segment seg-00000001.arrow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), SegmentName(1))
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ReadSegment(path, func(arrow.RecordBatch, int) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), SegmentName(1)) {
				t.Fatalf("err = %v, want it to name the file and say %q", err, tt.want)
			}
		})
	}
}

func TestOpenSegmentReadsOneSegmentAlone(t *testing.T) {
	dir := writeRecording(t, 3, 10, WriterOptions{})
	rec, err := OpenSegment(filepath.Join(dir, SegmentName(2)))
	if err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, rec, ScanOptions{}); got != 10 {
		t.Errorf("read %d rows, want 10", got)
	}
}

func TestOpenWarnsAboutForeignFilesAndRejectsABadManifest(t *testing.T) {
	dir := writeRecording(t, 1, 3, WriterOptions{})
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Warnings) != 1 || !strings.Contains(rec.Warnings[0], "notes.txt") {
		t.Errorf("warnings %v, want one naming notes.txt", rec.Warnings)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestName), []byte(`{"format": "rewind-recording/1", "bogus": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), ManifestName) {
		t.Errorf("Open with a bad manifest: err = %v, want it to name %s", err, ManifestName)
	}
}

// TestHostileMetadataIsAnErrorNotACrash patches vector lengths and sizes
// that arrow-go would trust (found by FuzzSegmentReader: a huge field
// count made arrow allocate until the process died).
func TestHostileMetadataIsAnErrorNotACrash(t *testing.T) {
	dir := writeRecording(t, 1, 5, WriterOptions{})
	good, err := os.ReadFile(filepath.Join(dir, SegmentName(1)))
	if err != nil {
		t.Fatal(err)
	}
	// The schema message follows the magic: marker, length, flatbuffer.
	metaStart := len(fileMagic) + 8
	meta := good[metaStart : metaStart+le32(good, len(fileMagic)+4)]
	msg, err := fbTableAt(meta, le32(meta, 0))
	if err != nil {
		t.Fatal(err)
	}
	schema, _, err := msg.sub(2)
	if err != nil {
		t.Fatal(err)
	}
	fields, _, err := schema.ref(1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		patch func(b []byte) []byte
	}{
		{"a schema claiming two billion fields in a finished segment", func(b []byte) []byte {
			// The footer embeds a copy of the schema message: patch both.
			for _, at := range []int{metaStart, bytes.LastIndex(b, meta)} {
				binary.LittleEndian.PutUint32(b[at+fields:], 0x7fffffff)
			}
			return b
		}},
		{"a schema claiming two billion fields in an unfinished segment", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[metaStart+fields:], 0x7fffffff)
			return b[:len(b)-100]
		}},
		{"a message longer than the file", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[len(fileMagic)+4:], 0x7ffffff0)
			return b[:len(b)-100]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), SegmentName(1))
			if err := os.WriteFile(path, tt.patch(append([]byte(nil), good...)), 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := ReadSegment(path, func(arrow.RecordBatch, int) error { return nil })
			if err == nil && st.Tail == nil {
				t.Fatalf("read %d batches without complaint", st.Batches)
			}
			if st.Batches != 0 {
				t.Errorf("read %d batches from a segment with a broken schema", st.Batches)
			}
		})
	}
}

func TestInfoCountsTheUnsealedSegment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, BatchRows: 4, Now: newClock().now})
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 10; n++ {
		if err := w.Append(fullEvent(KindExec, n)); err != nil {
			t.Fatal(err)
		}
		if n == 4 {
			if err := w.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Crash: segment 2 holds 4 flushed rows (one batch), 1 row is lost.
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	in, err := rec.Info()
	if err != nil {
		t.Fatal(err)
	}
	if in.Segments != 2 || in.Unsealed != 1 || in.Events != 9 || in.EventsByKind["exec"] != 9 {
		t.Errorf("info: %d segments (%d unsealed), %d events %v; want 2 (1), 9", in.Segments, in.Unsealed, in.Events, in.EventsByKind)
	}
	if want := fullEvent(KindExec, 8).Ts; in.LastTs != want {
		t.Errorf("last ts %d, want %d", in.LastTs, want)
	}
	start, err := rec.Start()
	if err != nil || start != fullEvent(KindExec, 0).Ts {
		t.Errorf("start = %d, %v", start, err)
	}
}

func TestACallbackPanicIsNotBlamedOnTheFile(t *testing.T) {
	dir := writeRecording(t, 1, 3, WriterOptions{})
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []ScanOptions{{}, {Columns: []ColumnID{ColPid}}} {
		func() {
			defer func() {
				if p := recover(); p != "caller bug" {
					t.Errorf("recovered %v, want the callback's own panic", p)
				}
			}()
			_ = rec.Scan(opts, func(*Batch) error { panic("caller bug") })
		}()
	}
}
