package format

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/klauspost/compress/zstd"
)

// TestCompressedBufferLayout checks each way appendBuffer stores a
// buffer against Arrow's layout: an 8-byte uncompressed length then a
// zstd frame, or -1 then the bytes as they are.
func TestCompressedBufferLayout(t *testing.T) {
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rand.N(256))
	}
	tests := []struct {
		name       string
		src        []byte
		compressed bool
	}{
		{"zeros come from the cached frame", make([]byte, 4096), true},
		{"zeros again, cache hit", make([]byte, 4096), true},
		{"repetitive bytes compress", bytes.Repeat([]byte("/usr/lib/x86_64-linux-gnu/"), 100), true},
		{"random bytes are stored as is", random, false},
		{"a tiny buffer is stored as is", []byte("tiny"), false},
	}
	c, err := newBodyCompressor()
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("before")
			out := c.appendBuffer(append([]byte(nil), prefix...), tt.src, firstNonZero(tt.src) == len(tt.src))
			if !bytes.HasPrefix(out, prefix) {
				t.Fatal("appendBuffer changed what was already in dst")
			}
			out = out[len(prefix):]
			n := int64(binary.LittleEndian.Uint64(out))
			var got []byte
			if n == -1 {
				got = out[8:]
			} else {
				if n != int64(len(tt.src)) {
					t.Fatalf("length prefix %d, want %d", n, len(tt.src))
				}
				if got, err = dec.DecodeAll(out[8:], nil); err != nil {
					t.Fatal(err)
				}
			}
			if (n != -1) != tt.compressed {
				t.Errorf("compressed = %v, want %v", n != -1, tt.compressed)
			}
			if !bytes.Equal(got, tt.src) {
				t.Errorf("stored buffer reads back different bytes")
			}
		})
	}
}

// TestRepeatedBuffersAreStoredOnce writes batches in which some columns
// repeat others (tid is pid, vtid is vpid) and checks that the repeats
// point at the bytes already stored, that unequal columns do not, and
// that both arrow-go's IPC reader and Scan read every value back.
func TestRepeatedBuffersAreStoredOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, BatchRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	var want []*Event
	for n := 0; n < 250; n++ {
		ev := fullEvent(KindOpen, n)
		ev.Tid, ev.Vtid = ev.Pid, ev.Vpid
		want = append(want, ev)
		if err := w.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, SegmentName(1))

	// The value buffer of column c: every column before vtid has two
	// buffers (validity, values or indices).
	values := func(c ColumnID) int { return 2*int(c) + 1 }
	batches := recordBatchBuffers(t, path)
	if len(batches) != 3 {
		t.Fatalf("%d record batches, want 3", len(batches))
	}
	for i, bufs := range batches {
		for _, tc := range []struct {
			a, b ColumnID
			same bool
		}{
			{ColPid, ColTid, true},
			{ColVpid, ColVtid, true},
			{ColPid, ColPpid, false},
			{ColTid, ColVtid, false},
		} {
			if got := bufs[values(tc.a)] == bufs[values(tc.b)]; got != tc.same {
				t.Errorf("batch %d: %s and %s values stored at one place = %v, want %v (%v, %v)", i, Columns[tc.a].Name, Columns[tc.b].Name, got, tc.same, bufs[values(tc.a)], bufs[values(tc.b)])
			}
		}
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fr, err := ipc.NewFileReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	row := 0
	for i := 0; i < fr.NumRecords(); i++ {
		rec, err := fr.RecordBatch(i)
		if err != nil {
			t.Fatal(err)
		}
		tids := rec.Column(int(ColTid)).(*array.Int32)
		ppids := rec.Column(int(ColPpid)).(*array.Int32)
		for r := 0; r < int(rec.NumRows()); r++ {
			if tids.Value(r) != want[row].Tid || ppids.Value(r) != want[row].Ppid {
				t.Fatalf("arrow-go reads row %d as tid %d ppid %d, want %d %d", row, tids.Value(r), ppids.Value(r), want[row].Tid, want[row].Ppid)
			}
			row++
		}
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
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
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Scan reads back other events than were written")
	}
}

// recordBatchBuffers lists the buffers (offset, length in the body) of
// each record batch message of the segment at path.
func recordBatchBuffers(t *testing.T, path string) [][]bufferRef {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	end, err := checkStream(f, int64(len(fileMagic)), info.Size())
	if err != nil {
		t.Fatal(err)
	}
	var out [][]bufferRef
	for off := int64(len(fileMagic)); off < end; {
		next, kind, eos, err := checkMessageAt(f, off, end)
		if err != nil {
			t.Fatal(err)
		}
		if eos {
			break
		}
		if kind == fbHeaderRecordBatch {
			var prefix [8]byte
			if _, err := f.ReadAt(prefix[:], off); err != nil {
				t.Fatal(err)
			}
			meta := make([]byte, binary.LittleEndian.Uint32(prefix[4:]))
			if _, err := f.ReadAt(meta, off+8); err != nil {
				t.Fatal(err)
			}
			rb, _, _ := recordBatchFB(meta, false)
			start, n, err := rb.vector(2, 16)
			if err != nil {
				t.Fatal(err)
			}
			var bufs []bufferRef
			for i := 0; i < n; i++ {
				bufs = append(bufs, bufferRef{
					int64(binary.LittleEndian.Uint64(rb.buf[start+16*i:])),
					int64(binary.LittleEndian.Uint64(rb.buf[start+16*i+8:])),
				})
			}
			out = append(out, bufs)
		}
		off = next
	}
	return out
}

// TestFirstNonZero checks every length up to 100 with the first non-zero
// byte at every place (and none) against a byte-by-byte scan.
func TestFirstNonZero(t *testing.T) {
	for n := 0; n <= 100; n++ {
		for at := 0; at <= n; at++ {
			b := make([]byte, n)
			if at < n {
				b[at] = 0x80
				for j := at + 1; j < n; j++ {
					b[j] = byte(j)
				}
			}
			if got := firstNonZero(b); got != at {
				t.Fatalf("length %d, first non-zero at %d: got %d", n, at, got)
			}
		}
	}
}
