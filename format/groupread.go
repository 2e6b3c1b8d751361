package format

import (
	"fmt"
	stdbits "math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The reader side of Groups: a member column as stored (a dictionary
// whose index the group's members share) becomes its logical type, so
// that callers see the same columns whatever the segment's version.

// rowValidity remembers, within one batch, the row validity computed for
// group members, so that members whose dictionaries hold nulls at the
// same entries (path, dev and ino; saddr, daddr and dport) share one
// bitmap instead of each walking every row. The zero value is ready; it
// is used for one batch only, since it keys on the index buffer's
// address.
type rowValidity struct {
	seen []validityOf
}

type validityOf struct {
	ix        *int32 // first index of the rows
	idxValid  *byte  // first byte of the indices' validity, nil if none
	n         int
	idxOff    int
	dictValid []byte // the dictionary's validity bits (offset 0)
	dictLen   int
	valid     *memory.Buffer
	nulls     int
}

// of returns combinedValidity(idx, dict), computed once per distinct
// index array and dictionary null pattern.
func (rv *rowValidity) of(idx *array.Int32, dict arrow.Array) (*memory.Buffer, int, error) {
	ix := idx.Int32Values()
	if rv == nil || len(ix) == 0 || dict.Data().Offset() != 0 {
		return combinedValidity(idx, dict)
	}
	key := validityOf{ix: &ix[0], n: len(ix), idxOff: idx.Data().Offset(), dictLen: dict.Len()}
	if idx.NullN() > 0 {
		if b := idx.NullBitmapBytes(); len(b) > 0 {
			key.idxValid = &b[0]
		}
	}
	if dict.NullN() > 0 {
		key.dictValid = dict.NullBitmapBytes()[:bitutil.BytesForBits(int64(dict.Len()))]
	}
	for _, v := range rv.seen {
		if v.ix == key.ix && v.idxValid == key.idxValid && v.n == key.n && v.idxOff == key.idxOff && v.dictLen == key.dictLen &&
			(v.dictValid == nil) == (key.dictValid == nil) && sameBits(v.dictValid, key.dictValid, key.dictLen) {
			return v.valid, v.nulls, nil
		}
	}
	valid, nulls, err := combinedValidity(idx, dict)
	if err != nil {
		return nil, 0, err
	}
	key.valid, key.nulls = valid, nulls
	rv.seen = append(rv.seen, key)
	return valid, nulls, nil
}

// sameBits reports whether the first n bits of a and b are equal.
func sameBits(a, b []byte, n int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	full := n / 8
	if string(a[:full]) != string(b[:full]) {
		return false
	}
	if r := n % 8; r != 0 {
		mask := byte(1)<<r - 1
		return a[full]&mask == b[full]&mask
	}
	return true
}

// logicalColumn returns group member c, stored as dictionary a, with its
// logical type. A row is null when its index is null or points at a null
// value. An index out of the dictionary's range is an error. rv, if not
// nil, shares row validity between the members of one batch. as, for a
// member stored as SameAs, is the dictionary of its As member, whose
// values fill the entries stored as null; fill, if not nil, keeps the
// filled dictionary from batch to batch of one segment.
func logicalColumn(c ColumnID, a arrow.Array, rv *rowValidity, as arrow.Array, fill *sameFiller) (arrow.Array, error) {
	d, ok := a.(*array.Dictionary)
	if !ok {
		return nil, fmt.Errorf("column %s is %s, want a dictionary", Columns[c].Name, a.DataType())
	}
	idx, ok := d.Indices().(*array.Int32)
	if !ok {
		return nil, fmt.Errorf("column %s: dictionary indices are %s, want int32", Columns[c].Name, d.Indices().DataType())
	}
	dict := d.Dictionary()
	if as != nil {
		if fill == nil {
			fill = &sameFiller{}
		}
		merged, err := fill.fill(dict, as)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", Columns[c].Name, err)
		}
		dict = merged
		a = array.NewDictionaryArray(d.DataType().(*arrow.DictionaryType), idx, dict)
		defer a.Release()
	}
	valid, nulls, err := rv.of(idx, dict)
	if err != nil {
		return nil, fmt.Errorf("column %s: %w", Columns[c].Name, err)
	}
	n := idx.Len()
	ix := idx.Int32Values()
	typ := Columns[c].Type
	switch typ.ID() {
	case arrow.DICTIONARY:
		// Stays a dictionary, with the nulls of its values as row nulls.
		if _, ok := dict.(*array.String); !ok {
			return nil, fmt.Errorf("column %s: dictionary of %s, want strings", Columns[c].Name, dict.DataType())
		}
		if nulls == idx.NullN() {
			a.Retain()
			return a, nil
		}
		data := array.NewData(arrow.PrimitiveTypes.Int32, n, []*memory.Buffer{valid, idx.Data().Buffers()[1]}, nil, nulls, idx.Data().Offset())
		if idx.Data().Offset() != 0 { // the validity is built from row 0
			data.Release()
			vals := make([]int32, n)
			copy(vals, ix)
			data = array.NewData(arrow.PrimitiveTypes.Int32, n, []*memory.Buffer{valid, memory.NewBufferBytes(asBytes(vals))}, nil, nulls, 0)
		}
		indices := array.MakeFromData(data)
		data.Release()
		defer indices.Release()
		return array.NewDictionaryArray(TypeDictString, indices, dict), nil
	case arrow.STRING:
		s, ok := dict.(*array.String)
		if !ok {
			return nil, fmt.Errorf("column %s: dictionary of %s, want strings", Columns[c].Name, dict.DataType())
		}
		offsets := make([]int32, n+1)
		vb := valid.Bytes()
		total := 0
		for i := 0; i < n; i++ {
			if bitutil.BitIsSet(vb, i) {
				total += s.ValueLen(int(ix[i]))
			}
		}
		bytes := make([]byte, 0, total)
		for i := 0; i < n; i++ {
			if bitutil.BitIsSet(vb, i) {
				bytes = append(bytes, s.Value(int(ix[i]))...)
			}
			offsets[i+1] = int32(len(bytes))
		}
		data := array.NewData(typ, n, []*memory.Buffer{valid, memory.NewBufferBytes(asBytes(offsets)), memory.NewBufferBytes(bytes)}, nil, nulls, 0)
		defer data.Release()
		return array.MakeFromData(data), nil
	case arrow.UINT16:
		return takeFixed[uint16](c, ix, dict, valid, nulls)
	case arrow.UINT32:
		return takeFixed[uint32](c, ix, dict, valid, nulls)
	case arrow.INT32:
		return takeFixed[int32](c, ix, dict, valid, nulls)
	case arrow.UINT64:
		return takeFixed[uint64](c, ix, dict, valid, nulls)
	case arrow.INT64:
		return takeFixed[int64](c, ix, dict, valid, nulls)
	}
	return nil, fmt.Errorf("column %s: no group storage for %s", Columns[c].Name, typ)
}

// sameFiller keeps a SameAs member's dictionary with its As values put
// back. A segment's dictionaries only grow, so each call fills only the
// entries added since the last, not the whole dictionary per batch; one
// filler serves one segment.
type sameFiller struct {
	vals *dictValues
}

// fill returns dict filled from as; the array belongs to the filler.
func (f *sameFiller) fill(dict, as arrow.Array) (arrow.Array, error) {
	if f.vals == nil || dict.Len() < f.vals.n {
		f.vals = newDictValues(arrow.BinaryTypes.String)
	}
	if from, n := f.vals.n, dict.Len(); n > from || f.vals.n == 0 {
		if as.Len() != n {
			return nil, fmt.Errorf("stored as same as another column: dictionary of %d entries, the other's %d", n, as.Len())
		}
		d, a := array.NewSlice(dict, int64(from), int64(n)), array.NewSlice(as, int64(from), int64(n))
		part, err := fillSame(d, a)
		d.Release()
		a.Release()
		if err != nil {
			return nil, err
		}
		f.vals.add(part)
		part.Release()
	}
	return f.vals.array(), nil
}

// fillSame returns dict with each null entry replaced by the same entry
// of as (both string dictionaries of one group, so of equal length).
func fillSame(dict, as arrow.Array) (arrow.Array, error) {
	d, ok1 := dict.(*array.String)
	a, ok2 := as.(*array.String)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("stored as same as another column: dictionaries of %s and %s, want strings", dict.DataType(), as.DataType())
	}
	if d.Len() != a.Len() {
		return nil, fmt.Errorf("stored as same as another column: dictionary of %d entries, the other's %d", d.Len(), a.Len())
	}
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.Reserve(d.Len())
	total := 0
	for k := 0; k < d.Len(); k++ {
		switch {
		case d.IsValid(k):
			total += d.ValueLen(k)
		case a.IsValid(k):
			total += a.ValueLen(k)
		}
	}
	b.ReserveData(total)
	for k := 0; k < d.Len(); k++ {
		switch {
		case d.IsValid(k):
			b.Append(d.Value(k))
		case a.IsValid(k):
			b.Append(a.Value(k))
		default:
			b.AppendNull()
		}
	}
	return b.NewArray(), nil
}

// combinedValidity is the validity bitmap of rows whose index is valid,
// in range, and points at a valid value, and how many rows are null. It
// reads the bitmaps directly: it runs for every member of every batch.
func combinedValidity(idx *array.Int32, dict arrow.Array) (*memory.Buffer, int, error) {
	n := idx.Len()
	bits := make([]byte, bitutil.BytesForBits(int64(n)))
	ix := idx.Int32Values()
	size := uint32(dict.Len())
	var idxValid, dictValid []byte
	idxOff, dictOff := idx.Data().Offset(), dict.Data().Offset()
	if idx.NullN() > 0 {
		idxValid = idx.NullBitmapBytes()
	}
	if dict.NullN() > 0 {
		dictValid = dict.NullBitmapBytes()
	}
	if dictValid != nil && dictOff == 0 && idxOff%8 == 0 && inRange(ix, size) {
		return validityByEntry(ix, dictValid, idxValid, idxOff, bits)
	}
	set := 0
	for i, v := range ix {
		if idxValid != nil && !bitutil.BitIsSet(idxValid, idxOff+i) {
			continue
		}
		if uint32(v) >= size {
			return nil, 0, fmt.Errorf("row %d: dictionary index %d out of range (%d entries)", i, v, size)
		}
		if dictValid != nil && !bitutil.BitIsSet(dictValid, dictOff+int(v)) {
			continue
		}
		bits[i>>3] |= 1 << (i & 7)
		set++
	}
	return memory.NewBufferBytes(bits), n - set, nil
}

// inRange reports whether every index, null rows' included, is below
// size, so that the rows can be read without checking each.
func inRange(ix []int32, size uint32) bool {
	var largest uint32
	for _, v := range ix {
		largest = max(largest, uint32(v))
	}
	return len(ix) == 0 || largest < size
}

// validityByEntry is combinedValidity when every index is in range: each
// row's bit is its entry's bit, and'ed with the index's own validity (if
// any, starting at a byte boundary), eight rows at a time without
// branches.
func validityByEntry(ix []int32, dictValid, idxValid []byte, idxOff int, bits []byte) (*memory.Buffer, int, error) {
	set := 0
	i := 0
	for ; i+8 <= len(ix); i += 8 {
		var b byte
		for j, v := range ix[i : i+8] {
			b |= (dictValid[v>>3] >> (v & 7) & 1) << j
		}
		if idxValid != nil {
			b &= idxValid[(idxOff+i)>>3]
		}
		bits[i>>3] = b
		set += stdbits.OnesCount8(b)
	}
	for ; i < len(ix); i++ {
		v := ix[i]
		if dictValid[v>>3]>>(v&7)&1 != 0 && (idxValid == nil || bitutil.BitIsSet(idxValid, idxOff+i)) {
			bits[i>>3] |= 1 << (i & 7)
			set++
		}
	}
	return memory.NewBufferBytes(bits), len(ix) - set, nil
}

func takeFixed[T fixedWidth](c ColumnID, ix []int32, dict arrow.Array, valid *memory.Buffer, nulls int) (arrow.Array, error) {
	d := dict.Data()
	if d.DataType().ID() != Columns[c].Type.ID() {
		return nil, fmt.Errorf("column %s: dictionary of %s, want %s", Columns[c].Name, dict.DataType(), Columns[c].Type)
	}
	vals := arrow.GetData[T](d.Buffers()[1].Bytes())[d.Offset() : d.Offset()+d.Len()]
	out := make([]T, len(ix))
	// Every valid row's index is in range (combinedValidity); a null
	// row's value is undefined, so any in-range entry will do.
	size := uint32(len(vals))
	for i, v := range ix {
		if uint32(v) < size {
			out[i] = vals[v]
		}
	}
	data := array.NewData(Columns[c].Type, len(ix), []*memory.Buffer{valid, memory.NewBufferBytes(asBytes(out))}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

// logicalRecord returns rec, a batch of schema version GroupsVersion or
// later with every column loaded, with the group members in their
// logical types, the delta columns' values (from DeltaVersion on) and
// the logical schema.
func logicalRecord(rec arrow.RecordBatch, version int) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, rec.NumCols())
	copy(cols, rec.Columns())
	var made []arrow.Array
	defer func() {
		for _, a := range made {
			a.Release()
		}
	}()
	if version >= DeltaVersion && len(cols) > int(ColSeq) {
		for _, d := range DeltaColumns {
			c := d.Col
			a, err := undelta(c, cols[c], cols[ColCPU])
			if err != nil {
				return nil, err
			}
			made = append(made, a)
			cols[c] = a
		}
	}
	var rv rowValidity
	for c := range cols {
		if c >= int(NumColumns) || groupOf[c] < 0 {
			continue
		}
		var as arrow.Array
		if asCol, ok := sameAsOf(ColumnID(c), version); ok && int(asCol) < len(cols) {
			d, ok := rec.Column(int(asCol)).(*array.Dictionary)
			if !ok {
				return nil, fmt.Errorf("column %s is %s, want a dictionary", Columns[asCol].Name, rec.Column(int(asCol)).DataType())
			}
			as = d.Dictionary()
		}
		a, err := logicalColumn(ColumnID(c), cols[c], &rv, as, nil)
		if err != nil {
			return nil, err
		}
		made = append(made, a)
		cols[c] = a
	}
	if len(cols) == int(NumColumns) {
		return array.NewRecordBatch(currentSchema(), cols, rec.NumRows()), nil
	}
	fields := make([]arrow.Field, len(cols))
	for c := range cols {
		fields[c] = rec.Schema().Field(c)
		fields[c].Type = cols[c].DataType()
	}
	md := rec.Schema().Metadata()
	return array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, rec.NumRows()), nil
}
