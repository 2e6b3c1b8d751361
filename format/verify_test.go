package format

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifyIntactRecording(t *testing.T) {
	dir := writeRecording(t, 3, 20, WriterOptions{})
	rep, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Intact || len(rep.Problems) != 0 {
		t.Fatalf("intact recording reported: %v", rep.Problems)
	}
	for _, s := range rep.Segments {
		if s.Status != "ok" {
			t.Errorf("%s: status %s", s.File, s.Status)
		}
	}
}

// editManifest rewrites the manifest through fn, without fixing hashes.
func editManifest(t *testing.T, dir string, fn func(m *Manifest)) {
	t.Helper()
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	fn(m)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestName), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	seg := func(dir string, n int) string { return filepath.Join(dir, SegmentName(n)) }
	tests := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		want   string // a problem kind Verify must report
	}{
		{"a flipped byte in a segment", func(t *testing.T, dir string) {
			data, _ := os.ReadFile(seg(dir, 2))
			data[len(data)/2] ^= 0x01
			os.WriteFile(seg(dir, 2), data, 0o600)
		}, FindReplaced},
		{"a deleted segment", func(t *testing.T, dir string) {
			os.Remove(seg(dir, 2))
		}, FindMissing},
		{"two segments swapped", func(t *testing.T, dir string) {
			os.Rename(seg(dir, 1), seg(dir, 9))
			os.Rename(seg(dir, 3), seg(dir, 1))
			os.Rename(seg(dir, 9), seg(dir, 3))
		}, FindReordered},
		{"a segment replaced by one of another recording", func(t *testing.T, dir string) {
			other := writeRecording(t, 2, 25, WriterOptions{})
			data, _ := os.ReadFile(seg(other, 2))
			os.WriteFile(seg(dir, 2), data, 0o600)
		}, FindReplaced},
		{"a segment added", func(t *testing.T, dir string) {
			data, _ := os.ReadFile(seg(dir, 1))
			os.WriteFile(seg(dir, 7), data, 0o600)
		}, FindExtra},
		{"a row count edited in the manifest", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Segments[1].Rows-- })
		}, FindEntry},
		{"a manifest entry removed with its file", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Segments = append(m.Segments[:1], m.Segments[2:]...) })
			os.Remove(seg(dir, 2))
		}, FindChain},
		{"a manifest entry removed and its hash recomputed", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) {
				m.Segments = append(m.Segments[:1], m.Segments[2:]...)
				m.Segments[1].PrevHash = m.Segments[0].Hash
				m.Segments[1].Hash = m.Segments[1].computeHash()
			})
			os.Remove(seg(dir, 2))
		}, FindNumbering},
		{"a deletion disguised as pruning", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Segments[1].Pruned, m.Segments[1].PrunedReason = true, PrunedMaxAge })
			os.Remove(seg(dir, 2))
		}, FindBadPruning},
		{"the host edited in the manifest", func(t *testing.T, dir string) {
			editManifest(t, dir, func(m *Manifest) { m.Host.Hostname = "elsewhere" })
		}, FindHeader},
		{"a manifest that is not JSON", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, ManifestName), []byte("{\"format\": "), 0o600)
		}, FindManifest},
		{"a deleted manifest", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, ManifestName))
		}, FindManifest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeRecording(t, 3, 20, WriterOptions{Host: HostInfo{Hostname: "h1"}})
			tt.tamper(t, dir)
			rep, err := Verify(dir)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Intact {
				t.Fatalf("tampering not detected; notes: %v", rep.Notes)
			}
			var kinds []string
			for _, p := range rep.Problems {
				kinds = append(kinds, p.Kind)
			}
			if !strings.Contains(strings.Join(kinds, ","), tt.want) {
				t.Errorf("problems %v, want one of kind %q", rep.Problems, tt.want)
			}
		})
	}
}

func TestVerifyReportsPruningAndTheOpenSegmentAsNotes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, MaxTotalBytes: 1, Now: newClock().now})
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s < 3; s++ {
		if err := w.Append(fullEvent(KindExec, s)); err != nil {
			t.Fatal(err)
		}
		if err := w.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Append(fullEvent(KindExec, 9)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// No Close: segment 4 is open, as after a crash.
	rep, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Intact {
		t.Fatalf("problems: %v", rep.Problems)
	}
	count := map[string]int{}
	for _, n := range rep.Notes {
		count[n.Kind]++
	}
	if count[NotePruned] != 3 || count[NoteUnsealed] != 1 {
		t.Errorf("notes %v, want 3 pruned and 1 unsealed", rep.Notes)
	}
}

func TestVerifyNotesTimeGaps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, Now: newClock().now})
	if err != nil {
		t.Fatal(err)
	}
	for i, ts := range []int64{1e9, 2e9, 60e9} {
		ev := fullEvent(KindOpen, i)
		ev.Ts = ts
		if err := w.Append(ev); err != nil {
			t.Fatal(err)
		}
		if err := w.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	var gaps []Finding
	for _, n := range rep.Notes {
		if n.Kind == NoteGap {
			gaps = append(gaps, n)
		}
	}
	if len(gaps) != 1 || gaps[0].Segment != SegmentName(3) {
		t.Errorf("gaps %v, want one before %s", gaps, SegmentName(3))
	}
}
