package format

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Column buffers for the nested types: lists (argv, env, drops_per_cpu)
// and the events_per_kind map.

// listCol holds a list of strings or of uint64; an empty list is null.
type listCol struct {
	id      ColumnID
	typ     arrow.DataType
	strings bool
	offsets []int32 // list offsets
	valid   validity
	// child values
	sOffsets []int32
	sData    []byte
	u64      []uint64
}

func (c *listCol) pad(row int) {
	if len(c.offsets) == 0 {
		c.offsets = append(c.offsets, 0)
		c.sOffsets = append(c.sOffsets[:0], 0)
	}
	if gap := row - (len(c.offsets) - 1); gap > 0 {
		end := c.offsets[len(c.offsets)-1]
		for range gap {
			c.offsets = append(c.offsets, end)
		}
		c.valid.appendNulls(gap)
	}
}

func (c *listCol) add(ev *Event, row int, nulls bool) {
	c.pad(row)
	n := 0
	if !(nulls && ev.Null.Has(c.id)) {
		if c.strings {
			for _, s := range *fieldAt[[]string](ev, c.id) {
				c.sData = append(c.sData, s...)
				c.sOffsets = append(c.sOffsets, int32(len(c.sData)))
				n++
			}
		} else {
			v := *fieldAt[[]uint64](ev, c.id)
			c.u64 = append(c.u64, v...)
			n = len(v)
		}
	}
	if n > 0 {
		c.valid.appendValid()
	} else {
		c.valid.appendNulls(1)
	}
	c.offsets = append(c.offsets, c.offsets[len(c.offsets)-1]+int32(n))
}

func (c *listCol) build(n int) arrow.Array {
	c.pad(n)
	var child arrow.ArrayData
	if c.strings {
		m := len(c.sOffsets) - 1
		child = array.NewData(arrow.BinaryTypes.String, m, []*memory.Buffer{nil, memory.NewBufferBytes(asBytes(c.sOffsets)), memory.NewBufferBytes(c.sData)}, nil, 0, 0)
	} else {
		child = array.NewData(arrow.PrimitiveTypes.Uint64, len(c.u64), []*memory.Buffer{nil, memory.NewBufferBytes(asBytes(c.u64))}, nil, 0, 0)
	}
	defer child.Release()
	data := array.NewData(c.typ, n, []*memory.Buffer{c.valid.buffer(), memory.NewBufferBytes(asBytes(c.offsets))}, []arrow.ArrayData{child}, c.valid.nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func (c *listCol) reset() {
	c.offsets = c.offsets[:0]
	c.sOffsets = c.sOffsets[:0]
	c.sData = c.sData[:0]
	c.u64 = c.u64[:0]
	c.valid.reset()
}

// kindCountsCol holds the events_per_kind map column.
type kindCountsCol struct {
	id       ColumnID
	offsets  []int32
	valid    validity
	kOffsets []int32
	kData    []byte
	counts   []uint64
}

func (c *kindCountsCol) pad(row int) {
	if len(c.offsets) == 0 {
		c.offsets = append(c.offsets, 0)
		c.kOffsets = append(c.kOffsets[:0], 0)
	}
	if gap := row - (len(c.offsets) - 1); gap > 0 {
		end := c.offsets[len(c.offsets)-1]
		for range gap {
			c.offsets = append(c.offsets, end)
		}
		c.valid.appendNulls(gap)
	}
}

func (c *kindCountsCol) add(ev *Event, row int, nulls bool) {
	c.pad(row)
	var entries []KindCount
	if !(nulls && ev.Null.Has(c.id)) {
		entries = *fieldAt[[]KindCount](ev, c.id)
	}
	for _, e := range entries {
		c.kData = append(c.kData, e.Kind...)
		c.kOffsets = append(c.kOffsets, int32(len(c.kData)))
		c.counts = append(c.counts, e.Count)
	}
	if len(entries) > 0 {
		c.valid.appendValid()
	} else {
		c.valid.appendNulls(1)
	}
	c.offsets = append(c.offsets, c.offsets[len(c.offsets)-1]+int32(len(entries)))
}

func (c *kindCountsCol) build(n int) arrow.Array {
	c.pad(n)
	m := len(c.counts)
	keys := array.NewData(arrow.BinaryTypes.String, m, []*memory.Buffer{nil, memory.NewBufferBytes(asBytes(c.kOffsets)), memory.NewBufferBytes(c.kData)}, nil, 0, 0)
	defer keys.Release()
	vals := array.NewData(arrow.PrimitiveTypes.Uint64, m, []*memory.Buffer{nil, memory.NewBufferBytes(asBytes(c.counts))}, nil, 0, 0)
	defer vals.Release()
	mt := TypeKindCounts
	entries := array.NewData(mt.Elem(), m, []*memory.Buffer{nil}, []arrow.ArrayData{keys, vals}, 0, 0)
	defer entries.Release()
	data := array.NewData(mt, n, []*memory.Buffer{c.valid.buffer(), memory.NewBufferBytes(asBytes(c.offsets))}, []arrow.ArrayData{entries}, c.valid.nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func (c *kindCountsCol) reset() {
	c.offsets = c.offsets[:0]
	c.kOffsets = c.kOffsets[:0]
	c.kData = c.kData[:0]
	c.counts = c.counts[:0]
	c.valid.reset()
}
