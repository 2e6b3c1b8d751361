package format

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCreateRefusesAnExistingRecording(t *testing.T) {
	dir := writeRecording(t, 1, 3, WriterOptions{})
	if _, err := Create(WriterOptions{Dir: dir}); err == nil || !strings.Contains(err.Error(), "already holds a recording") {
		t.Fatalf("Create on a recording: err = %v", err)
	}
}

func TestFilesArePrivate(t *testing.T) {
	dir := writeRecording(t, 2, 3, WriterOptions{})
	if mode := mustStat(t, dir).Mode().Perm(); mode != 0o700 {
		t.Errorf("directory mode %o, want 700", mode)
	}
	for _, name := range append(segFiles(t, dir), ManifestName) {
		if mode := mustStat(t, filepath.Join(dir, name)).Mode().Perm(); mode != 0o600 {
			t.Errorf("%s mode %o, want 600", name, mode)
		}
	}
}

func TestAppendRejectsInvalidKind(t *testing.T) {
	w, err := Create(WriterOptions{Dir: filepath.Join(t.TempDir(), "rec")})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Append(&Event{Ts: 1}); err == nil {
		t.Fatal("Append accepted an event without a kind")
	}
}

func TestRotation(t *testing.T) {
	tests := []struct {
		name string
		opts WriterOptions
		tick time.Duration // clock advance per event
		rows int
		min  int // at least this many segments
	}{
		{"a size limit rotates when the segment grows past it", WriterOptions{SegmentMaxBytes: 20 << 10, BatchRows: 50}, 0, 2000, 3},
		{"an age limit rotates when the segment gets old", WriterOptions{SegmentMaxAge: time.Minute, BatchRows: 10}, time.Second, 400, 6},
		{"without limits one segment holds everything", WriterOptions{BatchRows: 50}, 0, 2000, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			tt.opts.Dir, tt.opts.Now = filepath.Join(t.TempDir(), "rec"), clock.now
			w, err := Create(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < tt.rows; i++ {
				clock.advance(tt.tick)
				if err := w.Append(fullEvent(KindOpen, i)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			rec, err := Open(tt.opts.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(rec.Manifest.Segments); n < tt.min || (tt.min == 1 && n != 1) {
				t.Errorf("%d segments, want at least %d", n, tt.min)
			}
			if got := countRows(t, rec, ScanOptions{}); got != tt.rows {
				t.Errorf("read %d rows, wrote %d", got, tt.rows)
			}
		})
	}
}

func TestKeyframeStartsEverySegment(t *testing.T) {
	calls := 0
	opts := WriterOptions{Keyframe: func(emit func(*Event) error) error {
		calls++
		for pid := int32(1); pid <= 3; pid++ {
			ev := fullEvent(KindKeyframe, int(pid))
			ev.Pid = pid
			if err := emit(ev); err != nil {
				return err
			}
		}
		return nil
	}}
	dir := writeRecording(t, 3, 10, opts)
	if calls != 3 {
		t.Errorf("keyframe called %d times, want 3", calls)
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rec.Manifest.Segments {
		if e.RowsByKind["keyframe"] != 3 {
			t.Errorf("%s: %d keyframe rows, want 3", e.File, e.RowsByKind["keyframe"])
		}
	}
	// The first rows of each segment are the keyframe.
	err = rec.Scan(ScanOptions{}, func(b *Batch) error {
		if b.Index == 0 && b.Kind(0) != KindKeyframe {
			t.Errorf("%s starts with %s", b.Segment, b.Kind(0))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRetention(t *testing.T) {
	tests := []struct {
		name       string
		opts       WriterOptions
		freeze     bool
		wantPruned []string
		reason     string
	}{
		{"a total size below one segment prunes every sealed segment", WriterOptions{MaxTotalBytes: 1}, false,
			[]string{"seg-00000001.arrow", "seg-00000002.arrow", "seg-00000003.arrow", "seg-00000004.arrow", "seg-00000005.arrow"}, PrunedMaxTotalBytes},
		{"age prunes segments closed long ago", WriterOptions{MaxAge: 50 * time.Minute}, false,
			[]string{"seg-00000001.arrow", "seg-00000002.arrow", "seg-00000003.arrow"}, PrunedMaxAge},
		{"a frozen writer prunes nothing", WriterOptions{MaxTotalBytes: 1, MaxAge: time.Minute}, true, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			tt.opts.Dir, tt.opts.Now = filepath.Join(t.TempDir(), "rec"), clock.now
			w, err := Create(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			w.SetFrozen(tt.freeze)
			for s := 0; s < 5; s++ {
				for i := 0; i < 20; i++ {
					if err := w.Append(fullEvent(KindOpen, s*20+i)); err != nil {
						t.Fatal(err)
					}
				}
				clock.advance(30 * time.Minute)
				if err := w.Rotate(); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			m, err := ReadManifest(tt.opts.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Segments) != 6 {
				t.Fatalf("%d segments in the manifest, want 6 (pruned ones stay listed)", len(m.Segments))
			}
			var pruned []string
			for _, e := range m.Segments {
				_, statErr := os.Stat(filepath.Join(tt.opts.Dir, e.File))
				if e.Pruned {
					pruned = append(pruned, e.File)
					if e.PrunedReason != tt.reason {
						t.Errorf("%s pruned for %q, want %q", e.File, e.PrunedReason, tt.reason)
					}
					if statErr == nil {
						t.Errorf("%s marked pruned but still on disk", e.File)
					}
				} else if statErr != nil {
					t.Errorf("%s kept in the manifest but gone: %v", e.File, statErr)
				}
			}
			if !reflect.DeepEqual(pruned, tt.wantPruned) {
				t.Errorf("pruned %v, want %v", pruned, tt.wantPruned)
			}
			if m.Frozen != tt.freeze {
				t.Errorf("manifest frozen = %v, want %v", m.Frozen, tt.freeze)
			}
			rep, err := Verify(tt.opts.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Intact {
				t.Errorf("verify after pruning: %v", rep.Problems)
			}
		})
	}
}

func TestUnfreezeResumesPruning(t *testing.T) {
	clock := newClock()
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, Now: clock.now, MaxTotalBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.SetFrozen(true)
	for s := 0; s < 3; s++ {
		if err := w.Append(fullEvent(KindExec, s)); err != nil {
			t.Fatal(err)
		}
		if err := w.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.Stats().Pruned; got != 0 {
		t.Fatalf("frozen writer pruned %d segments", got)
	}
	w.SetFrozen(false)
	if err := w.Rotate(); err != nil {
		t.Fatal(err)
	}
	if got := w.Stats().Pruned; got != 4 {
		t.Errorf("after unfreezing, pruned %d segments, want 4", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestManifestCountsAndDrops(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, Now: newClock().now})
	if err != nil {
		t.Fatal(err)
	}
	hb := func(kernel []uint64, user uint64) {
		t.Helper()
		if err := w.Append(&Event{Kind: KindHeartbeat, Ts: 5, DropsPerCPU: kernel, DropsUser: user}); err != nil {
			t.Fatal(err)
		}
	}
	hb([]uint64{1, 2}, 0)
	if err := w.Append(fullEvent(KindExec, 1)); err != nil {
		t.Fatal(err)
	}
	hb([]uint64{4, 2}, 5)
	if err := w.Rotate(); err != nil {
		t.Fatal(err)
	}
	hb([]uint64{4, 10}, 6)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	type drops struct{ kernel, user uint64 }
	got := []drops{{m.Segments[0].KernelDrops, m.Segments[0].UserDrops}, {m.Segments[1].KernelDrops, m.Segments[1].UserDrops}}
	if want := []drops{{6, 5}, {8, 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("drops per segment %v, want %v", got, want)
	}
	if want := map[string]uint64{"heartbeat": 2, "exec": 1}; !reflect.DeepEqual(m.Segments[0].RowsByKind, want) {
		t.Errorf("rows by kind %v, want %v", m.Segments[0].RowsByKind, want)
	}
}

func TestRetentionKeepsTheNewestWithinTheSizeLimit(t *testing.T) {
	// Learn the size of a segment, then allow two and a half of them.
	probe, err := ReadManifest(writeRecording(t, 1, 20, WriterOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	limit := probe.Segments[0].Size * 5 / 2
	dir := writeRecording(t, 8, 20, WriterOptions{MaxTotalBytes: limit})
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	var kept int64
	var pruned []string
	for _, e := range m.Segments[:len(m.Segments)-1] { // the last was sealed by Close, after pruning
		if e.Pruned {
			pruned = append(pruned, e.File)
		} else {
			kept += e.Size
		}
	}
	want := []string{"seg-00000001.arrow", "seg-00000002.arrow", "seg-00000003.arrow", "seg-00000004.arrow", "seg-00000005.arrow"}
	if !reflect.DeepEqual(pruned, want) {
		t.Errorf("pruned %v, want %v", pruned, want)
	}
	if kept > limit {
		t.Errorf("kept %d bytes, limit %d", kept, limit)
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, rec, ScanOptions{}); got != 3*20 {
		t.Errorf("read %d rows from the kept segments, want 60", got)
	}
}

func TestBatchesAreBoundedByRowsAndTime(t *testing.T) {
	tests := []struct {
		name        string
		opts        WriterOptions
		gap         time.Duration // between event times
		rows        int
		wantBatches int
	}{
		{"a row limit cuts a batch every N rows", WriterOptions{BatchRows: 10}, time.Millisecond, 35, 4},
		{"a time limit cuts a batch once it spans BatchMaxAge", WriterOptions{BatchMaxAge: time.Second}, 300 * time.Millisecond, 12, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Dir, tt.opts.Now = filepath.Join(t.TempDir(), "rec"), newClock().now
			w, err := Create(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < tt.rows; i++ {
				ev := fullEvent(KindOpen, i)
				ev.Ts = int64(i) * int64(tt.gap)
				if err := w.Append(ev); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			m, err := ReadManifest(tt.opts.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Segments[0].Batches; got != tt.wantBatches {
				t.Errorf("%d batches, want %d", got, tt.wantBatches)
			}
		})
	}
}

// TestOnBatchSeesEveryBatchOnce checks the OnBatch hook: it gets every
// batch once, after it is written, named as the reader names it, with
// the rows in the order they were appended.
func TestOnBatchSeesEveryBatchOnce(t *testing.T) {
	type seen struct {
		segment string
		index   int
		ts      []int64
	}
	var hooked []seen
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, SegmentMaxBytes: 20 << 10, BatchRows: 50, OnBatch: func(b *Batch) {
		s := seen{segment: b.Segment, index: b.Index}
		for i := 0; i < b.Len(); i++ {
			s.ts = append(s.ts, b.Ts(i))
		}
		hooked = append(hooked, s)
	}})
	if err != nil {
		t.Fatal(err)
	}
	appendOpens(t, w, 2000)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var read []seen
	if err := rec.Scan(ScanOptions{}, func(b *Batch) error {
		s := seen{segment: b.Segment, index: b.Index}
		for i := 0; i < b.Len(); i++ {
			s.ts = append(s.ts, b.Ts(i))
		}
		read = append(read, s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(rec.Manifest.Segments) < 2 {
		t.Fatalf("%d segments: the test needs a rotation", len(rec.Manifest.Segments))
	}
	if !reflect.DeepEqual(hooked, read) {
		t.Fatalf("OnBatch saw %d batches, the reader reads %d, or they differ", len(hooked), len(read))
	}
}

func TestFreezeRecordsItsReason(t *testing.T) {
	tests := []struct {
		name     string
		act      func(w *Writer)
		frozen   bool
		frozenBy string
	}{
		{"the first reason is kept", func(w *Writer) { w.Freeze("rule A"); w.Freeze("rule B") }, true, "rule A"},
		{"SetFrozen freezes without a reason", func(w *Writer) { w.SetFrozen(true) }, true, ""},
		{"unfreezing drops the reason", func(w *Writer) { w.Freeze("rule A"); w.SetFrozen(false) }, false, ""},
		{"never frozen", func(*Writer) {}, false, ""},
		{"a freeze after an unfreeze records its own reason", func(w *Writer) { w.Freeze("rule A"); w.SetFrozen(false); w.Freeze("rule B") }, true, "rule B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "rec")
			w, err := Create(WriterOptions{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			tt.act(w)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			m, err := ReadManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			if m.Frozen != tt.frozen || m.FrozenBy != tt.frozenBy {
				t.Errorf("manifest frozen %v by %q, want %v by %q", m.Frozen, m.FrozenBy, tt.frozen, tt.frozenBy)
			}
		})
	}
}

// TestFreezeReachesTheManifestWithTheNextBatch: a freeze is in the
// manifest as soon as a batch is written after it, before any rotation
// or close (a recorder killed after an incident still tells).
func TestFreezeReachesTheManifestWithTheNextBatch(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	w, err := Create(WriterOptions{Dir: dir, BatchRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	manifest := func() *Manifest {
		m, err := ReadManifest(dir)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	appendOpens(t, w, 10)
	if m := manifest(); m.Frozen {
		t.Fatal("frozen before any freeze")
	}
	w.Freeze("rule X")
	appendOpens(t, w, 10)
	if m := manifest(); !m.Frozen || m.FrozenBy != "rule X" {
		t.Fatalf("after a batch, the manifest says frozen %v by %q", m.Frozen, m.FrozenBy)
	}
	w.SetFrozen(false)
	if err := w.Append(fullEvent(KindOpen, 0)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if m := manifest(); m.Frozen || m.FrozenBy != "" {
		t.Fatalf("after an unfreeze and a batch, the manifest says frozen %v by %q", m.Frozen, m.FrozenBy)
	}
}

// appendOpens appends n open rows.
func appendOpens(t *testing.T, w *Writer, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := w.Append(fullEvent(KindOpen, i)); err != nil {
			t.Fatal(err)
		}
	}
}
