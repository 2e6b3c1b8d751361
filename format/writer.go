package format

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Defaults for zero WriterOptions fields.
const (
	DefaultSegmentMaxBytes = 64 << 20
	DefaultSegmentMaxAge   = 10 * time.Minute
	DefaultBatchRows       = 16384
	DefaultBatchMaxAge     = time.Second
)

// Pruning reasons recorded in the manifest.
const (
	PrunedMaxTotalBytes = "max_total_bytes"
	PrunedMaxAge        = "max_age"
)

var (
	schemaOnce    sync.Once
	schemaLogical *arrow.Schema
	schemaStored  *arrow.Schema
	dictIDs       [NumColumns]int64
)

func initSchemas() {
	schemaOnce.Do(func() {
		schemaLogical, schemaStored = Schema(), storageSchema()
		// The IPC writer numbers dictionaries in field order.
		id := int64(0)
		for c := range dictIDs {
			dictIDs[c] = -1
			if StorageType(ColumnID(c), SchemaVersion).ID() == arrow.DICTIONARY {
				dictIDs[c] = id
				id++
			}
		}
	})
}

// currentSchema is Schema(), built once: what readers return.
func currentSchema() *arrow.Schema {
	initSchemas()
	return schemaLogical
}

// writtenSchema is the schema segments are written with (storage
// types), built once: record batches and the IPC writer must share one
// schema value.
func writtenSchema() *arrow.Schema {
	initSchemas()
	return schemaStored
}

// Writer appends events to a recording directory. It is not safe for
// concurrent use: one goroutine owns it (SetFrozen and Freeze excepted, which any
// goroutine may call).
type Writer struct {
	opts     WriterOptions
	mem      memory.Allocator
	manifest *Manifest
	frozen   atomic.Bool
	frozenBy atomic.Pointer[string]
	// freezeNews is set when the freeze state changed and the manifest
	// does not say so yet: the next batch written rewrites it.
	freezeNews atomic.Bool
	hook       Batch // the batch OnBatch is given
	delta      deltaWriter
	err        error // sticky: after a write error the writer refuses more
	closed     bool

	cols     [NumColumns]colBuf // nil for group members
	groups   []*groupCol
	spare    segmentSpare // the last segment's buffer and compressor, for the next
	kindCols [numKinds][]rowAdder
	rows     int // rows in the batch being built
	// batch bounds
	batchFirstTs  int64
	batchOpened   time.Time
	sinceClockChk int

	seg        *segmentFile
	segEntry   SegmentEntry
	segByKind  [numKinds]uint64
	segOpened  time.Time
	inKeyframe bool

	// last cumulative drop counters seen in a heartbeat
	lastKernelDrops, lastUserDrops uint64

	stats Stats
}

// Create starts a new recording in opts.Dir (created 0700 if missing;
// refusing a directory that already holds a recording).
func Create(opts WriterOptions) (*Writer, error) {
	if opts.Dir == "" {
		return nil, errors.New("create recording: no directory given")
	}
	if opts.SegmentMaxBytes <= 0 {
		opts.SegmentMaxBytes = DefaultSegmentMaxBytes
	}
	if opts.SegmentMaxAge <= 0 {
		opts.SegmentMaxAge = DefaultSegmentMaxAge
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	if opts.BatchMaxAge <= 0 {
		opts.BatchMaxAge = DefaultBatchMaxAge
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := prepareDir(opts.Dir); err != nil {
		return nil, err
	}
	w := &Writer{opts: opts, mem: memory.DefaultAllocator}
	w.stats.EventsByKind = map[Kind]uint64{}
	for c := ColumnID(0); c < NumColumns; c++ {
		if groupOf[c] >= 0 {
			continue
		}
		w.cols[c] = newColBuf(c)
		for _, k := range Kinds() {
			if Columns[c].Kinds.Has(k) {
				w.kindCols[k] = append(w.kindCols[k], w.cols[c])
			}
		}
	}
	for g := range Groups {
		gc := newGroupCol(g)
		w.groups = append(w.groups, gc)
		for _, k := range Kinds() {
			for _, c := range Groups[g].Members {
				if Columns[c].Kinds.Has(k) {
					w.kindCols[k] = append(w.kindCols[k], gc)
					break
				}
			}
		}
	}
	m := &Manifest{
		Format:          manifestFormat,
		SchemaVersion:   SchemaVersion,
		RecorderVersion: opts.Host.RecorderVersion,
		CreatedNs:       opts.Now().UnixNano(),
		Host:            opts.Host,
		Writer: WriterSettings{
			SegmentMaxBytes: opts.SegmentMaxBytes,
			SegmentMaxAgeNs: int64(opts.SegmentMaxAge),
			MaxTotalBytes:   opts.MaxTotalBytes,
			MaxAgeNs:        int64(opts.MaxAge),
			BatchRows:       opts.BatchRows,
			BatchMaxAgeNs:   int64(opts.BatchMaxAge),
		},
		Segments: []SegmentEntry{},
	}
	m.HeaderHash = m.computeHeaderHash()
	w.manifest = m
	if err := w.openSegment(1); err != nil {
		return nil, err
	}
	return w, nil
}

// prepareDir creates dir 0700, or accepts an existing one that holds no
// recording.
func prepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create recording: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("create recording: %w", err)
	}
	for _, e := range entries {
		if _, isSeg := parseSegmentName(e.Name()); isSeg || e.Name() == ManifestName {
			return fmt.Errorf("create recording: %s already holds a recording (%s)", dir, e.Name())
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("create recording: %w", err)
	}
	return nil
}

// openSegment starts segment seq: it records the sealed segments and the
// new one as open in the manifest first, then creates the file (so that
// after a crash every segment file on disk is either sealed in the
// manifest or the one it names as open), and runs the keyframe callback.
func (w *Writer) openSegment(seq int) error {
	name := SegmentName(seq)
	w.manifest.Open = name
	w.prune()
	w.recordFreeze()
	if err := writeManifest(w.opts.Dir, w.manifest); err != nil {
		return w.fail(err)
	}
	seg, err := createSegmentFile(filepath.Join(w.opts.Dir, name), w.mem, &w.spare)
	if err != nil {
		return w.fail(err)
	}
	w.seg = seg
	seg.beforeRecord = w.writeDeltas
	w.segOpened = w.opts.Now()
	w.segEntry = SegmentEntry{Seq: seq, File: name, SchemaVersion: SchemaVersion, OpenedNs: w.segOpened.UnixNano()}
	w.segByKind = [numKinds]uint64{}
	for _, c := range w.cols {
		if d, ok := c.(*dictCol); ok {
			d.resetDict()
		}
	}
	for _, g := range w.groups {
		g.resetDict()
	}
	w.stats.Segments++
	if w.opts.Keyframe != nil {
		w.inKeyframe = true
		err := w.opts.Keyframe(w.Append)
		w.inKeyframe = false
		if err != nil {
			return w.fail(fmt.Errorf("keyframe for %s: %w", name, err))
		}
	}
	return nil
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

// Append adds one event; it may flush a batch or rotate the segment.
func (w *Writer) Append(ev *Event) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("append: writer is closed")
	}
	if !ev.Kind.Valid() {
		return fmt.Errorf("append: invalid event kind %d", ev.Kind)
	}
	nulls := ev.Null != ColumnSet{}
	for _, c := range w.kindCols[ev.Kind] {
		c.add(ev, w.rows, nulls)
	}
	if w.rows == 0 {
		w.batchFirstTs = ev.Ts
		w.batchOpened = time.Time{}
	}
	w.rows++
	e := &w.segEntry
	if e.Rows == 0 || ev.Ts < e.FirstTs {
		e.FirstTs = ev.Ts
	}
	if ev.Ts > e.LastTs {
		e.LastTs = ev.Ts
	}
	e.Rows++
	w.segByKind[ev.Kind]++
	w.stats.Events++
	if ev.Kind == KindHeartbeat {
		w.countDrops(ev)
	}
	if !w.batchDue(ev.Ts) && (w.inKeyframe || !w.groupFull()) {
		return nil
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if !w.inKeyframe && w.segmentDue() {
		return w.Rotate()
	}
	return nil
}

// batchDue reports whether the batch is full: by rows, by the span of its
// event times, or (checked every 1024 rows, as reading the clock costs
// more than appending a row) by wall-clock age.
func (w *Writer) batchDue(ts int64) bool {
	if w.rows >= w.opts.BatchRows || ts-w.batchFirstTs >= int64(w.opts.BatchMaxAge) {
		return true
	}
	w.sinceClockChk++
	if w.sinceClockChk < 1024 {
		return false
	}
	w.sinceClockChk = 0
	now := w.opts.Now()
	if w.batchOpened.IsZero() {
		w.batchOpened = now
		return false
	}
	return now.Sub(w.batchOpened) >= w.opts.BatchMaxAge
}

// groupFull reports whether a group has reached its entry cap, which
// ends the batch and the segment before the next row could pass it.
func (w *Writer) groupFull() bool {
	for _, g := range w.groups {
		if g.full() {
			return true
		}
	}
	return false
}

func (w *Writer) segmentDue() bool {
	return w.groupFull() || w.seg.pos >= w.opts.SegmentMaxBytes || w.opts.Now().Sub(w.segOpened) >= w.opts.SegmentMaxAge
}

// writeDeltas writes the group entries of the batch being written.
func (w *Writer) writeDeltas() error {
	for _, g := range w.groups {
		err := g.deltas(func(c ColumnID, values arrow.Array) error {
			return w.seg.writeDictDelta(dictIDs[c], values)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// countDrops adds the drops since the previous heartbeat to the segment.
// Counters are cumulative; one that went down was reset and counts from 0.
func (w *Writer) countDrops(ev *Event) {
	if !ev.Null.Has(ColDropsPerCPU) && ev.DropsPerCPU != nil {
		var total uint64
		for _, d := range ev.DropsPerCPU {
			total += d
		}
		w.segEntry.KernelDrops += counterDelta(w.lastKernelDrops, total)
		w.lastKernelDrops = total
	}
	if !ev.Null.Has(ColDropsUser) {
		w.segEntry.UserDrops += counterDelta(w.lastUserDrops, ev.DropsUser)
		w.lastUserDrops = ev.DropsUser
	}
}

func counterDelta(prev, cur uint64) uint64 {
	if cur >= prev {
		return cur - prev
	}
	return cur
}

// Flush writes the pending batch (if any) to the current segment.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.rows == 0 || w.seg == nil {
		return nil
	}
	arrs := make([]arrow.Array, NumColumns)
	for i, c := range w.cols {
		if c != nil {
			arrs[i] = c.build(w.rows)
		}
	}
	for _, g := range w.groups {
		g.buildInto(arrs, w.rows)
	}
	// ts and seq are written as differences (see DeltaVersion); the
	// hook gets their values.
	stored := make([]arrow.Array, NumColumns)
	copy(stored, arrs)
	for _, d := range DeltaColumns {
		stored[d.Col] = w.delta.stored(d.Col, arrs)
	}
	rec := array.NewRecordBatch(writtenSchema(), stored, int64(w.rows))
	for _, d := range DeltaColumns {
		stored[d.Col].Release() // rec holds them
	}
	err := w.seg.writeBatch(rec)
	if err == nil && w.opts.OnBatch != nil {
		err = w.runHook(arrs)
	}
	rec.Release()
	for i, a := range arrs {
		a.Release()
		if w.cols[i] != nil {
			w.cols[i].reset()
		}
	}
	for _, g := range w.groups {
		g.reset()
	}
	w.rows = 0
	w.sinceClockChk = 0
	if err != nil {
		return w.fail(err)
	}
	w.segEntry.Batches++
	if w.freezeNews.Swap(false) {
		// Say so now rather than at the next rotation: a recorder killed
		// after an incident leaves a manifest that tells what froze it.
		w.recordFreeze()
		if err := writeManifest(w.opts.Dir, w.manifest); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

// runHook gives OnBatch the batch just written as a reader will see it:
// group members in their logical types.
func (w *Writer) runHook(stored []arrow.Array) error {
	arrs := make([]arrow.Array, NumColumns)
	copy(arrs, stored)
	for _, g := range w.groups {
		if err := g.logicalInto(arrs, w.rows); err != nil {
			return err
		}
	}
	defer func() {
		for _, g := range w.groups {
			for _, c := range Groups[g.group].Members {
				arrs[c].Release()
			}
		}
	}()
	rec := array.NewRecordBatch(currentSchema(), arrs, int64(w.rows))
	defer rec.Release()
	err := w.hook.reset(w.segEntry.File, w.segEntry.Batches, rec)
	if err == nil {
		w.opts.OnBatch(&w.hook)
	}
	w.hook = Batch{kindByIdx: w.hook.kindByIdx[:0]} // no reference to the reused buffers
	return err
}

// Rotate closes the current segment and starts the next one.
func (w *Writer) Rotate() error {
	if w.closed {
		return errors.New("rotate: writer is closed")
	}
	if err := w.sealSegment(); err != nil {
		return err
	}
	return w.openSegment(w.segEntry.Seq + 1)
}

// sealSegment flushes and finishes the current segment and adds its
// entry to the manifest (written by the caller's next manifest write).
func (w *Writer) sealSegment() error {
	if err := w.Flush(); err != nil {
		return err
	}
	size, sum, err := w.seg.finish(&w.spare)
	w.seg = nil
	if err != nil {
		return w.fail(err)
	}
	e := w.segEntry
	e.Size, e.Sha256 = size, sum
	e.ClosedNs = w.opts.Now().UnixNano()
	e.RowsByKind = map[string]uint64{}
	for k, n := range w.segByKind {
		if n > 0 {
			e.RowsByKind[Kind(k).String()] = n
			w.stats.EventsByKind[Kind(k)] += n
		}
	}
	e.PrevHash = w.manifest.HeaderHash
	if n := len(w.manifest.Segments); n > 0 {
		e.PrevHash = w.manifest.Segments[n-1].Hash
	}
	e.Hash = e.computeHash()
	w.manifest.Segments = append(w.manifest.Segments, e)
	w.manifest.Open = ""
	w.stats.Bytes += size
	return nil
}

// prune applies retention to sealed segments, oldest first. Only a prefix
// of the ring is ever pruned, and nothing while frozen.
func (w *Writer) prune() {
	o := w.opts
	if w.frozen.Load() || (o.MaxTotalBytes <= 0 && o.MaxAge <= 0) {
		return
	}
	now := o.Now()
	var total int64
	for _, e := range w.manifest.Segments {
		if !e.Pruned {
			total += e.Size
		}
	}
	for i := range w.manifest.Segments {
		e := &w.manifest.Segments[i]
		if e.Pruned {
			continue
		}
		reason := ""
		switch {
		case o.MaxTotalBytes > 0 && total > o.MaxTotalBytes:
			reason = PrunedMaxTotalBytes
		case o.MaxAge > 0 && now.Sub(time.Unix(0, e.ClosedNs)) > o.MaxAge:
			reason = PrunedMaxAge
		default:
			return
		}
		if err := os.Remove(filepath.Join(o.Dir, e.File)); err != nil && !errors.Is(err, os.ErrNotExist) {
			// Leave it listed as present; the next rotation retries.
			return
		}
		e.Pruned, e.PrunedReason, e.PrunedNs = true, reason, now.UnixNano()
		total -= e.Size
		w.stats.Bytes -= e.Size
		w.stats.Pruned++
	}
}

// SetFrozen stops (true) or resumes (false) retention pruning. It takes
// effect at the next rotation; the manifest says so once the next batch
// is written.
func (w *Writer) SetFrozen(frozen bool) {
	if !frozen {
		w.frozenBy.Store(nil)
	}
	if w.frozen.Swap(frozen) != frozen {
		w.freezeNews.Store(true)
	}
}

// Frozen reports whether retention is frozen. Any goroutine may call it.
func (w *Writer) Frozen() bool { return w.frozen.Load() }

// Freeze stops retention pruning like SetFrozen(true) and records why in
// the manifest (frozen_by); the first reason given is kept. Any
// goroutine may call it.
func (w *Writer) Freeze(reason string) {
	reasonSet := w.frozenBy.CompareAndSwap(nil, &reason)
	if wasFrozen := w.frozen.Swap(true); reasonSet || !wasFrozen {
		w.freezeNews.Store(true)
	}
}

// Close flushes, finishes the segment and rewrites the manifest.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	defer w.releaseDicts()
	defer w.spare.close()
	if w.err != nil {
		if w.seg != nil {
			w.seg.abandon()
		}
		return w.err
	}
	if err := w.sealSegment(); err != nil {
		return err
	}
	w.recordFreeze()
	if err := writeManifest(w.opts.Dir, w.manifest); err != nil {
		return w.fail(err)
	}
	return nil
}

// recordFreeze copies the freeze state into the manifest.
func (w *Writer) recordFreeze() {
	w.manifest.Frozen = w.frozen.Load()
	w.manifest.FrozenBy = ""
	if r := w.frozenBy.Load(); r != nil && w.manifest.Frozen {
		w.manifest.FrozenBy = *r
	}
}

func (w *Writer) releaseDicts() {
	for _, c := range w.cols {
		switch d := c.(type) {
		case *dictCol:
			d.resetDict()
		case *kindCol:
			d.dict.Release()
		}
	}
}

// Stats returns the running totals. Bytes counts sealed, unpruned
// segments and what the current segment holds on disk so far.
func (w *Writer) Stats() Stats {
	s := w.stats
	s.EventsByKind = make(map[Kind]uint64, len(w.stats.EventsByKind))
	for k, n := range w.stats.EventsByKind {
		s.EventsByKind[k] = n
	}
	for k, n := range w.segByKind {
		if n > 0 && w.seg != nil {
			s.EventsByKind[Kind(k)] += n
		}
	}
	if w.seg != nil {
		s.Bytes += w.seg.pos
	}
	return s
}

// Manifest returns a copy of the manifest as last written or about to be.
func (w *Writer) Manifest() Manifest {
	m := *w.manifest
	m.Segments = append([]SegmentEntry(nil), w.manifest.Segments...)
	return m
}
