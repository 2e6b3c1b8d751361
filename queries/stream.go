//go:build duckdb_arrow

package queries

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/rewind-sh/rewind/format"
)

// errScanCanceled stops a Scan whose reader was released early (a LIMIT,
// an error, a replaced view).
var errScanCanceled = errors.New("scan canceled")

// sqlSchema is the Arrow schema DuckDB sees: format.Columns with
// timestamps relabelled from timestamp[ns, UTC] to timestamp[ns]. DuckDB
// maps a zoned Arrow timestamp to its microsecond TIMESTAMPTZ and would
// drop the nanoseconds; an unzoned one becomes TIMESTAMP_NS, exact. The
// values are UTC either way. Field metadata (the column docs) is left
// out: DuckDB has no use for it.
var sqlSchema = func() *arrow.Schema {
	src := format.Schema()
	fields := make([]arrow.Field, src.NumFields())
	for i, f := range src.Fields() {
		f.Type = sqlType(f.Type)
		f.Metadata = arrow.Metadata{}
		fields[i] = f
	}
	return arrow.NewSchema(fields, nil)
}()

// sourceSchema is sqlSchema with every column named "<source>:<column>",
// so that DuckDB's plan tells which source a scan reads (see
// Runner.planScans).
func sourceSchema(source string) *arrow.Schema {
	fields := make([]arrow.Field, sqlSchema.NumFields())
	for i, f := range sqlSchema.Fields() {
		f.Name = source + ":" + f.Name
		fields[i] = f
	}
	return arrow.NewSchema(fields, nil)
}

// emptyDictionary replaces empty dictionaries (see conform).
var emptyDictionary = func() arrow.Array {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.Append("")
	return b.NewArray()
}()

func sqlType(t arrow.DataType) arrow.DataType {
	if ts, ok := t.(*arrow.TimestampType); ok && ts.TimeZone != "" {
		return &arrow.TimestampType{Unit: ts.Unit}
	}
	return t
}

// scanReader is an array.RecordReader that runs one pass of
// Recording.Scan in a goroutine and hands its batches over one at a time,
// so DuckDB reads a recording of any size in bounded memory.
//
// DuckDB's Arrow stream scan expects the stream to apply the projection
// it pushes down, but cannot tell it which: project, found in the
// statement's plan beforehand, lists the columns DuckDB will read, in
// its order, and only those are handed over. Rows of kinds the view
// does not want are dropped here when they are most of a batch, before
// DuckDB converts them; the view filters rows by kind itself as well.
//
// A scanReader is single-pass: DuckDB copies a registered stream by value
// for each scan of a view, so a second scan would silently see an empty
// or partial stream; a call to Next after the end is therefore an error
// naming the view. Next, RecordBatch and Err are called by one DuckDB
// scan at a time; Retain and Release are safe for concurrent use.
type scanReader struct {
	view    string
	src     Source
	opts    format.ScanOptions
	schema  *arrow.Schema
	project []int // indices into sqlSchema; nil: every column
	kinds   format.KindSet
	hint    *rowHint

	refs    atomic.Int64
	started bool
	ended   bool
	batches chan arrow.RecordBatch
	scanErr chan error
	cancel  chan struct{}
	stop    sync.Once
	cur     arrow.RecordBatch
	err     error

	// mapping caches, for the last batch schema seen, the source column
	// of each sqlSchema field (-1: absent, filled with nulls). Batches of
	// a segment share a schema, and a projected scan makes an equal one
	// per batch.
	mapSchema *arrow.Schema
	mapping   []int
	outSch    *arrow.Schema
}

// rowHint narrows the rows a statement can use, known before it runs
// (the pids of a process subtree, a time window). Rows outside it are
// dropped in the stream; the statement must select them away itself
// too, so a hint only saves work, it never changes an answer.
type rowHint struct {
	pids         map[int32]bool // nil: any pid
	since, until int64          // ns; 0: unbounded
	// batch, when not nil, picks the batches that can hold such rows
	// (format.ScanOptions.Batch); the others are not read.
	batch func(segment string, index int) bool
}

func newScanReader(view string, src Source, opts format.ScanOptions, schema *arrow.Schema, project []int, hint *rowHint) *scanReader {
	if hint != nil {
		opts.Since, opts.Until, opts.Batch = hint.since, hint.until, hint.batch
	}
	if project != nil {
		// The recording decodes only these columns (and ts and kind).
		opts.Columns = make([]format.ColumnID, len(project))
		for i, c := range project {
			opts.Columns[i] = format.ColumnID(c)
		}
	}
	r := &scanReader{
		view:    view,
		src:     src,
		opts:    opts,
		schema:  schema,
		project: project,
		kinds:   opts.Kinds,
		hint:    hint,
		batches: make(chan arrow.RecordBatch, 1),
		scanErr: make(chan error, 1),
		cancel:  make(chan struct{}),
	}
	if project == nil {
		r.project = make([]int, sqlSchema.NumFields())
		for i := range r.project {
			r.project[i] = i
		}
	}
	fields := make([]arrow.Field, len(r.project))
	for i, c := range r.project {
		fields[i] = sqlSchema.Field(c)
	}
	r.outSch = arrow.NewSchema(fields, nil)
	r.refs.Store(1)
	return r
}

func (r *scanReader) Schema() *arrow.Schema { return r.schema }

func (r *scanReader) Retain() { r.refs.Add(1) }

func (r *scanReader) Release() {
	if r.refs.Add(-1) != 0 {
		return
	}
	r.stop.Do(func() { close(r.cancel) })
	if r.started {
		// Drain so the scanning goroutine sees the cancel and finishes
		// before the recording is closed.
		for b := range r.batches {
			b.Release()
		}
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

func (r *scanReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil {
		return false
	}
	if r.ended {
		r.err = fmt.Errorf("view %s: scanned more than once in one statement; "+
			"read it once, e.g. WITH x AS MATERIALIZED (SELECT ... FROM %s)", r.view, r.view)
		return false
	}
	if !r.started {
		r.started = true
		go r.scan()
	}
	b, ok := <-r.batches
	if !ok {
		r.ended = true
		if err := <-r.scanErr; err != nil {
			r.err = fmt.Errorf("view %s: %w", r.view, err)
		}
		return false
	}
	r.cur = b
	return true
}

func (r *scanReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is the pre-v18.1 name of RecordBatch, still in the interface.
func (r *scanReader) Record() arrow.RecordBatch { return r.cur }

func (r *scanReader) Err() error { return r.err }

func (r *scanReader) scan() {
	defer close(r.batches)
	err := r.src.Scan(r.opts, func(b *format.Batch) error {
		out, err := r.conform(b)
		if err != nil {
			return err
		}
		if out == nil {
			return nil
		}
		select {
		case r.batches <- out:
			return nil
		case <-r.cancel:
			out.Release()
			return errScanCanceled
		}
	})
	if errors.Is(err, errScanCanceled) {
		err = nil
	}
	r.scanErr <- err
}

// conform returns b's record shaped for DuckDB: the projected columns
// found by name (so a segment written with an older, smaller schema
// still reads, its missing columns as nulls), timestamps relabelled,
// rows of other kinds dropped when they are most of the batch. It
// returns nil for a batch with no row of the wanted kinds. Arrays are
// shared, not copied, unless rows are dropped.
func (r *scanReader) conform(b *format.Batch) (arrow.RecordBatch, error) {
	rec := b.Record
	src := rec.Schema()
	idx := r.mapping
	if r.mapSchema == nil || (r.mapSchema != src && !r.mapSchema.Equal(src)) {
		idx = make([]int, sqlSchema.NumFields())
		for i, f := range sqlSchema.Fields() {
			idx[i] = -1
			if j := src.FieldIndices(f.Name); len(j) > 0 {
				got := src.Field(j[0]).Type
				if !arrow.TypeEqual(sqlType(got), f.Type) {
					return nil, fmt.Errorf("segment %s batch %d: column %s has type %s, want %s",
						b.Segment, b.Index, f.Name, got, format.Columns[i].Type)
				}
				idx[i] = j[0]
			}
		}
		r.mapSchema, r.mapping = src, idx
	}
	rows, err := r.selectRows(rec, idx)
	if err != nil {
		return nil, fmt.Errorf("segment %s batch %d: %w", b.Segment, b.Index, err)
	}
	if rows != nil && len(rows) == 0 {
		return nil, nil
	}
	n := rec.NumRows()
	cols := make([]arrow.Array, len(r.project))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range r.project {
		want := sqlSchema.Field(c).Type
		j := idx[c]
		if j < 0 {
			cols[i] = array.MakeArrayOfNull(memory.DefaultAllocator, want, int(n))
			continue
		}
		col := rec.Column(j)
		if d, ok := col.(*array.Dictionary); ok {
			// Hold our own reference to the dictionary: the segment
			// reader drops its dictionaries when it moves on.
			dict := d.Dictionary()
			if dict.Len() == 0 {
				// A column null in every row so far has an empty
				// dictionary, exported without an offsets buffer, which
				// DuckDB dereferences; give it a one-entry dictionary
				// (every index is null, so the entry is never read).
				dict = emptyDictionary
			}
			cols[i] = array.NewDictionaryArray(want, d.Indices(), dict)
			continue
		}
		if arrow.TypeEqual(col.DataType(), want) {
			col.Retain()
			cols[i] = col
			continue
		}
		d := col.Data()
		relabelled := array.NewData(want, d.Len(), d.Buffers(), d.Children(), d.NullN(), d.Offset())
		cols[i] = array.MakeFromData(relabelled)
		relabelled.Release()
	}
	if rows == nil || len(rows)*2 > int(n) {
		// Few rows to drop: DuckDB's own filter is cheaper than a copy.
		return array.NewRecordBatch(r.outSch, cols, n), nil
	}
	taken := make([]arrow.Array, len(cols))
	defer func() {
		for _, c := range taken {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range cols {
		t, err := takeRows(c, rows)
		if err != nil {
			// An unexpected type: hand the batch over whole.
			return array.NewRecordBatch(r.outSch, cols, n), nil
		}
		taken[i] = t
	}
	return array.NewRecordBatch(r.outSch, taken, int64(len(rows))), nil
}

// selectRows returns the rows of rec of the wanted kinds and within the
// hint; nil when every row is wanted.
func (r *scanReader) selectRows(rec arrow.RecordBatch, idx []int) ([]int, error) {
	rows, err := r.kindRows(rec, idx)
	if err != nil || r.hint == nil {
		return rows, err
	}
	var pids *array.Int32
	if r.hint.pids != nil && idx[format.ColPid] >= 0 {
		if pids, _ = rec.Column(idx[format.ColPid]).(*array.Int32); pids == nil {
			return nil, fmt.Errorf("column pid is not int32")
		}
	}
	var ts *array.Timestamp
	if (r.hint.since != 0 || r.hint.until != 0) && idx[format.ColTs] >= 0 {
		if ts, _ = rec.Column(idx[format.ColTs]).(*array.Timestamp); ts == nil {
			return nil, fmt.Errorf("column ts is not a timestamp")
		}
	}
	keep := func(i int) bool {
		if pids != nil && (pids.IsNull(i) || !r.hint.pids[pids.Value(i)]) {
			return false
		}
		if ts != nil {
			t := int64(ts.Value(i))
			if r.hint.since != 0 && t < r.hint.since || r.hint.until != 0 && t >= r.hint.until {
				return false
			}
		}
		return true
	}
	out := make([]int, 0, 64)
	if rows == nil {
		for i := 0; i < int(rec.NumRows()); i++ {
			if keep(i) {
				out = append(out, i)
			}
		}
		return out, nil
	}
	for _, i := range rows {
		if keep(i) {
			out = append(out, i)
		}
	}
	return out, nil
}

// kindRows returns the rows of rec whose kind is one of r.kinds; nil
// when every kind is wanted.
func (r *scanReader) kindRows(rec arrow.RecordBatch, idx []int) ([]int, error) {
	if r.kinds == 0 || idx[format.ColKind] < 0 {
		return nil, nil
	}
	col, ok := rec.Column(idx[format.ColKind]).(*array.Dictionary)
	if !ok {
		return nil, fmt.Errorf("column kind is not dictionary-encoded")
	}
	dict, ok := col.Dictionary().(*array.String)
	if !ok {
		return nil, fmt.Errorf("column kind does not hold strings")
	}
	wanted := make([]bool, dict.Len())
	for i := range wanted {
		if k, err := format.ParseKind(dict.Value(i)); err == nil && r.kinds.Has(k) {
			wanted[i] = true
		}
	}
	rows := make([]int, 0, col.Len())
	for i := 0; i < col.Len(); i++ {
		if col.IsValid(i) && wanted[col.GetValueIndex(i)] {
			rows = append(rows, i)
		}
	}
	return rows, nil
}
