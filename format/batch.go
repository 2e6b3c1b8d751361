package format

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// reset points b at a new record batch whose schema checkSchema accepted.
func (b *Batch) reset(segment string, index int, rec arrow.RecordBatch) error {
	b.Segment, b.Index, b.Record = segment, index, rec
	copy(b.cols[:], rec.Columns())
	return b.index()
}

// resetProjected points b at a batch holding some columns, by name.
func (b *Batch) resetProjected(segment string, index int, rec arrow.RecordBatch) error {
	b.Segment, b.Index, b.Record = segment, index, rec
	b.cols = [NumColumns]arrow.Array{}
	for i, col := range rec.Columns() {
		c, ok := columnIndex[rec.ColumnName(i)]
		if !ok {
			return fmt.Errorf("segment %s: batch %d: unknown column %q", segment, index, rec.ColumnName(i))
		}
		b.cols[c] = col
	}
	return b.index()
}

var columnIndex = func() map[string]ColumnID {
	m := make(map[string]ColumnID, NumColumns)
	for c := range Columns {
		m[Columns[c].Name] = ColumnID(c)
	}
	return m
}()

// index prepares the fast ts and kind access.
func (b *Batch) index() error {
	segment, index := b.Segment, b.Index
	kd, ok := b.cols[ColKind].(*array.Dictionary)
	if !ok {
		return fmt.Errorf("segment %s: batch %d: kind column is not a dictionary", segment, index)
	}
	names := kd.Dictionary().(*array.String)
	b.kindByIdx = b.kindByIdx[:0]
	for i := 0; i < names.Len(); i++ {
		k, err := ParseKind(names.Value(i))
		if err != nil {
			k = KindInvalid
		}
		b.kindByIdx = append(b.kindByIdx, k)
	}
	b.kindIdx = kd.Indices().(*array.Int32).Int32Values()
	b.ts = b.cols[ColTs].(*array.Timestamp).TimestampValues()
	return nil
}

// Len is the number of rows.
func (b *Batch) Len() int { return int(b.Record.NumRows()) }

// Ts is row i's event time, ns since the epoch.
func (b *Batch) Ts(i int) int64 { return int64(b.ts[i]) }

// Kind is row i's kind (KindInvalid for a kind this reader does not know).
func (b *Batch) Kind(i int) Kind {
	if b.cols[ColKind].IsNull(i) {
		return KindInvalid
	}
	return b.kindByIdx[b.kindIdx[i]]
}

// Pid is row i's pid (0 when null).
func (b *Batch) Pid(i int) int32 { return b.Int32(ColPid).Value(i) }

// Column returns column c as stored.
func (b *Batch) Column(c ColumnID) arrow.Array { return b.cols[c] }

// IsNull reports whether column c is null in row i (or not loaded).
func (b *Batch) IsNull(c ColumnID, i int) bool { return b.cols[c] == nil || b.cols[c].IsNull(i) }

// The typed accessors below return column c as its Arrow array type, or
// nil when c has another type or was not loaded by a projected scan.

// Int32 returns an int32 column (pid, tid, fd, ...).
func (b *Batch) Int32(c ColumnID) *array.Int32 { a, _ := b.cols[c].(*array.Int32); return a }

// Int64 returns an int64 column (ret, exe_size, op).
func (b *Batch) Int64(c ColumnID) *array.Int64 { a, _ := b.cols[c].(*array.Int64); return a }

// Uint16 returns a uint16 column (cpu, family, ports).
func (b *Batch) Uint16(c ColumnID) *array.Uint16 { a, _ := b.cols[c].(*array.Uint16); return a }

// Uint32 returns a uint32 column (uid, gid, namespaces, modes).
func (b *Batch) Uint32(c ColumnID) *array.Uint32 { a, _ := b.cols[c].(*array.Uint32); return a }

// Uint64 returns a uint64 column (seq, inodes, flags, counters).
func (b *Batch) Uint64(c ColumnID) *array.Uint64 { a, _ := b.cols[c].(*array.Uint64); return a }

// Bool returns a boolean column.
func (b *Batch) Bool(c ColumnID) *array.Boolean { a, _ := b.cols[c].(*array.Boolean); return a }

// Timestamp returns a timestamp column (ts, exe_ctime, start_ts, ...).
func (b *Batch) Timestamp(c ColumnID) *array.Timestamp {
	a, _ := b.cols[c].(*array.Timestamp)
	return a
}

// Dictionary returns a dictionary-encoded string column (comm, exe_path, ...).
func (b *Batch) Dictionary(c ColumnID) *array.Dictionary {
	a, _ := b.cols[c].(*array.Dictionary)
	return a
}

// List returns a list column (argv, env, drops_per_cpu).
func (b *Batch) List(c ColumnID) *array.List { a, _ := b.cols[c].(*array.List); return a }

// String returns row i of a string column, plain or dictionary-encoded;
// "" when null.
func (b *Batch) String(c ColumnID, i int) string {
	col := b.cols[c]
	if col == nil || col.IsNull(i) {
		return ""
	}
	switch a := col.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Dictionary:
		return a.Dictionary().(*array.String).Value(a.GetValueIndex(i))
	}
	panic(fmt.Sprintf("format: column %s is not a string column", Columns[c].Name))
}

// Event decodes row i into ev (reusing its slices). Columns that are null
// in the row leave their field at its zero value; those the row's kind
// has are also added to ev.Null.
func (b *Batch) Event(i int, ev *Event) {
	argv, env, drops, counts := ev.Argv[:0], ev.Env[:0], ev.DropsPerCPU[:0], ev.EventsPerKind[:0]
	*ev = Event{}
	ev.Ts = b.Ts(i)
	ev.Kind = b.Kind(i)
	for c := ColKind + 1; c < NumColumns; c++ {
		col := b.cols[c]
		if col == nil {
			continue // not loaded by a projected scan
		}
		if col.IsNull(i) {
			if Columns[c].Kinds.Has(ev.Kind) && !nullByConvention(c) {
				ev.Null.Add(c)
			}
			continue
		}
		switch a := col.(type) {
		case *array.Int32:
			*fieldAt[int32](ev, c) = a.Value(i)
		case *array.Int64:
			*fieldAt[int64](ev, c) = a.Value(i)
		case *array.Uint16:
			*fieldAt[uint16](ev, c) = a.Value(i)
		case *array.Uint32:
			*fieldAt[uint32](ev, c) = a.Value(i)
		case *array.Uint64:
			*fieldAt[uint64](ev, c) = a.Value(i)
		case *array.Timestamp:
			*fieldAt[int64](ev, c) = int64(a.Value(i))
		case *array.Boolean:
			*fieldAt[bool](ev, c) = a.Value(i)
		case *array.String:
			*fieldAt[string](ev, c) = a.Value(i)
		case *array.Dictionary:
			*fieldAt[string](ev, c) = a.Dictionary().(*array.String).Value(a.GetValueIndex(i))
		case *array.List:
			start, end := a.ValueOffsets(i)
			switch vals := a.ListValues().(type) {
			case *array.String:
				for j := start; j < end; j++ {
					argvOrEnv := &argv
					if c == ColEnv {
						argvOrEnv = &env
					}
					*argvOrEnv = append(*argvOrEnv, vals.Value(int(j)))
				}
			case *array.Uint64:
				drops = append(drops, vals.Uint64Values()[start:end]...)
			}
		case *array.Map:
			start, end := a.ValueOffsets(i)
			keys := a.Keys().(*array.String)
			items := a.Items().(*array.Uint64)
			for j := start; j < end; j++ {
				counts = append(counts, KindCount{Kind: keys.Value(int(j)), Count: items.Value(int(j))})
			}
		}
	}
	if len(argv) > 0 {
		ev.Argv = argv
	}
	if len(env) > 0 {
		ev.Env = env
	}
	if len(drops) > 0 {
		ev.DropsPerCPU = drops
	}
	if len(counts) > 0 {
		ev.EventsPerKind = counts
	}
}

// nullByConvention reports whether a null in column c is how the writer
// stores an empty value (empty string, empty list, zero timestamp), so
// that decoding need not mark it in Event.Null.
func nullByConvention(c ColumnID) bool {
	switch Columns[c].Type.ID() {
	case arrow.STRING, arrow.DICTIONARY, arrow.LIST, arrow.MAP, arrow.TIMESTAMP:
		return true
	}
	return false
}
