package format

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// From DeltaVersion on, a segment stores DeltaColumns as differences.
// ts and seq are large, but close to an earlier row's value: ts grows by
// microseconds from row to row, and seq by one from the previous row of
// the same CPU. zstd finds no repeats in the values, and many in the
// differences (mostly small; seq's mostly zero). Within one record
// batch, in row order and over the rows where the column is not null,
// each value is stored as itself minus the value its Delta names (the
// first of a chain as is). Null rows store 0; the arithmetic wraps, so
// every value round-trips. Readers return the values; other Arrow
// readers see the differences.
const DeltaVersion = 6

// A Delta is a column stored as differences, and what each stored value
// is the difference from.
type Delta struct {
	Col  ColumnID
	From string
}

// DeltaColumns are the columns stored as differences from DeltaVersion
// on (the code below knows each one's rule; From describes it).
var DeltaColumns = []Delta{
	{ColTs, "the previous row's `ts`"},
	{ColSeq, "the previous `seq` of the same `cpu`, plus one (rows with a null `cpu` count as one more CPU)"},
}

// cpuChains remembers, for one batch, the last seq of every CPU.
type cpuChains struct {
	last []uint64
	seen []bool
}

// slot is the chain of a row's cpu (valid false: the null cpu's chain).
func (c *cpuChains) slot(cpu uint16, valid bool) int {
	s := int(cpu) + 1
	if !valid {
		s = 0
	}
	for len(c.last) <= s {
		c.last = append(c.last, 0)
		c.seen = append(c.seen, false)
	}
	return s
}

func (c *cpuChains) reset() { clear(c.seen) }

// deltaWriter makes the stored form of the delta columns of a batch the
// writer built, reusing its buffers between batches.
type deltaWriter struct {
	ts, seq []byte
	chains  cpuChains
}

// stored returns the stored form of column c (ts or seq) of the batch
// arrs: a new array over the writer's scratch bytes, valid until the
// next call for c.
func (d *deltaWriter) stored(c ColumnID, arrs []arrow.Array) arrow.Array {
	a := arrs[c]
	n := a.Len()
	data := a.Data()
	var valid *memory.Buffer
	if a.NullN() > 0 {
		valid = data.Buffers()[0]
	}
	switch c {
	case ColTs:
		d.ts = grow(d.ts, 8*n)
		encodeTs(d.ts, a.(*array.Timestamp))
		return array.MakeFromData(array.NewData(a.DataType(), n, []*memory.Buffer{valid, memory.NewBufferBytes(d.ts)}, nil, a.NullN(), 0))
	default:
		d.seq = grow(d.seq, 8*n)
		d.chains.reset()
		encodeSeq(d.seq, a.(*array.Uint64), arrs[ColCPU].(*array.Uint16), &d.chains)
		return array.MakeFromData(array.NewData(a.DataType(), n, []*memory.Buffer{valid, memory.NewBufferBytes(d.seq)}, nil, a.NullN(), 0))
	}
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

func encodeTs(dst []byte, ts *array.Timestamp) {
	var prev int64
	for i := 0; i < ts.Len(); i++ {
		var v int64
		if ts.IsValid(i) {
			cur := int64(ts.Value(i))
			v, prev = cur-prev, cur
		}
		binary.LittleEndian.PutUint64(dst[8*i:], uint64(v))
	}
}

func encodeSeq(dst []byte, seq *array.Uint64, cpu *array.Uint16, chains *cpuChains) {
	for i := 0; i < seq.Len(); i++ {
		var v uint64
		if seq.IsValid(i) {
			cur := seq.Value(i)
			s := chains.slot(cpu.Value(i), cpu.IsValid(i))
			v = cur
			if chains.seen[s] {
				v = cur - (chains.last[s] + 1)
			}
			chains.last[s], chains.seen[s] = cur, true
		}
		binary.LittleEndian.PutUint64(dst[8*i:], v)
	}
}

// undelta returns the values of delta column c (ts or seq) from its
// stored form; cpu is the batch's cpu column (read for seq). The result
// has new value bytes (the stored ones may be shared with other
// columns) and the stored validity.
func undelta(c ColumnID, stored, cpu arrow.Array) (arrow.Array, error) {
	n := stored.Len()
	data := stored.Data()
	if data.Offset() != 0 {
		// never so in a record batch read from a file
		return nil, fmt.Errorf("column %s: stored at offset %d", Columns[c].Name, data.Offset())
	}
	out := decodePool.get(8 * n)
	switch c {
	case ColTs:
		ts, ok := stored.(*array.Timestamp)
		if !ok {
			decodePool.put(out)
			return nil, fmt.Errorf("%w: column ts is %s", errMalformed, stored.DataType())
		}
		var prev int64
		for i := 0; i < n; i++ {
			var v int64
			if ts.IsValid(i) {
				prev += int64(ts.Value(i))
				v = prev
			}
			binary.LittleEndian.PutUint64(out[8*i:], uint64(v))
		}
	default:
		seq, ok1 := stored.(*array.Uint64)
		cpus, ok2 := cpu.(*array.Uint16)
		if !ok1 || !ok2 || cpus.Len() != n {
			decodePool.put(out)
			return nil, fmt.Errorf("%w: columns seq and cpu are %s and %s of %d and %d rows", errMalformed, stored.DataType(), cpu.DataType(), n, cpu.Len())
		}
		var chains cpuChains
		for i := 0; i < n; i++ {
			var v uint64
			if seq.IsValid(i) {
				s := chains.slot(cpus.Value(i), cpus.IsValid(i))
				v = seq.Value(i)
				if chains.seen[s] {
					v += chains.last[s] + 1
				}
				chains.last[s], chains.seen[s] = v, true
			}
			binary.LittleEndian.PutUint64(out[8*i:], v)
		}
	}
	var valid *memory.Buffer
	if stored.NullN() > 0 {
		valid = data.Buffers()[0]
	}
	vals := memory.NewBufferWithAllocator(out, &decodePool)
	defer vals.Release()
	return array.MakeFromData(array.NewData(stored.DataType(), n, []*memory.Buffer{valid, vals}, nil, stored.NullN(), 0)), nil
}

// undeltaColumns replaces the stored delta columns among arrs, the
// wanted columns of a batch in column order, with their values.
func (p *projector) undeltaColumns(arrs []arrow.Array) error {
	var at [NumColumns]int
	n := 0
	for c := range Columns {
		at[c] = -1
		if p.want[c] {
			at[c] = n
			n++
		}
	}
	for _, d := range DeltaColumns {
		c := d.Col
		if at[c] < 0 {
			continue
		}
		var cpu arrow.Array
		if c == ColSeq {
			cpu = arrs[at[ColCPU]] // wanted with seq
		}
		a, err := undelta(c, arrs[at[c]], cpu)
		if err != nil {
			return err
		}
		arrs[at[c]].Release()
		arrs[at[c]] = a
	}
	return nil
}
