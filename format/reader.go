package format

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// segmentRef is a segment file that Scan reads.
type segmentRef struct {
	name  string
	path  string
	seq   int
	entry *SegmentEntry // nil when the manifest does not list it
	size  int64         // file size when the recording was opened
}

// Open opens a recording directory: reads and checks the manifest, lists
// segments, and tolerates an unfinished last segment.
func Open(dir string) (*Recording, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	r := &Recording{Dir: dir, Manifest: m}
	listed := map[string]*SegmentEntry{}
	for i := range m.Segments {
		listed[m.Segments[i].File] = &m.Segments[i]
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open recording: %w", err)
	}
	present := map[string]bool{}
	for _, de := range entries {
		name := de.Name()
		seq, isSeg := parseSegmentName(name)
		switch {
		case name == ManifestName || name == ManifestName+".tmp":
			continue
		case !isSeg:
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: not part of a recording; ignored", filepath.Join(dir, name)))
			continue
		case !de.Type().IsRegular():
			return nil, fmt.Errorf("open recording: %s is not a regular file", filepath.Join(dir, name))
		}
		present[name] = true
		ref := segmentRef{name: name, path: filepath.Join(dir, name), seq: seq, entry: listed[name]}
		if info, err := de.Info(); err == nil {
			ref.size = info.Size()
		}
		if ref.entry != nil && ref.entry.Pruned {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: marked pruned in the manifest but still present; ignored", name))
			continue
		}
		if ref.entry == nil {
			if name == m.Open {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s: not yet sealed in the manifest (recording in progress or interrupted)", name))
			} else {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s: not listed in the manifest", name))
			}
		}
		if ok, err := hasFooter(ref.path); err != nil {
			return nil, err
		} else if !ok {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: no file footer (the recorder did not finish it); read as a stream up to its last complete batch", name))
		}
		r.segments = append(r.segments, ref)
	}
	for _, e := range m.Segments {
		if !e.Pruned && !present[e.File] {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: listed in the manifest but missing", e.File))
		}
	}
	sort.Slice(r.segments, func(i, j int) bool { return r.segments[i].seq < r.segments[j].seq })
	return r, nil
}

// OpenSegment opens a single segment file as a recording of its own:
// any segment replays alone.
func OpenSegment(path string) (*Recording, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open segment: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("open segment: %s is not a regular file", path)
	}
	r := &Recording{Dir: filepath.Dir(path)}
	seq, _ := parseSegmentName(filepath.Base(path))
	r.segments = []segmentRef{{name: filepath.Base(path), path: path, seq: seq}}
	if ok, err := hasFooter(path); err != nil {
		return nil, err
	} else if !ok {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s: no file footer (the recorder did not finish it); read as a stream up to its last complete batch", filepath.Base(path)))
	}
	return r, nil
}

// Segments returns the file names of the segments Scan reads, in order.
func (r *Recording) Segments() []string {
	out := make([]string, len(r.segments))
	for i, s := range r.segments {
		out[i] = s.name
	}
	return out
}

// hasFooter reports whether a segment ends with the Arrow file trailer.
func hasFooter(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("open segment: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("open segment: %w", err)
	}
	if st.Size() < int64(len(fileMagic))+10 {
		return false, nil
	}
	var tail [6]byte
	if _, err := f.ReadAt(tail[:], st.Size()-6); err != nil {
		return false, fmt.Errorf("read segment %s: %w", path, err)
	}
	return bytes.Equal(tail[:], fileMagic[:6]), nil
}

// Match reports whether row i of b passes the options' row filters.
func (o *ScanOptions) Match(b *Batch, i int) bool {
	if o.Kinds != 0 && !o.Kinds.Has(b.Kind(i)) {
		return false
	}
	if ts := b.Ts(i); ts < o.Since || (o.Until != 0 && ts >= o.Until) {
		return false
	}
	if o.Pids != nil {
		pid := b.Pid(i)
		for _, p := range o.Pids {
			if p == pid {
				return true
			}
		}
		return false
	}
	return true
}

// skip reports whether a sealed segment cannot hold a matching row.
func (o *ScanOptions) skip(e *SegmentEntry) bool {
	if e == nil {
		return false
	}
	if e.Rows == 0 {
		return true
	}
	if e.LastTs < o.Since || (o.Until != 0 && e.FirstTs >= o.Until) {
		return true
	}
	if o.Kinds != 0 {
		for name := range e.RowsByKind {
			if k, err := ParseKind(name); err == nil && o.Kinds.Has(k) {
				return false
			}
		}
		return true
	}
	return false
}

// Scan calls fn for each batch in time order across segments, skipping
// segments outside [Since, Until) using the manifest. Rows inside a
// batch are not filtered; use opts.Match for that.
func (r *Recording) Scan(opts ScanOptions, fn func(*Batch) error) error {
	var b Batch
	var done, total int64
	for i := range r.segments {
		if !opts.skip(r.segments[i].entry) {
			total += r.segments[i].size
		}
	}
	for i := range r.segments {
		seg := &r.segments[i]
		if opts.skip(seg.entry) {
			continue
		}
		var batchRead func(end int64)
		if r.Progress != nil {
			batchRead = func(end int64) {
				r.Progress(ScanProgress{Segment: seg.name, Done: done + min(end, seg.size), Total: total})
			}
		}
		if opts.Columns != nil {
			cols := opts.Columns
			if opts.Pids != nil {
				cols = append(cols[:len(cols):len(cols)], ColPid)
			}
			if err := scanProjectedBatches(seg.path, cols, opts.Batch, fn, batchRead); err != nil {
				return err
			}
		} else {
			_, err := readSegmentWith(seg.path, func(rec arrow.RecordBatch, idx int) error {
				if opts.Batch != nil && !opts.Batch(seg.name, idx) {
					return nil
				}
				if err := b.reset(seg.name, idx, rec); err != nil {
					return err
				}
				return fn(&b)
			}, batchRead)
			if err != nil {
				return err
			}
		}
		if batchRead != nil { // the footer, or what follows a crash
			batchRead(seg.size)
		}
		done += seg.size
	}
	return nil
}

// SegmentReadStats tells how a segment was read.
type SegmentReadStats struct {
	Batches   int
	Rows      int64
	Recovered bool  // no footer: read as a stream
	Tail      error // recovered segments: why reading stopped, nil at a clean end
}

// ReadSegment reads every complete record batch of one segment file. A
// segment with a footer is read as an Arrow file; one without (the
// recorder stopped before finishing it) as a stream after the file magic,
// up to its last complete batch. Records are valid only during fn.
func ReadSegment(path string, fn func(rec arrow.RecordBatch, index int) error) (st SegmentReadStats, err error) {
	return readSegmentWith(path, fn, nil)
}

// readSegmentWith is ReadSegment telling batchRead (when not nil) about
// where each batch ends. A finished segment's footer gives the batch
// count, so a batch is placed at its share of the file; an unfinished
// one is reported only as a whole, by the caller.
func readSegmentWith(path string, fn func(rec arrow.RecordBatch, index int) error, batchRead func(end int64)) (st SegmentReadStats, err error) {
	name := filepath.Base(path)
	inCallback := false
	defer func() {
		// arrow-go checks most malformed input, but not all of it; a
		// hostile file must still end in an error, not a crash. A panic
		// in the caller's fn is the caller's bug and goes on up.
		if p := recover(); p != nil {
			if inCallback {
				panic(p)
			}
			err = fmt.Errorf("segment %s: malformed data: %v", name, p)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return st, fmt.Errorf("open segment: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return st, fmt.Errorf("open segment: %w", err)
	}
	size := info.Size()
	head := make([]byte, len(fileMagic))
	n, _ := io.ReadFull(f, head)
	if !bytes.Equal(head[:n], fileMagic[:n]) {
		return st, fmt.Errorf("segment %s: not an Arrow IPC file (bad magic at byte 0)", name)
	}
	if n < len(fileMagic) {
		// Created but cut before the first message: nothing to read.
		st.Recovered = true
		st.Tail = fmt.Errorf("segment %s: only %d bytes", name, size)
		return st, nil
	}
	footer, err := hasFooter(path)
	if err != nil {
		return st, err
	}
	emit := func(rec arrow.RecordBatch) error {
		version, err := checkSchema(name, rec.Schema())
		if err != nil {
			return err
		}
		if err := validateRecord(rec, false); err != nil {
			return fmt.Errorf("segment %s: batch %d: %w", name, st.Batches, err)
		}
		if version >= GroupsVersion {
			if rec, err = logicalRecord(rec, version); err != nil {
				return fmt.Errorf("segment %s: batch %d: %w", name, st.Batches, err)
			}
			defer rec.Release()
		}
		if version < SchemaVersion {
			rec = upgradeRecord(rec)
			defer rec.Release()
		}
		idx := st.Batches
		st.Batches++
		st.Rows += rec.NumRows()
		inCallback = true
		err = fn(rec, idx)
		inCallback = false // not deferred: a panic must leave it set
		return err
	}
	mem := newBudgetAllocator()
	if footer {
		if err := checkFooter(f, size); err != nil {
			return st, fmt.Errorf("segment %s: %w", name, err)
		}
		fr, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
		if err != nil {
			return st, fmt.Errorf("segment %s: %w", name, err)
		}
		defer fr.Close()
		if _, err := checkSchema(name, fr.Schema()); err != nil {
			return st, err
		}
		for i := 0; i < fr.NumRecords(); i++ {
			rec, err := fr.RecordBatchAt(i)
			if err != nil {
				return st, fmt.Errorf("segment %s: batch %d: %w", name, i, err)
			}
			err = emit(rec)
			rec.Release()
			if err != nil {
				return st, err
			}
			if batchRead != nil {
				batchRead(size * int64(i+1) / int64(fr.NumRecords()))
			}
		}
		return st, nil
	}
	// No footer: read the stream up to its last complete, well-formed
	// message; what follows is the batch the recorder was writing.
	st.Recovered = true
	end, tailErr := checkStream(f, int64(len(fileMagic)), size)
	if tailErr != nil {
		st.Tail = fmt.Errorf("segment %s: %w", name, tailErr)
	}
	if end <= int64(len(fileMagic)) {
		return st, nil
	}
	sr := bufio.NewReaderSize(io.NewSectionReader(f, int64(len(fileMagic)), end-int64(len(fileMagic))), 1<<16)
	rd, err := ipc.NewReader(sr, ipc.WithAllocator(mem))
	if err != nil {
		return st, fmt.Errorf("segment %s: %w", name, err)
	}
	defer rd.Release()
	if _, err := checkSchema(name, rd.Schema()); err != nil {
		return st, err
	}
	for rd.Next() {
		if err := emit(rd.RecordBatch()); err != nil {
			return st, err
		}
	}
	if err := rd.Err(); err != nil {
		return st, fmt.Errorf("segment %s: after batch %d: %w", name, st.Batches, err)
	}
	return st, nil
}

// checkSchema accepts a segment schema of this or an older version and
// returns its version; it refuses newer versions.
func checkSchema(name string, s *arrow.Schema) (int, error) {
	md := s.Metadata()
	i := md.FindKey(MetaSchemaVersion)
	if i < 0 {
		return 0, fmt.Errorf("segment %s: not a rewind segment (no %s in the schema metadata)", name, MetaSchemaVersion)
	}
	v, err := strconv.Atoi(md.Values()[i])
	if err != nil || v < 1 {
		return 0, fmt.Errorf("segment %s: invalid schema version %q", name, md.Values()[i])
	}
	if v > SchemaVersion {
		return 0, fmt.Errorf("segment %s: schema version %d is newer than this reader (%d); upgrade rewind", name, v, SchemaVersion)
	}
	if want := ColumnsInVersion(v); s.NumFields() != want {
		return 0, fmt.Errorf("segment %s: schema version %d has %d columns, want %d", name, v, s.NumFields(), want)
	}
	for c := 0; c < s.NumFields(); c++ {
		f := s.Field(c)
		if want := StorageType(ColumnID(c), v); f.Name != Columns[c].Name || !arrow.TypeEqual(f.Type, want) {
			return 0, fmt.Errorf("segment %s: column %d is %s %s, want %s %s", name, c, f.Name, f.Type, Columns[c].Name, want)
		}
	}
	return v, nil
}

// upgradeRecord returns rec of an older schema version with the current
// schema: the columns it lacks are appended as nulls.
func upgradeRecord(rec arrow.RecordBatch) arrow.RecordBatch {
	rows := int(rec.NumRows())
	cols := make([]arrow.Array, NumColumns)
	copy(cols, rec.Columns())
	for c := int(rec.NumCols()); c < int(NumColumns); c++ {
		cols[c] = array.MakeArrayOfNull(memory.DefaultAllocator, Columns[c].Type, rows)
		defer cols[c].Release()
	}
	return array.NewRecordBatch(currentSchema(), cols, int64(rows))
}

// validateRecord checks the structure of every column so that typed
// access cannot index out of bounds on a malformed file. Dictionaries
// are checked whole unless dictsChecked says the caller already checked
// them when it read them (the projected reader does, once per
// dictionary batch rather than once per record batch).
func validateRecord(rec arrow.RecordBatch, dictsChecked bool) error {
	for c, col := range rec.Columns() {
		name := rec.ColumnName(c)
		if col.Len() != int(rec.NumRows()) {
			return fmt.Errorf("column %s has %d rows, want %d", name, col.Len(), rec.NumRows())
		}
		var err error
		switch col.DataType().ID() {
		case arrow.STRING:
			err = validateString(col.(*array.String))
		case arrow.LIST, arrow.MAP:
			err = array.ValidateFull(col)
		case arrow.DICTIONARY:
			err = validateDictionary(col.(*array.Dictionary), dictsChecked)
		default:
			err = array.Validate(col)
		}
		if err != nil {
			return fmt.Errorf("column %s: %w", name, err)
		}
	}
	return nil
}

// validateString accepts exactly the string arrays array.ValidateFull
// accepts (buffer sizes, null count, non-negative non-decreasing offsets,
// every value valid UTF-8), without slicing out each value: the values
// region is valid UTF-8 as a whole and every offset starts a rune (or
// ends the region), which holds if and only if every value is valid.
func validateString(a *array.String) error {
	if err := array.Validate(a); err != nil {
		return err
	}
	d := a.Data()
	n := a.Len()
	if n == 0 {
		return nil
	}
	nulls := 0
	if v := d.Buffers()[0]; v != nil {
		nulls = n - bitutil.CountSetBits(v.Bytes(), d.Offset(), n)
	}
	if nulls != d.NullN() {
		return fmt.Errorf("null count %d, validity bitmap has %d nulls", d.NullN(), nulls)
	}
	offsets := a.ValueOffsets()[:n+1]
	var values []byte // Validate checked it covers the last offset
	if v := d.Buffers()[2]; v != nil {
		values = v.Bytes()
	}
	if offsets[0] < 0 {
		return fmt.Errorf("string offset at index 0 is negative: %d", offsets[0])
	}
	for i := 1; i < len(offsets); i++ {
		if offsets[i] < offsets[i-1] {
			return fmt.Errorf("string offsets are not monotonically non-decreasing at index %d: %d < %d", i, offsets[i], offsets[i-1])
		}
	}
	start, end := offsets[0], offsets[n]
	region := values[start:end]
	for i, o := range offsets[:n] {
		if o < end && !utf8.RuneStart(values[o]) {
			return fmt.Errorf("string at index %d is not valid utf8", i)
		}
	}
	if !utf8.Valid(region) {
		return fmt.Errorf("string column is not valid utf8")
	}
	return nil
}

func validateDictionary(d *array.Dictionary, dictChecked bool) error {
	if !dictChecked {
		if err := array.ValidateFull(d.Dictionary()); err != nil {
			return err
		}
	}
	idx, ok := d.Indices().(*array.Int32)
	if !ok {
		return errors.New("dictionary indices are not int32")
	}
	if err := array.Validate(idx); err != nil {
		return err
	}
	n := int32(d.Dictionary().Len())
	for i, v := range idx.Int32Values() {
		if (v < 0 || v >= n) && idx.IsValid(i) {
			return fmt.Errorf("row %d: dictionary index %d out of range (%d entries)", i, v, n)
		}
	}
	return nil
}
