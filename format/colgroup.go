package format

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The writer side of Groups. A groupCol keeps, for the segment being
// written, the distinct combinations of its members' values (entries),
// one dictionary per member that grows by one value per entry, and the
// batch's index column. Entry 0 combines nulls only; it is the whole
// dictionary the IPC writer is given, so that it writes each member's
// dictionary once, at the first batch. The writer adds the entries each
// batch created as delta dictionary batches just before the record batch
// (segmentFile.beforeRecord), without the IPC writer comparing whole
// dictionaries batch after batch.

// maxGroupEntries bounds a group's entries in one segment: reaching it
// starts a new segment, so that a host touching millions of distinct
// files keeps the writer's memory bounded.
const maxGroupEntries = 1 << 16

// Group member values are held in a fixed key: at most maxGroupStrings
// strings and maxGroupNums integers per group.
const (
	maxGroupStrings = 3
	maxGroupNums    = 4
)

type groupMember struct {
	id    ColumnID
	typ   arrow.DataType // logical type (the dictionary's value type)
	str   bool
	slot  int // index into the key's strs or nums
	width int // bytes of an integer value
	kinds KindSet
	// the dictionary, one value per entry; append-only within a segment,
	// so arrays built over these slices stay valid as they grow
	valid   []byte // validity bitmap
	offsets []int32
	data    []byte // string bytes, or little-endian integers
	base    arrow.Array
}

// groupKey is one entry's values; nulls has bit i set when member i is
// null.
type groupKey struct {
	strs  [maxGroupStrings]string
	nums  [maxGroupNums]uint64
	nulls uint16
}

// groupProbe is a row's values as pointers into the caller's strings,
// for a lookup that hashes no string (see dictCol.lookup for why keeping
// the caller's pointers is safe).
type groupProbe struct {
	ptrs  [maxGroupStrings]*byte
	lens  [maxGroupStrings]int32
	nums  [maxGroupNums]uint64
	nulls uint16
	entry int32
}

// groupCacheSize probes stay cached per group, direct-mapped by hash:
// enough that a host cycling through a few thousand files or endpoints
// mostly skips the map (4096 against 1024: writer +6% on the busy-host
// mix), at 320 KiB per group.
const groupCacheSize = 4096

type groupCol struct {
	group   int
	members []groupMember
	allNull uint16
	idx     fixedCol[int32]
	entries map[groupKey]int32
	n       int32 // entries, entry 0 included
	written int32 // entries already in the segment file
	cache   [groupCacheSize]groupProbe
	// same is the member stored as SameAs (-1 if none), sameAs its As
	// member, and sameValid that member's own row validity: its index is
	// null where the member is, though its entry may hold "same".
	same, sameAs int
	sameValid    validity
	filler       sameFiller // the SameAs member's dictionary filled, for OnBatch
	// arena holds the entries' strings for the segment, in chunks: one
	// allocation per few thousand paths instead of one per path.
	arena []byte
}

const groupArenaChunk = 64 << 10

// keep copies s into the arena.
func (g *groupCol) keep(s string) string {
	if s == "" {
		return ""
	}
	if cap(g.arena)-len(g.arena) < len(s) {
		g.arena = make([]byte, 0, max(groupArenaChunk, len(s)))
	}
	at := len(g.arena)
	g.arena = append(g.arena, s...)
	return unsafe.String(&g.arena[at], len(s))
}

func newGroupCol(g int) *groupCol {
	gc := &groupCol{group: g, idx: fixedCol[int32]{typ: arrow.PrimitiveTypes.Int32}, entries: map[groupKey]int32{}, same: -1, sameAs: -1}
	strs, nums := 0, 0
	for i, c := range Groups[g].Members {
		m := groupMember{id: c, typ: Columns[c].Type, kinds: Columns[c].Kinds}
		switch m.typ.ID() {
		case arrow.STRING, arrow.DICTIONARY:
			m.str, m.slot = true, strs
			strs++
		default:
			m.slot, m.width = nums, m.typ.(arrow.FixedWidthDataType).BitWidth()/8
			nums++
		}
		if m.typ.ID() == arrow.DICTIONARY {
			m.typ = arrow.BinaryTypes.String
		}
		gc.members = append(gc.members, m)
		gc.allNull |= 1 << i
	}
	if strs > maxGroupStrings || nums > maxGroupNums {
		panic(fmt.Sprintf("format: group %s has %d strings and %d integers, at most %d and %d", Groups[g].Name, strs, nums, maxGroupStrings, maxGroupNums))
	}
	for i := range gc.members {
		m := &gc.members[i]
		m.base = array.MakeArrayOfNull(memory.DefaultAllocator, m.typ, 1)
		if as, ok := sameAsOf(m.id, SchemaVersion); ok {
			for j := range gc.members {
				if gc.members[j].id == as && m.str && gc.members[j].str && gc.same < 0 {
					gc.same, gc.sameAs = i, j
				}
			}
			if gc.same != i {
				panic(fmt.Sprintf("format: %s is stored as same as %s, which must be a string member of its group, one per group", Columns[m.id].Name, Columns[as].Name))
			}
		}
	}
	gc.resetDict()
	return gc
}

// resetDict starts the dictionaries of a new segment: entry 0 only.
func (g *groupCol) resetDict() {
	clear(g.entries) // keeps the map's room: the next segment needs as much
	g.filler = sameFiller{}
	g.arena = nil
	g.cache = [groupCacheSize]groupProbe{}
	for i := range g.members {
		m := &g.members[i]
		m.valid, m.data = m.valid[:0], m.data[:0]
		m.offsets = append(m.offsets[:0], 0)
	}
	g.n, g.written = 0, 0
	g.newEntry(&groupKey{nulls: g.allNull})
	g.written = 1
}

func (g *groupCol) full() bool { return g.n >= maxGroupEntries }

func (g *groupCol) load(m *groupMember, ev *Event) uint64 {
	switch m.typ.ID() {
	case arrow.UINT16:
		return uint64(*fieldAt[uint16](ev, m.id))
	case arrow.INT32:
		return uint64(uint32(*fieldAt[int32](ev, m.id)))
	case arrow.UINT32:
		return uint64(*fieldAt[uint32](ev, m.id))
	default: // UINT64, INT64
		return *fieldAt[uint64](ev, m.id)
	}
}

func (g *groupCol) add(ev *Event, row int, nulls bool) {
	ic := &g.idx
	if gap := row - len(ic.vals); gap > 0 {
		ic.vals = extendZero(ic.vals, gap)
		ic.valid.appendNulls(gap)
		g.sameValid.appendNulls(gap)
	}
	var p groupProbe
	sameValid := true
	for i := range g.members {
		m := &g.members[i]
		if !m.kinds.Has(ev.Kind) || (nulls && ev.Null.Has(m.id)) {
			p.nulls |= 1 << i
			sameValid = sameValid && i != g.same
			continue
		}
		if m.str {
			s := *fieldAt[string](ev, m.id)
			if s == "" {
				p.nulls |= 1 << i
				sameValid = sameValid && i != g.same
				continue
			}
			if i == g.same && s == *fieldAt[string](ev, g.members[g.sameAs].id) && !(nulls && ev.Null.Has(g.members[g.sameAs].id)) {
				p.nulls |= 1 << i // "same as": stored once, in the As member
				continue
			}
			p.ptrs[m.slot], p.lens[m.slot] = unsafe.StringData(s), int32(len(s))
		} else {
			p.nums[m.slot] = g.load(m, ev)
		}
	}
	if p.nulls == g.allNull {
		ic.vals = append(ic.vals, 0)
		ic.valid.appendNulls(1)
		g.sameValid.appendNulls(1)
		return
	}
	if sameValid {
		g.sameValid.appendValid()
	} else {
		g.sameValid.appendNulls(1)
	}
	h := uint64(p.nulls)
	for i := range p.ptrs {
		h = (h ^ uint64(uintptr(unsafe.Pointer(p.ptrs[i])))>>3 ^ uint64(p.lens[i])) * 0x9E3779B97F4A7C15
	}
	for i := range p.nums {
		h = (h ^ p.nums[i]) * 0x9E3779B97F4A7C15
	}
	e := &g.cache[(h>>32)%groupCacheSize]
	if e.entry == 0 || e.ptrs != p.ptrs || e.lens != p.lens || e.nums != p.nums || e.nulls != p.nulls {
		p.entry = g.lookup(&p)
		*e = p
	}
	ic.vals = append(ic.vals, e.entry)
	ic.valid.appendValid()
}

// lookup returns the entry of p's values, adding it if new.
func (g *groupCol) lookup(p *groupProbe) int32 {
	k := groupKey{nums: p.nums, nulls: p.nulls}
	for i, ptr := range p.ptrs {
		if ptr != nil {
			k.strs[i] = unsafe.String(ptr, int(p.lens[i]))
		}
	}
	if e, ok := g.entries[k]; ok {
		return e
	}
	for i := range k.strs {
		k.strs[i] = g.keep(k.strs[i]) // the map outlives the caller's strings
	}
	e := g.newEntry(&k)
	g.entries[k] = e
	return e
}

func (g *groupCol) newEntry(k *groupKey) int32 {
	e := g.n
	g.n++
	for i := range g.members {
		m := &g.members[i]
		if int(e)%8 == 0 {
			m.valid = append(m.valid, 0)
		}
		null := k.nulls&(1<<i) != 0
		if !null {
			m.valid[e/8] |= 1 << (e % 8)
		}
		switch {
		case m.str:
			if !null {
				m.data = append(m.data, k.strs[m.slot]...)
			}
			m.offsets = append(m.offsets, int32(len(m.data)))
		default:
			var b [8]byte
			if !null {
				binary.LittleEndian.PutUint64(b[:], k.nums[m.slot])
			}
			m.data = append(m.data, b[:m.width]...)
		}
	}
	return e
}

// dictionary returns member i's dictionary entries [from, to).
func (g *groupCol) dictionary(i int, from, to int32) arrow.Array {
	m := &g.members[i]
	n := int(to)
	valid := memory.NewBufferBytes(m.valid[:bitutil.BytesForBits(int64(n))])
	nulls := n - bitutil.CountSetBits(m.valid, 0, n)
	var data arrow.ArrayData
	if m.str {
		data = array.NewData(m.typ, n, []*memory.Buffer{valid, memory.NewBufferBytes(asBytes(m.offsets[:n+1])), memory.NewBufferBytes(m.data[:m.offsets[n]])}, nil, nulls, 0)
	} else {
		data = array.NewData(m.typ, n, []*memory.Buffer{valid, memory.NewBufferBytes(m.data[:n*m.width])}, nil, nulls, 0)
	}
	defer data.Release()
	whole := array.MakeFromData(data)
	if from == 0 {
		return whole
	}
	defer whole.Release()
	return array.NewSlice(whole, int64(from), int64(to))
}

// build stores the batch's members in arrs (by column id), as
// dictionaries over the one-entry base dictionary: the IPC writer writes
// the base once per segment, and writeDeltas the rest.
func (g *groupCol) buildInto(arrs []arrow.Array, n int) {
	indices := g.idx.build(n)
	defer indices.Release()
	for i := range g.members {
		m := &g.members[i]
		ix := g.indicesOf(i, indices, n)
		arrs[m.id] = array.NewDictionaryArray(storageTypes[m.id].(*arrow.DictionaryType), ix, m.base)
		ix.Release()
	}
}

// logicalInto stores the batch's members in arrs with their logical
// types, for the OnBatch hook: what a reader of the segment will see.
func (g *groupCol) logicalInto(arrs []arrow.Array, n int) error {
	indices := g.idx.build(n)
	defer indices.Release()
	var rv rowValidity
	var asDict arrow.Array
	if g.same >= 0 {
		asDict = g.dictionary(g.sameAs, 0, g.n)
		defer asDict.Release()
	}
	for i := range g.members {
		m := &g.members[i]
		dict := g.dictionary(i, 0, g.n)
		ix := g.indicesOf(i, indices, n)
		stored := array.NewDictionaryArray(storageTypes[m.id].(*arrow.DictionaryType), ix, dict)
		ix.Release()
		dict.Release()
		var as arrow.Array
		if i == g.same {
			as = asDict
		}
		a, err := logicalColumn(m.id, stored, &rv, as, &g.filler)
		stored.Release()
		if err != nil {
			return err
		}
		arrs[m.id] = a
	}
	return nil
}

// deltas calls emit with each member's entries added since the last
// call, as delta dictionaries.
func (g *groupCol) deltas(emit func(c ColumnID, values arrow.Array) error) error {
	if g.written == g.n {
		return nil
	}
	for i := range g.members {
		d := g.dictionary(i, g.written, g.n)
		err := emit(g.members[i].id, d)
		d.Release()
		if err != nil {
			return err
		}
	}
	g.written = g.n
	return nil
}

func (g *groupCol) reset() { g.idx.reset(); g.sameValid.reset() }

// indicesOf returns member i's index column for a batch of n rows: the
// group's, except for the SameAs member, whose validity is its own (over
// the same index values, which the segment then stores once).
func (g *groupCol) indicesOf(i int, indices arrow.Array, n int) arrow.Array {
	if i != g.same {
		indices.Retain()
		return indices
	}
	if gap := n - g.sameValid.n; gap > 0 {
		g.sameValid.appendNulls(gap)
	}
	data := array.NewData(arrow.PrimitiveTypes.Int32, n, []*memory.Buffer{g.sameValid.buffer(), indices.Data().Buffers()[1]}, nil, g.sameValid.nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}
