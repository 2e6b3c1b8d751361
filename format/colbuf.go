package format

import (
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The writer keeps one plain Go buffer per column and touches only the
// columns of the row's kind; the rows in between are filled with nulls in
// bulk when the column is next written or the batch is built. Buffers are
// handed to Arrow without copying and reused after the batch is written.

// colBuf accumulates one column of the batch being built.
type colBuf interface {
	// add appends ev's value (or null) as row number row, padding the
	// column with nulls up to row first. nulls tells whether ev.Null has
	// any column at all, which saves a lookup per column.
	add(ev *Event, row int, nulls bool)
	// build pads the column with nulls to n rows and returns it as an
	// Arrow array. The array aliases the buffer until reset.
	build(n int) arrow.Array
	// reset empties the buffer for the next batch, keeping its memory.
	reset()
}

// validity tracks which rows of a column are null. Appending a valid
// row only counts it; nulls are kept as ranges (most come in runs: the
// rows of other kinds between two rows of this column's kinds), and the
// Arrow bitmap is written once, when the batch is built.
type validity struct {
	n      int
	nulls  int
	ranges []int32 // pairs: start, end (exclusive)
	bits   []byte
}

func (v *validity) appendValid() { v.n++ }

func (v *validity) appendNulls(k int) {
	if l := len(v.ranges); l > 0 && int(v.ranges[l-1]) == v.n {
		v.ranges[l-1] += int32(k)
	} else {
		v.ranges = append(v.ranges, int32(v.n), int32(v.n+k))
	}
	v.n += k
	v.nulls += k
}

// buffer returns the validity bitmap, or nil when no row is null.
func (v *validity) buffer() *memory.Buffer {
	if v.nulls == 0 {
		return nil
	}
	size := (v.n + 7) / 8
	if cap(v.bits) < size {
		v.bits = make([]byte, size)
	}
	v.bits = v.bits[:size]
	for i := range v.bits {
		v.bits[i] = 0xff
	}
	for r := 0; r < len(v.ranges); r += 2 {
		clearBits(v.bits, int(v.ranges[r]), int(v.ranges[r+1]))
	}
	return memory.NewBufferBytes(v.bits)
}

// clearBits clears bits [from, to) of a bitmap, whole bytes at a time
// in the middle of the range.
func clearBits(bits []byte, from, to int) {
	for from < to && from%8 != 0 {
		bits[from/8] &^= 1 << (from % 8)
		from++
	}
	for ; from+8 <= to; from += 8 {
		bits[from/8] = 0
	}
	for ; from < to; from++ {
		bits[from/8] &^= 1 << (from % 8)
	}
}

func (v *validity) reset() {
	v.n, v.nulls = 0, 0
	v.ranges = v.ranges[:0]
}

// extendZero lengthens s by n zero elements.
func extendZero[T any](s []T, n int) []T {
	l := len(s)
	if cap(s)-l >= n {
		s = s[:l+n]
		clear(s[l:])
		return s
	}
	return append(s, make([]T, n)...)
}

func asBytes[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(zero)))
}

type fixedWidth interface {
	~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~uint64
}

// fixedCol holds an integer or timestamp column.
type fixedCol[T fixedWidth] struct {
	id       ColumnID
	typ      arrow.DataType
	nullZero bool // timestamps other than ts, and the script identity: 0 means unknown or none
	vals     []T
	valid    validity
}

func (c *fixedCol[T]) add(ev *Event, row int, nulls bool) {
	if gap := row - len(c.vals); gap > 0 {
		c.vals = extendZero(c.vals, gap)
		c.valid.appendNulls(gap)
	}
	v := *fieldAt[T](ev, c.id)
	if (c.nullZero && v == 0) || (nulls && ev.Null.Has(c.id)) {
		c.vals = append(c.vals, 0)
		c.valid.appendNulls(1)
		return
	}
	c.vals = append(c.vals, v)
	c.valid.appendValid()
}

func (c *fixedCol[T]) build(n int) arrow.Array {
	if gap := n - len(c.vals); gap > 0 {
		c.vals = extendZero(c.vals, gap)
		c.valid.appendNulls(gap)
	}
	data := array.NewData(c.typ, n, []*memory.Buffer{c.valid.buffer(), memory.NewBufferBytes(asBytes(c.vals))}, nil, c.valid.nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func (c *fixedCol[T]) reset() { c.vals = c.vals[:0]; c.valid.reset() }

// boolCol holds a boolean column; values are bytes until the batch is
// built, then packed into Arrow's bitmap.
type boolCol struct {
	id     ColumnID
	vals   []bool
	valid  validity
	packed []byte
}

func (c *boolCol) add(ev *Event, row int, nulls bool) {
	if gap := row - len(c.vals); gap > 0 {
		c.vals = extendZero(c.vals, gap)
		c.valid.appendNulls(gap)
	}
	if nulls && ev.Null.Has(c.id) {
		c.vals = append(c.vals, false)
		c.valid.appendNulls(1)
		return
	}
	c.vals = append(c.vals, *fieldAt[bool](ev, c.id))
	c.valid.appendValid()
}

func (c *boolCol) build(n int) arrow.Array {
	if gap := n - len(c.vals); gap > 0 {
		c.vals = extendZero(c.vals, gap)
		c.valid.appendNulls(gap)
	}
	c.packed = extendZero(c.packed[:0], (n+7)/8)
	for i, b := range c.vals {
		if b {
			c.packed[i/8] |= 1 << (i % 8)
		}
	}
	data := array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{c.valid.buffer(), memory.NewBufferBytes(c.packed)}, nil, c.valid.nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func (c *boolCol) reset() { c.vals = c.vals[:0]; c.valid.reset() }

// stringCol holds a plain utf8 column; an empty string is stored as null.
type stringCol struct {
	id      ColumnID
	offsets []int32
	data    []byte
	valid   validity
}

func (c *stringCol) pad(row int) {
	if len(c.offsets) == 0 {
		c.offsets = append(c.offsets, 0)
	}
	if gap := row - (len(c.offsets) - 1); gap > 0 {
		end := int32(len(c.data))
		for range gap {
			c.offsets = append(c.offsets, end)
		}
		c.valid.appendNulls(gap)
	}
}

func (c *stringCol) add(ev *Event, row int, nulls bool) {
	c.pad(row)
	s := *fieldAt[string](ev, c.id)
	if s != "" && !(nulls && ev.Null.Has(c.id)) {
		c.data = append(c.data, s...)
		c.valid.appendValid()
	} else {
		c.valid.appendNulls(1)
	}
	c.offsets = append(c.offsets, int32(len(c.data)))
}

func (c *stringCol) build(n int) arrow.Array {
	c.pad(n)
	data := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{c.valid.buffer(), memory.NewBufferBytes(asBytes(c.offsets)), memory.NewBufferBytes(c.data)}, nil, c.valid.nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func (c *stringCol) reset() { c.offsets = c.offsets[:0]; c.data = c.data[:0]; c.valid.reset() }

// dictCol holds a dictionary-encoded string column. The dictionary is
// cumulative for the whole segment (the IPC writer then emits only the
// new entries of each batch as a delta). Entry 0 is always "" so that
// the first dictionary written is never empty: growing an empty
// dictionary would be written as a replacement, which the file format
// forbids.
type dictCol struct {
	idx     fixedCol[int32]
	index   map[string]int32
	offsets []int32
	data    []byte
	// cache is keyed on the string's data pointer: callers that intern
	// their strings (the same comm, exe and path values for every event
	// of a process) skip the map lookup and its hashing.
	cache [dictCacheSize]dictCacheEntry
	dict  arrow.Array // dictionary of the previous batch, reused when unchanged
}

const dictCacheSize = 256

type dictCacheEntry struct {
	ptr *byte
	n   int
	idx int32
}

func newDictCol(id ColumnID) *dictCol {
	c := &dictCol{idx: fixedCol[int32]{id: id, typ: arrow.PrimitiveTypes.Int32}}
	c.resetDict()
	return c
}

func (c *dictCol) resetDict() {
	c.index = map[string]int32{"": 0}
	c.offsets = append(c.offsets[:0], 0, 0)
	c.data = c.data[:0]
	c.cache = [dictCacheSize]dictCacheEntry{}
	if c.dict != nil {
		c.dict.Release()
		c.dict = nil
	}
}

func (c *dictCol) lookup(s string) int32 {
	p := unsafe.StringData(s)
	e := &c.cache[(uintptr(unsafe.Pointer(p))>>4^uintptr(len(s)))%dictCacheSize]
	if e.ptr == p && e.n == len(s) {
		return e.idx
	}
	i, ok := c.index[s]
	if !ok {
		i = int32(len(c.offsets) - 1)
		c.index[strings.Clone(s)] = i // the map outlives the caller's string
		c.data = append(c.data, s...)
		c.offsets = append(c.offsets, int32(len(c.data)))
	}
	// Caching the caller's pointer is safe: the entry keeps that memory
	// alive, and Go strings are immutable, so the pointer and length
	// keep meaning this value. (Strings built over mutable buffers with
	// unsafe would break this; Event's contract is plain Go strings.)
	*e = dictCacheEntry{p, len(s), i}
	return i
}

func (c *dictCol) add(ev *Event, row int, nulls bool) {
	ic := &c.idx
	if gap := row - len(ic.vals); gap > 0 {
		ic.vals = extendZero(ic.vals, gap)
		ic.valid.appendNulls(gap)
	}
	s := *fieldAt[string](ev, ic.id)
	if s == "" || (nulls && ev.Null.Has(ic.id)) {
		ic.vals = append(ic.vals, 0)
		ic.valid.appendNulls(1)
		return
	}
	ic.vals = append(ic.vals, c.lookup(s))
	ic.valid.appendValid()
}

func (c *dictCol) dictionary() arrow.Array {
	n := len(c.offsets) - 1
	if c.dict != nil && c.dict.Len() == n {
		return c.dict
	}
	if c.dict != nil {
		c.dict.Release()
	}
	// Slices of the append-only buffers: later appends never touch the
	// bytes this dictionary covers.
	data := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil, memory.NewBufferBytes(asBytes(c.offsets[:n+1])), memory.NewBufferBytes(c.data[:c.offsets[n]])}, nil, 0, 0)
	defer data.Release()
	c.dict = array.MakeFromData(data)
	return c.dict
}

func (c *dictCol) build(n int) arrow.Array {
	indices := c.idx.build(n)
	defer indices.Release()
	return array.NewDictionaryArray(TypeDictString, indices, c.dictionary())
}

func (c *dictCol) reset() { c.idx.reset() }

// kindCol stores the kind column: a dictionary of the kind names whose
// index is the Kind itself, so that no lookup is needed per row.
type kindCol struct {
	idx  fixedCol[int32]
	dict arrow.Array
}

func newKindCol() *kindCol {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	for k := Kind(0); k < numKinds; k++ {
		b.Append(k.String())
	}
	return &kindCol{idx: fixedCol[int32]{id: ColKind, typ: arrow.PrimitiveTypes.Int32}, dict: b.NewArray()}
}

func (c *kindCol) add(ev *Event, row int, _ bool) {
	c.idx.vals = append(c.idx.vals, int32(ev.Kind))
	c.idx.valid.appendValid()
}

func (c *kindCol) build(n int) arrow.Array {
	indices := c.idx.build(n)
	defer indices.Release()
	return array.NewDictionaryArray(TypeDictString, indices, c.dict)
}

func (c *kindCol) reset() { c.idx.reset() }

// newColBuf returns the buffer for column c.
func newColBuf(c ColumnID) colBuf {
	t := Columns[c].Type
	switch {
	case c == ColKind:
		return newKindCol()
	case c == ColDropsPerCPU || c == ColArgv || c == ColEnv:
		return &listCol{id: c, typ: t, strings: t.(*arrow.ListType).Elem().ID() == arrow.STRING}
	case c == ColEventsPerKind:
		return &kindCountsCol{id: c}
	}
	switch t.ID() {
	case arrow.TIMESTAMP:
		return &fixedCol[int64]{id: c, typ: t, nullZero: c != ColTs}
	case arrow.INT64:
		return &fixedCol[int64]{id: c, typ: t, nullZero: c == ColScriptSize}
	case arrow.INT32:
		return &fixedCol[int32]{id: c, typ: t}
	case arrow.UINT16:
		return &fixedCol[uint16]{id: c, typ: t}
	case arrow.UINT32:
		return &fixedCol[uint32]{id: c, typ: t}
	case arrow.UINT64:
		return &fixedCol[uint64]{id: c, typ: t, nullZero: c == ColScriptDev || c == ColScriptIno}
	case arrow.BOOL:
		return &boolCol{id: c}
	case arrow.STRING:
		return &stringCol{id: c}
	case arrow.DICTIONARY:
		return newDictCol(c)
	}
	panic("format: no column buffer for " + Columns[c].Name)
}

// rowAdder takes the rows of the kinds it serves: a column buffer, or a
// column group.
type rowAdder interface {
	add(ev *Event, row int, nulls bool)
}
