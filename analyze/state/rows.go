package state

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/rewind-sh/rewind/format"
)

// Rows is a typed, read-only view of one record batch, indexed by the
// column IDs of format.Columns. Strings it returns point into the batch's
// buffers: they are valid only while the batch is, so anything kept longer
// must be copied (strings.Clone). A Rows is not safe for concurrent use;
// Reset it for each batch.
type Rows struct {
	n    int
	cols [format.NumColumns]column
}

// column holds one Arrow column cast once per batch to its concrete type,
// so that row access is a slice index rather than an interface call.
type column struct {
	arr arrow.Array // nil when the batch lacks the column
	// nulls is the validity bitmap (nil when the column has no nulls) and
	// off the array's offset into it; read inline rather than through
	// the arrow.Array interface on every access.
	nulls []byte
	off   int
	all   bool // every row is null
	ts    []arrow.Timestamp
	i64   []int64
	i32   []int32
	u64   []uint64
	u32   []uint32
	u16   []uint16
	bools *array.Boolean
	str   *array.String
	// dictionary-encoded strings
	dictIdx  []int32
	dictVals *array.String
	// list<string> and list<uint64>
	list     *array.List
	listStr  *array.String
	listU64  []uint64
	listKind bool
}

// Reset points r at rec. Columns are matched by name against
// format.Columns, so a batch with columns in another order, or missing
// some (an older schema version), still reads correctly; a column whose
// type differs from the schema is an error.
func (r *Rows) Reset(rec arrow.RecordBatch) error {
	r.n = int(rec.NumRows())
	for i := range r.cols {
		r.cols[i] = column{}
	}
	schema := rec.Schema()
	for fi, f := range schema.Fields() {
		id, ok := format.ColumnByName(f.Name)
		if !ok {
			continue // a newer writer's extra column: ignore it
		}
		if err := r.cols[id].bind(rec.Column(fi), format.Columns[id].Type); err != nil {
			return fmt.Errorf("column %s: %w", f.Name, err)
		}
	}
	return nil
}

func (c *column) bind(arr arrow.Array, want arrow.DataType) error {
	if !arrow.TypeEqual(arr.DataType(), want) {
		return fmt.Errorf("type %s, want %s", arr.DataType(), want)
	}
	c.arr = arr
	if arr.NullN() > 0 {
		c.nulls = arr.NullBitmapBytes()
		c.off = arr.Data().Offset()
		c.all = arr.NullN() == arr.Len()
	}
	switch a := arr.(type) {
	case *array.Timestamp:
		c.ts = a.TimestampValues()
	case *array.Int64:
		c.i64 = a.Int64Values()
	case *array.Int32:
		c.i32 = a.Int32Values()
	case *array.Uint64:
		c.u64 = a.Uint64Values()
	case *array.Uint32:
		c.u32 = a.Uint32Values()
	case *array.Uint16:
		c.u16 = a.Uint16Values()
	case *array.Boolean:
		c.bools = a
	case *array.String:
		c.str = a
	case *array.Dictionary:
		idx, ok := a.Indices().(*array.Int32)
		if !ok {
			return fmt.Errorf("dictionary indices are %s, want int32", a.Indices().DataType())
		}
		vals, ok := a.Dictionary().(*array.String)
		if !ok {
			return fmt.Errorf("dictionary values are %s, want string", a.Dictionary().DataType())
		}
		c.dictIdx = idx.Int32Values()
		c.dictVals = vals
	case *array.List:
		c.list = a
		c.listKind = true
		switch v := a.ListValues().(type) {
		case *array.String:
			c.listStr = v
		case *array.Uint64:
			c.listU64 = v.Uint64Values()
		default:
			return fmt.Errorf("list values are %s", v.DataType())
		}
	case *array.Map:
		// heartbeat counters: nothing in replay reads them row by row.
	default:
		return fmt.Errorf("unsupported array %T", arr)
	}
	return nil
}

// null reports whether row i is null (or the column is absent).
func (c *column) null(i int) bool {
	if c.arr == nil || c.all {
		return true
	}
	if c.nulls == nil {
		return false
	}
	j := c.off + i
	return c.nulls[j>>3]&(1<<(uint(j)&7)) == 0
}

// Len is the number of rows.
func (r *Rows) Len() int { return r.n }

// Has reports whether row i holds a value (not null) in column c.
func (r *Rows) Has(c format.ColumnID, i int) bool {
	return !r.cols[c].null(i)
}

// Int returns a signed integer or timestamp column's value.
func (r *Rows) Int(c format.ColumnID, i int) (int64, bool) {
	col := &r.cols[c]
	if col.null(i) {
		return 0, false
	}
	switch {
	case col.ts != nil:
		return int64(col.ts[i]), true
	case col.i64 != nil:
		return col.i64[i], true
	case col.i32 != nil:
		return int64(col.i32[i]), true
	case col.u32 != nil:
		return int64(col.u32[i]), true
	case col.u16 != nil:
		return int64(col.u16[i]), true
	case col.u64 != nil:
		return int64(col.u64[i]), true
	}
	return 0, false
}

// Uint returns an unsigned integer column's value.
func (r *Rows) Uint(c format.ColumnID, i int) (uint64, bool) {
	col := &r.cols[c]
	if col.null(i) {
		return 0, false
	}
	switch {
	case col.u64 != nil:
		return col.u64[i], true
	case col.u32 != nil:
		return uint64(col.u32[i]), true
	case col.u16 != nil:
		return uint64(col.u16[i]), true
	case col.i64 != nil:
		return uint64(col.i64[i]), true
	case col.i32 != nil:
		return uint64(col.i32[i]), true
	}
	return 0, false
}

// Bool returns a boolean column's value.
func (r *Rows) Bool(c format.ColumnID, i int) (bool, bool) {
	col := &r.cols[c]
	if col.bools == nil || col.null(i) {
		return false, false
	}
	return col.bools.Value(i), true
}

// Str returns a string or dictionary-string column's value. The string
// aliases the batch's memory.
func (r *Rows) Str(c format.ColumnID, i int) (string, bool) {
	col := &r.cols[c]
	if col.null(i) {
		return "", false
	}
	if col.str != nil {
		return col.str.Value(i), true
	}
	if col.dictVals != nil {
		return col.dictVals.Value(int(col.dictIdx[i])), true
	}
	return "", false
}

// DictIndex returns the dictionary index of row i in a dictionary column,
// and the dictionary's size; callers that map values once per batch (the
// engine's evt.type index) use it to avoid comparing strings per row.
func (r *Rows) DictIndex(c format.ColumnID, i int) (int, bool) {
	col := &r.cols[c]
	if col.dictVals == nil || col.null(i) {
		return 0, false
	}
	return int(col.dictIdx[i]), true
}

// Dict returns the dictionary values of a dictionary column (nil when the
// column is absent or not dictionary-encoded).
func (r *Rows) Dict(c format.ColumnID) *array.String { return r.cols[c].dictVals }

// Strings returns a list<string> column's elements for row i, appended to
// dst; each element is copied, so the result outlives the batch.
func (r *Rows) Strings(c format.ColumnID, i int, dst []string) []string {
	col := &r.cols[c]
	if col.listStr == nil || col.null(i) {
		return dst
	}
	start, end := col.list.ValueOffsets(i)
	if start >= end {
		return dst
	}
	// One copy of all the values' bytes, which the strings share: a
	// process keeps its argv or env whole, and an exec with fifty
	// variables then costs two allocations instead of fifty-one.
	n := 0
	for j := start; j < end; j++ {
		n += col.listStr.ValueLen(int(j))
	}
	buf := make([]byte, 0, n)
	for j := start; j < end; j++ {
		buf = append(buf, col.listStr.Value(int(j))...)
	}
	data := unsafe.String(unsafe.SliceData(buf), len(buf))
	if dst == nil {
		dst = make([]string, 0, end-start)
	}
	at := 0
	for j := start; j < end; j++ {
		l := col.listStr.ValueLen(int(j))
		dst = append(dst, data[at:at+l])
		at += l
	}
	return dst
}
