package format

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// arrow-go trusts the flatbuffer metadata of IPC files: a vector length
// read from a hostile file goes straight into make(), and a compressed
// buffer's declared size into an allocation. So before arrow sees a
// segment, the reader walks every message's metadata with the bounds
// checks below (only the tables and fields arrow reads), and arrow's
// allocations go through a budget.

// maxReadMemory bounds what reading one segment may hold at once. A real
// batch (at most 64k rows) needs a few tens of MiB.
const maxReadMemory = 512 << 20

// Message header and Arrow type enum values used by the checks.
const (
	fbTypeTimestamp = 10
	fbTypeUnion     = 14
	fbMaxFieldDepth = 16
)

var errMalformed = errors.New("malformed metadata")

// fbTable is a bounds-checked view of one flatbuffer table.
type fbTable struct {
	buf   []byte
	pos   int
	vt    int
	vtLen int
}

func le16(b []byte, i int) int { return int(binary.LittleEndian.Uint16(b[i:])) }
func le32(b []byte, i int) int { return int(binary.LittleEndian.Uint32(b[i:])) }

// fbTableAt checks the table at pos and its vtable.
func fbTableAt(buf []byte, pos int) (fbTable, error) {
	if pos < 0 || pos+4 > len(buf) {
		return fbTable{}, fmt.Errorf("%w: table at %d outside %d bytes", errMalformed, pos, len(buf))
	}
	vt := pos - int(int32(binary.LittleEndian.Uint32(buf[pos:])))
	if vt < 0 || vt+4 > len(buf) {
		return fbTable{}, fmt.Errorf("%w: vtable of table at %d out of bounds", errMalformed, pos)
	}
	vtLen, tLen := le16(buf, vt), le16(buf, vt+2)
	if vtLen < 4 || vtLen%2 != 0 || vt+vtLen > len(buf) || tLen < 4 || pos+tLen > len(buf) {
		return fbTable{}, fmt.Errorf("%w: bad vtable at %d", errMalformed, vt)
	}
	t := fbTable{buf: buf, pos: pos, vt: vt, vtLen: vtLen}
	for o := 4; o < vtLen; o += 2 {
		// Every field, whatever its type (at most 8 bytes), lies inside
		// the table.
		if off := le16(buf, vt+o); off != 0 && (off < 4 || off+1 > tLen || pos+off+8 > len(buf)) {
			return fbTable{}, fmt.Errorf("%w: field out of table at %d", errMalformed, pos)
		}
	}
	return t, nil
}

// field returns the position of a field, or 0 when absent.
func (t fbTable) field(slot int) int {
	o := 4 + 2*slot
	if o+2 > t.vtLen {
		return 0
	}
	if off := le16(t.buf, t.vt+o); off != 0 {
		return t.pos + off
	}
	return 0
}

func (t fbTable) byteField(slot int) byte {
	if p := t.field(slot); p != 0 {
		return t.buf[p]
	}
	return 0
}

func (t fbTable) int64Field(slot int) int64 {
	if p := t.field(slot); p != 0 {
		return int64(binary.LittleEndian.Uint64(t.buf[p:]))
	}
	return 0
}

// ref follows an offset field; ok is false when the field is absent.
func (t fbTable) ref(slot int) (int, bool, error) {
	p := t.field(slot)
	if p == 0 {
		return 0, false, nil
	}
	target := p + le32(t.buf, p)
	if target >= len(t.buf) {
		return 0, false, fmt.Errorf("%w: offset at %d out of bounds", errMalformed, p)
	}
	return target, true, nil
}

func (t fbTable) sub(slot int) (fbTable, bool, error) {
	target, ok, err := t.ref(slot)
	if !ok || err != nil {
		return fbTable{}, ok, err
	}
	sub, err := fbTableAt(t.buf, target)
	return sub, true, err
}

// vector checks a vector of elemSize-byte elements and returns where its
// elements start and how many there are.
func (t fbTable) vector(slot, elemSize int) (start, n int, err error) {
	target, ok, err := t.ref(slot)
	if !ok || err != nil {
		return 0, 0, err
	}
	if target+4 > len(t.buf) {
		return 0, 0, fmt.Errorf("%w: vector at %d out of bounds", errMalformed, target)
	}
	n = le32(t.buf, target)
	if uint64(target)+4+uint64(n)*uint64(elemSize) > uint64(len(t.buf)) {
		return 0, 0, fmt.Errorf("%w: vector at %d claims %d elements", errMalformed, target, n)
	}
	return target + 4, n, nil
}

// tables checks a vector of tables, calling fn on each.
func (t fbTable) tables(slot int, fn func(fbTable) error) error {
	start, n, err := t.vector(slot, 4)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		p := start + 4*i
		sub, err := fbTableAt(t.buf, p+le32(t.buf, p))
		if err != nil {
			return err
		}
		if err := fn(sub); err != nil {
			return err
		}
	}
	return nil
}

func checkKeyValues(t fbTable, slot int) error {
	return t.tables(slot, func(kv fbTable) error {
		if _, _, err := kv.vector(0, 1); err != nil {
			return err
		}
		_, _, err := kv.vector(1, 1)
		return err
	})
}

func checkFieldFB(f fbTable, depth int) error {
	if depth > fbMaxFieldDepth {
		return fmt.Errorf("%w: fields nested too deep", errMalformed)
	}
	if _, _, err := f.vector(0, 1); err != nil { // name
		return err
	}
	typ, ok, err := f.sub(3)
	if err != nil {
		return err
	}
	if ok {
		switch f.byteField(2) {
		case fbTypeTimestamp:
			if _, _, err := typ.vector(1, 1); err != nil { // timezone
				return err
			}
		case fbTypeUnion:
			if _, _, err := typ.vector(1, 4); err != nil { // typeIds
				return err
			}
		}
	}
	if dict, ok, err := f.sub(4); err != nil {
		return err
	} else if ok {
		if _, _, err := dict.sub(1); err != nil { // index type
			return err
		}
	}
	if err := f.tables(5, func(child fbTable) error { return checkFieldFB(child, depth+1) }); err != nil {
		return err
	}
	return checkKeyValues(f, 6)
}

func checkSchemaFB(s fbTable) error {
	if err := s.tables(1, func(f fbTable) error { return checkFieldFB(f, 0) }); err != nil {
		return err
	}
	if err := checkKeyValues(s, 2); err != nil {
		return err
	}
	_, _, err := s.vector(3, 8)
	return err
}

// checkRecordBatchFB checks a RecordBatch table; its buffers must lie in
// a body of bodyLen bytes.
func checkRecordBatchFB(rb fbTable, bodyLen int64) error {
	if _, _, err := rb.vector(1, 16); err != nil { // nodes
		return err
	}
	start, n, err := rb.vector(2, 16) // buffers
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		off := int64(binary.LittleEndian.Uint64(rb.buf[start+16*i:]))
		length := int64(binary.LittleEndian.Uint64(rb.buf[start+16*i+8:]))
		if off < 0 || length < 0 || off > bodyLen || length > bodyLen-off {
			return fmt.Errorf("%w: buffer %d (offset %d, length %d) outside a body of %d bytes", errMalformed, i, off, length, bodyLen)
		}
	}
	if _, _, err := rb.sub(3); err != nil { // compression
		return err
	}
	_, _, err = rb.vector(4, 8)
	return err
}

// checkMessageFB checks an IPC Message flatbuffer and returns its header
// type and body length.
func checkMessageFB(meta []byte) (byte, int64, error) {
	if len(meta) < 4 {
		return 0, 0, fmt.Errorf("%w: message of %d bytes", errMalformed, len(meta))
	}
	msg, err := fbTableAt(meta, le32(meta, 0))
	if err != nil {
		return 0, 0, err
	}
	if err := checkKeyValues(msg, 4); err != nil {
		return 0, 0, err
	}
	kind, bodyLen := msg.byteField(1), msg.int64Field(3)
	if bodyLen < 0 {
		return 0, 0, fmt.Errorf("%w: negative body length", errMalformed)
	}
	hdr, ok, err := msg.sub(2)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return 0, 0, fmt.Errorf("%w: message without header", errMalformed)
	}
	switch kind {
	case fbHeaderSchema:
		err = checkSchemaFB(hdr)
	case fbHeaderRecordBatch:
		err = checkRecordBatchFB(hdr, bodyLen)
	case fbHeaderDictionaryBatch:
		var rb fbTable
		if rb, ok, err = hdr.sub(1); err == nil && ok {
			err = checkRecordBatchFB(rb, bodyLen)
		}
	default:
		err = fmt.Errorf("%w: unexpected message type %d", errMalformed, kind)
	}
	return kind, bodyLen, err
}

// checkMessageAt checks the encapsulated message at off (continuation
// marker, length, metadata, body) inside the first end bytes of r, and
// returns the offset after it. eos is true at an end-of-stream marker.
func checkMessageAt(r io.ReaderAt, off, end int64) (next int64, kind byte, eos bool, err error) {
	var prefix [8]byte
	if off+8 > end {
		return 0, 0, false, fmt.Errorf("%w: message prefix at %d cut", errMalformed, off)
	}
	if _, err := r.ReadAt(prefix[:], off); err != nil {
		return 0, 0, false, err
	}
	if binary.LittleEndian.Uint32(prefix[:]) != 0xffffffff {
		return 0, 0, false, fmt.Errorf("%w: no message marker at %d", errMalformed, off)
	}
	metaLen := int64(binary.LittleEndian.Uint32(prefix[4:]))
	if metaLen == 0 {
		return off + 8, 0, true, nil
	}
	if metaLen > end-off-8 {
		return 0, 0, false, fmt.Errorf("%w: message metadata at %d cut", errMalformed, off)
	}
	meta := make([]byte, metaLen)
	if _, err := r.ReadAt(meta, off+8); err != nil {
		return 0, 0, false, err
	}
	kind, bodyLen, err := checkMessageFB(meta)
	if err != nil {
		return 0, 0, false, fmt.Errorf("message at byte %d: %w", off, err)
	}
	next = off + 8 + metaLen
	if bodyLen > end-next {
		return 0, 0, false, fmt.Errorf("%w: message body at %d cut", errMalformed, next)
	}
	return next + bodyLen, kind, false, nil
}

// checkStream checks messages from off on and returns where the last
// complete, well-formed record batch ends (dictionary messages after it
// belong to a batch that was not finished), and why checking stopped
// (nil at an end-of-stream marker or at the end).
func checkStream(r io.ReaderAt, off, end int64) (int64, error) {
	lastBatchEnd := off
	first := true
	for off < end {
		next, kind, eos, err := checkMessageAt(r, off, end)
		if err != nil {
			return lastBatchEnd, err
		}
		if eos {
			return lastBatchEnd, nil
		}
		if first && kind != fbHeaderSchema {
			return lastBatchEnd, fmt.Errorf("%w: stream does not start with a schema", errMalformed)
		}
		first = false
		off = next
		if kind == fbHeaderRecordBatch {
			lastBatchEnd = off
		}
	}
	return lastBatchEnd, nil
}

// checkFooter checks the file footer that ends at end, and every block
// it lists.
func checkFooter(r io.ReaderAt, end int64) error {
	var trailer [10]byte
	if _, err := r.ReadAt(trailer[:], end-10); err != nil {
		return err
	}
	size := int64(binary.LittleEndian.Uint32(trailer[:4]))
	footerStart := end - 10 - size
	if size < 4 || footerStart < int64(len(fileMagic)) {
		return fmt.Errorf("%w: footer size %d", errMalformed, size)
	}
	buf := make([]byte, size)
	if _, err := r.ReadAt(buf, footerStart); err != nil {
		return err
	}
	footer, err := fbTableAt(buf, le32(buf, 0))
	if err != nil {
		return fmt.Errorf("footer: %w", err)
	}
	schema, ok, err := footer.sub(1)
	if err == nil && !ok {
		err = fmt.Errorf("%w: footer without schema", errMalformed)
	}
	if err == nil {
		err = checkSchemaFB(schema)
	}
	if err == nil {
		err = checkKeyValues(footer, 4)
	}
	if err != nil {
		return fmt.Errorf("footer: %w", err)
	}
	for _, slot := range []int{2, 3} {
		start, n, err := footer.vector(slot, 24)
		if err != nil {
			return fmt.Errorf("footer: %w", err)
		}
		for i := 0; i < n; i++ {
			p := start + 24*i
			off := int64(binary.LittleEndian.Uint64(buf[p:]))
			metaLen := int64(int32(binary.LittleEndian.Uint32(buf[p+8:])))
			bodyLen := int64(binary.LittleEndian.Uint64(buf[p+16:]))
			if off < int64(len(fileMagic)) || metaLen < 8 || bodyLen < 0 || off > footerStart || metaLen > footerStart-off || bodyLen > footerStart-off-metaLen {
				return fmt.Errorf("footer: %w: block %d outside the file", errMalformed, i)
			}
			if _, _, _, err := checkMessageAt(r, off, off+metaLen+bodyLen); err != nil {
				return fmt.Errorf("footer block %d: %w", i, err)
			}
		}
	}
	return nil
}

// budgetAllocator is arrow's allocator for reading: it refuses (by
// panicking with errReadBudget, which the reader recovers) to hold more
// than maxReadMemory at once, so a hostile size cannot exhaust memory.
type budgetAllocator struct {
	live atomic.Int64
	mem  memory.Allocator
}

var errReadBudget = fmt.Errorf("%w: data would need more than %d MiB of memory", errMalformed, maxReadMemory>>20)

func newBudgetAllocator() *budgetAllocator { return &budgetAllocator{mem: memory.DefaultAllocator} }

func (a *budgetAllocator) charge(n int) {
	if a.live.Add(int64(n)) > maxReadMemory && n > 0 {
		a.live.Add(-int64(n))
		panic(errReadBudget)
	}
}

func (a *budgetAllocator) Allocate(size int) []byte {
	a.charge(size)
	return a.mem.Allocate(size)
}

func (a *budgetAllocator) Reallocate(size int, b []byte) []byte {
	a.charge(size - len(b))
	return a.mem.Reallocate(size, b)
}

func (a *budgetAllocator) Free(b []byte) {
	a.live.Add(-int64(len(b)))
	a.mem.Free(b)
}
