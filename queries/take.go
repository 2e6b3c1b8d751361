//go:build duckdb_arrow

package queries

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// takeRows returns a new array holding the rows of arr at idx, in that
// order, for the types the recording schema uses. It is how a stream
// drops rows of kinds a view does not want before DuckDB converts them
// (arrow's compute module would do it too, at the cost of a heavier
// dependency tree). Unknown types return an error; the caller then
// hands the batch over whole.
func takeRows(arr arrow.Array, idx []int) (arrow.Array, error) {
	mem := memory.DefaultAllocator
	switch a := arr.(type) {
	case *array.Dictionary:
		ind, err := takeRows(a.Indices(), idx)
		if err != nil {
			return nil, err
		}
		defer ind.Release()
		return array.NewDictionaryArray(a.DataType(), ind, a.Dictionary()), nil
	case *array.String:
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for _, i := range idx {
			if a.IsNull(i) {
				b.AppendNull()
			} else {
				b.Append(a.Value(i))
			}
		}
		return b.NewArray(), nil
	case *array.Boolean:
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		for _, i := range idx {
			if a.IsNull(i) {
				b.AppendNull()
			} else {
				b.Append(a.Value(i))
			}
		}
		return b.NewArray(), nil
	case *array.List, *array.Map:
		b := array.NewBuilder(mem, arr.DataType())
		defer b.Release()
		if err := appendRows(b, arr, idx); err != nil {
			return nil, err
		}
		return b.NewArray(), nil
	}
	if fw, ok := arr.DataType().(arrow.FixedWidthDataType); ok && fw.BitWidth()%8 == 0 && len(arr.Data().Buffers()) == 2 {
		return takeFixed(arr, fw.BitWidth()/8, idx), nil
	}
	return nil, fmt.Errorf("take rows: unsupported type %s", arr.DataType())
}

// takeFixed copies the selected values of a fixed-width array byte-wise.
func takeFixed(arr arrow.Array, width int, idx []int) arrow.Array {
	d := arr.Data()
	src := d.Buffers()[1].Bytes()
	off := d.Offset()
	values := memory.NewResizableBuffer(memory.DefaultAllocator)
	values.Resize(len(idx) * width)
	dst := values.Bytes()
	var validity *memory.Buffer
	nulls := 0
	if arr.NullN() > 0 {
		validity = memory.NewResizableBuffer(memory.DefaultAllocator)
		validity.Resize(int(bitutil.BytesForBits(int64(len(idx)))))
		bits := validity.Bytes()
		for i := range bits {
			bits[i] = 0
		}
		for j, i := range idx {
			if arr.IsValid(i) {
				bitutil.SetBit(bits, j)
			} else {
				nulls++
			}
		}
	}
	for j, i := range idx {
		copy(dst[j*width:(j+1)*width], src[(off+i)*width:(off+i+1)*width])
	}
	data := array.NewData(arr.DataType(), len(idx), []*memory.Buffer{validity, values}, nil, nulls, 0)
	defer data.Release()
	values.Release()
	if validity != nil {
		validity.Release()
	}
	return array.MakeFromData(data)
}

// appendRows appends rows idx of arr to b, for lists and maps of the
// element types the schema uses.
func appendRows(b array.Builder, arr arrow.Array, idx []int) error {
	for _, i := range idx {
		if err := appendValue(b, arr, i); err != nil {
			return err
		}
	}
	return nil
}

func appendValue(b array.Builder, arr arrow.Array, i int) error {
	if arr.IsNull(i) {
		b.AppendNull()
		return nil
	}
	switch a := arr.(type) {
	case *array.Map:
		mb := b.(*array.MapBuilder)
		mb.Append(true)
		start, end := a.ValueOffsets(i)
		keys, items := a.Keys(), a.Items()
		for j := int(start); j < int(end); j++ {
			if err := appendValue(mb.KeyBuilder(), keys, j); err != nil {
				return err
			}
			if err := appendValue(mb.ItemBuilder(), items, j); err != nil {
				return err
			}
		}
	case *array.List:
		lb := b.(*array.ListBuilder)
		lb.Append(true)
		start, end := a.ValueOffsets(i)
		for j := int(start); j < int(end); j++ {
			if err := appendValue(lb.ValueBuilder(), a.ListValues(), j); err != nil {
				return err
			}
		}
	case *array.String:
		b.(*array.StringBuilder).Append(a.Value(i))
	case *array.Uint64:
		b.(*array.Uint64Builder).Append(a.Value(i))
	default:
		return fmt.Errorf("take rows: unsupported type %s", arr.DataType())
	}
	return nil
}
