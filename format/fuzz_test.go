package format

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// FuzzSegmentReader feeds arbitrary bytes to the segment reader and
// decodes every row it returns: errors are fine, panics are not.
func FuzzSegmentReader(f *testing.F) {
	// The seed stays small (one batch, every kind): Go's fuzzer slows to
	// a crawl on inputs above ~100 KiB.
	dir := filepath.Join(f.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, Now: newClock().now})
	if err != nil {
		f.Fatal(err)
	}
	for n, k := range Kinds() {
		if err := w.Append(fullEvent(k, n)); err != nil {
			f.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	seg, err := os.ReadFile(filepath.Join(dir, SegmentName(1)))
	if err != nil {
		f.Fatal(err)
	}
	if len(seg) > 80<<10 {
		f.Fatalf("seed segment of %d bytes is too big for the fuzzer", len(seg))
	}
	f.Add(seg)
	f.Add(seg[:len(seg)*2/3]) // unfinished: read as a stream
	f.Add(seg[:8])
	f.Add([]byte("ARROW1"))
	f.Add([]byte{})

	path := filepath.Join(f.TempDir(), SegmentName(1))
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var b Batch
		var ev Event
		_, _ = ReadSegment(path, func(rec arrow.RecordBatch, idx int) error {
			if err := b.reset(SegmentName(1), idx, rec); err != nil {
				return err
			}
			for i := 0; i < b.Len(); i++ {
				b.Event(i, &ev)
				_ = b.Fields(i, nil)
			}
			return nil
		})
		// The projected path parses the same bytes with its own code.
		_ = scanProjected(path, []ColumnID{ColPid, ColComm, ColPath, ColArgv, ColDropsPerCPU, ColEventsPerKind}, func(b *Batch) error {
			for i := 0; i < b.Len(); i++ {
				b.Event(i, &ev)
			}
			return nil
		})
	})
}

// FuzzManifest feeds arbitrary bytes to the manifest parser; whatever it
// accepts must survive the hash-chain check and a re-encode round trip.
func FuzzManifest(f *testing.F) {
	dir := filepath.Join(f.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, Now: newClock().now, Host: HostInfo{Hostname: "h", Config: map[string]string{"a": "b"}}})
	if err != nil {
		f.Fatal(err)
	}
	for s := 0; s < 3; s++ {
		if err := w.Append(fullEvent(KindOpen, s)); err != nil {
			f.Fatal(err)
		}
		if err := w.Rotate(); err != nil {
			f.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"format":"rewind-recording/1","schema_version":1,"segments":[{"seq":1,"file":"seg-00000001.arrow"}]}`))
	f.Add([]byte(`{"format":"rewind-recording/1","schema_version":7}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseManifest(ManifestName, data)
		if err != nil {
			return
		}
		rep := &VerifyReport{}
		checkChain(m, rep)
		checkGaps(m, rep)
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if _, err := parseManifest(ManifestName, again); err != nil {
			t.Fatalf("re-parse of an accepted manifest: %v", err)
		}
	})
}
