package format

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/zstd"
)

// A projected scan (ScanOptions.Columns) decodes only the buffers of the
// columns asked for. arrow-go always decompresses every column of a
// batch, which for a wide, sparse table costs far more than reading
// three of them; so this path walks the IPC messages itself (after the
// same metadata checks as the full reader), decompresses the wanted
// buffers with one reusable zstd decoder, and builds the arrays.

// colLayout says where a top-level column's nodes and buffers start in a
// RecordBatch, and how many it has.
type colLayout struct {
	node, nodes int
	buf, bufs   int
	dictID      int64 // -1 unless dictionary-encoded
}

// layoutsFor returns where each column's nodes and buffers are in a
// batch of schema version v (the types differ from GroupsVersion on).
func layoutsFor(v int) *[NumColumns]colLayout {
	if v >= GroupsVersion {
		return &layoutsGrouped
	}
	return &layoutsPlain
}

var layoutsPlain, layoutsGrouped = computeLayouts(1), computeLayouts(GroupsVersion)

func computeLayouts(v int) [NumColumns]colLayout {
	var out [NumColumns]colLayout
	node, buf, dict := 0, 0, int64(0)
	for c := range Columns {
		t := StorageType(ColumnID(c), v)
		l := colLayout{node: node, buf: buf, dictID: -1}
		switch t.ID() {
		case arrow.STRING:
			l.nodes, l.bufs = 1, 3
		case arrow.LIST:
			l.nodes, l.bufs = 2, 4
			if t.(*arrow.ListType).Elem().ID() == arrow.STRING {
				l.bufs = 5
			}
		case arrow.MAP:
			l.nodes, l.bufs = 4, 8 // map, entries struct, key string, value uint64
		case arrow.DICTIONARY:
			l.nodes, l.bufs, l.dictID = 1, 2, dict
			dict++
		default:
			l.nodes, l.bufs = 1, 2
		}
		node, buf = node+l.nodes, buf+l.bufs
		out[c] = l
	}
	return out
}

// projector reads one segment's messages for a projected scan.
type projector struct {
	name string
	f    *os.File
	dec  *zstd.Decoder
	want [NumColumns]bool
	// columns is how many columns the segment's schema version has; a
	// wanted column beyond them is read as nulls.
	columns int
	version int
	layouts *[NumColumns]colLayout
	dicts   map[int64]*dictValues
	fillers map[ColumnID]*sameFiller // SameAs members' filled dictionaries (see sameFiller)
	body    []byte
	// held counts decompressed bytes held at once (the batch being
	// built and the dictionaries), bounded like the full reader's.
	held     int64
	dictHeld int64
	// decoded maps a stored buffer (its place in the body of the
	// message being read) to what it decompressed to, so that buffers the
	// writer stored once for several columns (pid and tid, uid and euid,
	// path and path_raw indices, ...) are decompressed once. Entries are
	// only valid while the message's arrays are being built: the arrays
	// hold the references, the map only borrows them.
	decoded map[storedRef]*memory.Buffer
}

// storedRef is where a buffer's bytes are in a message body.
type storedRef struct{ off, length uint64 }

// dictValues accumulates a dictionary and its deltas as Go memory,
// append-only: arrays built over it stay valid as it grows.
type dictValues struct {
	typ     arrow.DataType
	n       int
	nulls   int
	valid   []byte // validity bitmap
	offsets []int32
	data    []byte // string bytes, or fixed-width values
	width   int    // bytes per fixed-width value; 0 for strings
	arr     arrow.Array
}

func newDictValues(typ arrow.DataType) *dictValues {
	d := &dictValues{typ: typ}
	if fw, ok := typ.(arrow.FixedWidthDataType); ok {
		d.width = fw.BitWidth() / 8
	} else {
		d.offsets = []int32{0}
	}
	return d
}

// add appends part, a dictionary batch of d's type that ValidateFull accepted.
func (d *dictValues) add(part arrow.Array) {
	for i := 0; i < part.Len(); i++ {
		if d.n%8 == 0 {
			d.valid = append(d.valid, 0)
		}
		if part.IsValid(i) {
			d.valid[d.n/8] |= 1 << (d.n % 8)
		} else {
			d.nulls++
		}
		d.n++
	}
	if s, ok := part.(*array.String); ok {
		for i := 0; i < s.Len(); i++ {
			d.data = append(d.data, s.Value(i)...)
			d.offsets = append(d.offsets, int32(len(d.data)))
		}
	} else {
		pd := part.Data()
		off, n := pd.Offset()*d.width, pd.Len()*d.width
		d.data = append(d.data, pd.Buffers()[1].Bytes()[off:off+n]...)
	}
	if d.arr != nil {
		d.arr.Release()
		d.arr = nil
	}
}

func (d *dictValues) array() arrow.Array {
	if d.arr == nil {
		valid := memory.NewBufferBytes(d.valid[:bitutil.BytesForBits(int64(d.n))])
		var data arrow.ArrayData
		if d.width == 0 {
			data = array.NewData(d.typ, d.n, []*memory.Buffer{valid, memory.NewBufferBytes(asBytes(d.offsets)), memory.NewBufferBytes(d.data)}, nil, d.nulls, 0)
		} else {
			data = array.NewData(d.typ, d.n, []*memory.Buffer{valid, memory.NewBufferBytes(d.data)}, nil, d.nulls, 0)
		}
		d.arr = array.MakeFromData(data)
		data.Release()
	}
	return d.arr
}

// scanProjected calls fn for every complete batch of the segment at path
// with only the wanted columns loaded (ts and kind always are).
func scanProjected(path string, cols []ColumnID, fn func(b *Batch) error) error {
	return scanProjectedBatches(path, cols, nil, fn, nil)
}

// scanProjectedBatches is scanProjected reading only the record batches
// pick accepts (all when pick is nil); the others are skipped without
// decompressing them. batchRead, when not nil, is told the file offset
// at which each record batch, read or skipped, ends.
func scanProjectedBatches(path string, cols []ColumnID, pick func(segment string, index int) bool, fn func(b *Batch) error, batchRead func(end int64)) error {
	var want [NumColumns]bool
	want[ColTs], want[ColKind] = true, true
	for _, c := range cols {
		if c < 0 || c >= NumColumns {
			return fmt.Errorf("scan: column %d out of range", c)
		}
		want[c] = true
	}
	var b Batch
	name := filepath.Base(path)
	_, err := walkSegment(path, &want, pick, func(rec arrow.RecordBatch, index int) error {
		if err := b.resetProjected(name, index, rec); err != nil {
			return err
		}
		return fn(&b)
	}, batchRead)
	return err
}

// walkSegment reads the segment at path message by message and calls fn
// with each complete record batch that pick accepts (all when pick is
// nil), holding the wanted columns. Records are valid
// only during fn.
//
// A segment with a footer was finished by the recorder: any malformed
// message in it is an error naming the file and the byte offset, never a
// silent end. A segment without one is read up to its last complete
// batch; why reading stopped is in the stats' Tail.
func walkSegment(path string, want *[NumColumns]bool, pick func(segment string, index int) bool, fn func(rec arrow.RecordBatch, index int) error, batchRead func(end int64)) (st SegmentReadStats, err error) {
	name := filepath.Base(path)
	inCallback := false
	off, index := int64(len(fileMagic)), 0
	defer func() {
		if p := recover(); p != nil {
			if inCallback { // the caller's bug, not the file's
				panic(p)
			}
			err = fmt.Errorf("segment %s: message at byte %d (batch %d): malformed data: %v", name, off, index, p)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return st, fmt.Errorf("open segment: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return st, fmt.Errorf("open segment: %w", err)
	}
	head := make([]byte, len(fileMagic))
	n, _ := f.ReadAt(head, 0)
	if !bytes.Equal(head[:n], fileMagic[:n]) {
		return st, fmt.Errorf("segment %s: not an Arrow IPC file (bad magic at byte 0)", name)
	}
	if n < len(fileMagic) {
		st.Recovered = true
		st.Tail = fmt.Errorf("segment %s: only %d bytes", name, info.Size())
		return st, nil
	}
	footer, err := hasFooter(path)
	if err != nil {
		return st, err
	}
	end, tailErr := checkStream(f, int64(len(fileMagic)), info.Size())
	switch {
	case footer && tailErr != nil:
		return st, fmt.Errorf("segment %s: %w", name, tailErr)
	case footer:
		if err := checkFooter(f, info.Size()); err != nil {
			return st, fmt.Errorf("segment %s: %w", name, err)
		}
	default:
		st.Recovered = true
		if tailErr != nil {
			st.Tail = fmt.Errorf("segment %s: %w", name, tailErr)
		}
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxReadMemory))
	if err != nil {
		return st, err
	}
	defer dec.Close()
	p := &projector{name: name, f: f, dec: dec, dicts: map[int64]*dictValues{}, decoded: map[storedRef]*memory.Buffer{}}
	p.want = *want
	if p.want[ColSeq] {
		p.want[ColCPU] = true // seq is stored per CPU (DeltaVersion)
	}
	for off < end {
		next, kind, eos, err := checkMessageAt(f, off, end)
		if err == nil && eos {
			break
		}
		if err == nil && kind == fbHeaderRecordBatch && pick != nil && !pick(name, index) {
			index++
			off = next
			if batchRead != nil {
				batchRead(next)
			}
			continue
		}
		var meta, body []byte
		if err == nil {
			meta, body, err = p.readMessage(off, next)
		}
		p.held = p.dictHeld // what the previous message built is released
		if err == nil {
			switch kind {
			case fbHeaderSchema:
				err = p.checkSchema(meta)
			case fbHeaderDictionaryBatch:
				err = p.readDictionary(meta, body)
			case fbHeaderRecordBatch:
				var rec arrow.RecordBatch
				rec, err = p.readBatch(meta, body)
				if err == nil {
					st.Batches++
					st.Rows += rec.NumRows()
					inCallback = true
					err = fn(rec, index)
					inCallback = false // not deferred: a panic must leave it set
					rec.Release()
					if err != nil {
						return st, err // the caller's error, as is
					}
					index++
					if batchRead != nil {
						batchRead(next)
					}
				}
			}
		}
		if err != nil {
			return st, fmt.Errorf("segment %s: message at byte %d (batch %d): %w", name, off, index, err)
		}
		off = next
	}
	return st, nil
}

// readMessage reads the metadata flatbuffer and body of the message
// spanning [off, next).
func (p *projector) readMessage(off, next int64) (meta, body []byte, err error) {
	var prefix [8]byte
	if _, err := p.f.ReadAt(prefix[:], off); err != nil {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	metaLen := int64(binary.LittleEndian.Uint32(prefix[4:]))
	meta = make([]byte, metaLen)
	if _, err := p.f.ReadAt(meta, off+8); err != nil {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	bodyLen := next - off - 8 - metaLen
	if int64(cap(p.body)) < bodyLen {
		p.body = make([]byte, bodyLen)
	}
	body = p.body[:bodyLen]
	if _, err := p.f.ReadAt(body, off+8+metaLen); err != nil {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	return meta, body, nil
}

// checkSchema accepts a segment schema of this or an older version, and
// notes how many columns its batches hold.
func (p *projector) checkSchema(meta []byte) error {
	msg, _ := fbTableAt(meta, le32(meta, 0))
	schema, _, err := msg.sub(2)
	if err != nil {
		return err
	}
	version := ""
	err = schema.tables(2, func(kv fbTable) error {
		ks, kn, _ := kv.vector(0, 1)
		if string(kv.buf[ks:ks+kn]) == MetaSchemaVersion {
			vs, vn, _ := kv.vector(1, 1)
			version = string(kv.buf[vs : vs+vn])
		}
		return nil
	})
	if err != nil {
		return err
	}
	v, err := strconv.Atoi(version)
	if err != nil {
		return fmt.Errorf("not a rewind segment (no valid %s)", MetaSchemaVersion)
	}

	if v > SchemaVersion {
		return fmt.Errorf("schema version %d is newer than this reader (%d); upgrade rewind", v, SchemaVersion)
	}
	if v < 1 {
		return fmt.Errorf("invalid schema version %d", v)
	}
	p.columns = ColumnsInVersion(v)
	p.version, p.layouts = v, layoutsFor(v)
	i := 0
	err = schema.tables(1, func(f fbTable) error {
		if i < p.columns {
			s, n, _ := f.vector(0, 1)
			if string(f.buf[s:s+n]) != Columns[i].Name {
				return fmt.Errorf("column %d is %q, want %q", i, f.buf[s:s+n], Columns[i].Name)
			}
		}
		i++
		return nil
	})
	if err == nil && i != p.columns {
		err = fmt.Errorf("schema version %d: %d columns, want %d", v, i, p.columns)
	}
	return err
}

// recordBatchFB returns the RecordBatch table of a (dictionary) batch.
func recordBatchFB(meta []byte, dictionary bool) (fbTable, int64, bool) {
	msg, _ := fbTableAt(meta, le32(meta, 0))
	hdr, _, _ := msg.sub(2)
	if !dictionary {
		return hdr, 0, false
	}
	rb, _, _ := hdr.sub(1)
	isDelta := false
	if pos := hdr.field(2); pos != 0 {
		isDelta = hdr.buf[pos] != 0
	}
	return rb, hdr.int64Field(0), isDelta
}

type fbNode struct{ length, nulls int64 }

func (p *projector) node(rb fbTable, i int) (fbNode, error) {
	start, n, _ := rb.vector(1, 16)
	if i >= n {
		return fbNode{}, fmt.Errorf("%w: field node %d of %d", errMalformed, i, n)
	}
	nd := fbNode{int64(binary.LittleEndian.Uint64(rb.buf[start+16*i:])), int64(binary.LittleEndian.Uint64(rb.buf[start+16*i+8:]))}
	if nd.length < 0 || nd.nulls < 0 || nd.nulls > nd.length || nd.length > 1<<31-1 {
		return fbNode{}, fmt.Errorf("%w: field node %d", errMalformed, i)
	}
	return nd, nil
}

// storedBuffer returns buffer i of a batch body as stored, where in the
// body it is (which identifies bytes stored once for several buffers),
// whether it is compressed, and its decompressed size.
func (p *projector) storedBuffer(rb fbTable, body []byte, i int) (ref storedRef, raw []byte, compressed bool, size int64, err error) {
	start, n, _ := rb.vector(2, 16)
	if i >= n {
		return ref, nil, false, 0, fmt.Errorf("%w: buffer %d of %d", errMalformed, i, n)
	}
	off := binary.LittleEndian.Uint64(rb.buf[start+16*i:])
	length := binary.LittleEndian.Uint64(rb.buf[start+16*i+8:])
	ref = storedRef{off, length}
	raw = body[off : off+length] // bounds checked by checkRecordBatchFB
	if length == 0 {
		return ref, nil, false, 0, nil
	}
	if _, ok, _ := rb.sub(3); !ok { // uncompressed body
		return ref, raw, false, int64(len(raw)), nil
	}
	if len(raw) < 8 {
		return ref, nil, false, 0, fmt.Errorf("%w: compressed buffer %d too short", errMalformed, i)
	}
	size = int64(binary.LittleEndian.Uint64(raw))
	if size == -1 {
		return ref, raw[8:], false, int64(len(raw) - 8), nil
	}
	if size < 0 {
		return ref, nil, false, 0, fmt.Errorf("%w: buffer %d claims %d bytes", errReadBudget, i, size)
	}
	return ref, raw[8:], true, size, nil
}

// buffer decompresses buffer i of a batch body. A pooled buffer's memory
// goes back to decodePool when arrow releases it; string value bytes
// must not be pooled (see bufpool.go).
func (p *projector) buffer(rb fbTable, body []byte, i int, pooled bool) (*memory.Buffer, error) {
	ref, raw, compressed, size, err := p.storedBuffer(rb, body, i)
	if err != nil {
		return nil, err
	}
	if size == 0 {
		return memory.NewBufferBytes(nil), nil
	}
	reuse := compressed && pooled
	if reuse {
		if b, ok := p.decoded[ref]; ok && int64(b.Len()) == size {
			b.Retain()
			return b, nil
		}
	}
	if p.held+size > maxReadMemory {
		return nil, fmt.Errorf("%w: buffer %d claims %d bytes", errReadBudget, i, size)
	}
	p.held += size
	if !compressed {
		return memory.NewBufferBytes(append([]byte(nil), raw...)), nil
	}
	var dst []byte
	if pooled {
		dst = decodePool.get(int(size) + decodeSlack)[:0]
	} else {
		dst = make([]byte, 0, size+decodeSlack)
	}
	out, err := p.dec.DecodeAll(raw, dst)
	if err != nil || int64(len(out)) != size {
		if pooled {
			decodePool.put(dst)
		}
		return nil, fmt.Errorf("buffer %d: %w", i, fmt.Errorf("%w: decompressed %d bytes, want %d: %v", errMalformed, len(out), size, err))
	}
	if pooled {
		b := memory.NewBufferWithAllocator(out, &decodePool)
		if reuse {
			p.decoded[ref] = b
		}
		return b, nil
	}
	return memory.NewBufferBytes(out), nil
}

// nullBuffer stands for buffer i of a node that is null in every row:
// its bytes are never read as values, so it is shared zeros (need bytes
// at most, as many as the stored buffer has) instead of decompressed.
// Zero offsets and zero validity bits describe the same all-null column.
func (p *projector) nullBuffer(rb fbTable, body []byte, i int, need int64) (*memory.Buffer, error) {
	_, _, _, size, err := p.storedBuffer(rb, body, i)
	if err != nil {
		return nil, err
	}
	return memory.NewBufferBytes(zeros(int(min(size, need)))), nil
}

// bufferNeed is how many bytes buffer j of a node of type t and length
// rows holds at most in a well-formed batch.
func bufferNeed(t arrow.DataType, j int, rows int64) int64 {
	if j == 0 {
		return (rows + 7) / 8 // validity bitmap
	}
	switch t.ID() {
	case arrow.STRING, arrow.LIST, arrow.MAP:
		if j == 1 {
			return 4 * (rows + 1) // int32 offsets
		}
		return 0 // string values: none in an all-null column
	case arrow.DICTIONARY:
		return 4 * rows // int32 indices
	}
	if fw, ok := t.(arrow.FixedWidthDataType); ok {
		return (rows*int64(fw.BitWidth()) + 7) / 8
	}
	return 0
}

// arrayData builds the ArrayData of type t from nodes and buffers
// starting at *node and *buf, advancing both.
func (p *projector) arrayData(rb fbTable, body []byte, t arrow.DataType, node, buf *int) (arrow.ArrayData, error) {
	nd, err := p.node(rb, *node)
	if err != nil {
		return nil, err
	}
	*node++
	var bufs []*memory.Buffer
	var children []arrow.ArrayData
	release := func() {
		for _, b := range bufs {
			if b != nil {
				b.Release()
			}
		}
		for _, c := range children {
			c.Release()
		}
	}
	allNull := nd.length > 0 && nd.nulls == nd.length
	take := func(k int) error {
		for j := 0; j < k; j++ {
			var b *memory.Buffer
			var err error
			switch {
			case j == 0 && nd.nulls == 0:
				// validity is omitted when nothing is null
			case allNull:
				b, err = p.nullBuffer(rb, body, *buf, bufferNeed(t, j, nd.length))
			default:
				// String value bytes may be kept as Go strings beyond
				// the batch; everything else is pooled.
				b, err = p.buffer(rb, body, *buf, !(t.ID() == arrow.STRING && j == 2))
			}
			if err != nil {
				return err
			}
			*buf++
			bufs = append(bufs, b)
		}
		return nil
	}
	child := func(ct arrow.DataType) error {
		c, err := p.arrayData(rb, body, ct, node, buf)
		if err == nil {
			children = append(children, c)
		}
		return err
	}
	switch t.ID() {
	case arrow.STRING:
		err = take(3)
	case arrow.LIST:
		if err = take(2); err == nil {
			err = child(t.(*arrow.ListType).Elem())
		}
	case arrow.MAP:
		if err = take(2); err == nil {
			err = child(t.(*arrow.MapType).Elem())
		}
	case arrow.STRUCT:
		if err = take(1); err == nil {
			for _, f := range t.(*arrow.StructType).Fields() {
				if err = child(f.Type); err != nil {
					break
				}
			}
		}
	case arrow.DICTIONARY:
		t = t.(*arrow.DictionaryType).IndexType
		err = take(2)
	default:
		err = take(2)
	}
	if err != nil {
		release()
		return nil, err
	}
	data := array.NewData(t, int(nd.length), bufs, children, int(nd.nulls), 0)
	release() // data holds its own references
	return data, nil
}

func (p *projector) readDictionary(meta, body []byte) error {
	if p.layouts == nil {
		return fmt.Errorf("%w: dictionary before the schema", errMalformed)
	}
	rb, id, isDelta := recordBatchFB(meta, true)
	var col ColumnID = -1
	for c := 0; c < p.columns; c++ {
		if p.layouts[c].dictID == id {
			col = ColumnID(c)
		}
	}
	if col < 0 {
		return fmt.Errorf("%w: unknown dictionary id %d", errMalformed, id)
	}
	if !p.needDict(col) {
		return nil
	}
	clear(p.decoded)
	defer clear(p.decoded)
	node, buf := 0, 0
	valueType := StorageType(col, p.version).(*arrow.DictionaryType).ValueType
	data, err := p.arrayData(rb, body, valueType, &node, &buf)
	if err != nil {
		return err
	}
	arr := array.MakeFromData(data)
	data.Release()
	defer arr.Release()
	if err := array.ValidateFull(arr); err != nil {
		return fmt.Errorf("dictionary %d: %w", id, err)
	}
	d := p.dicts[id]
	if d == nil || !isDelta {
		d = newDictValues(valueType)
		p.dicts[id] = d
		// A filled dictionary built over the replaced one is stale.
		delete(p.fillers, col)
		for _, sa := range SameAsMembers {
			if sa.As == col {
				delete(p.fillers, sa.Col)
			}
		}
	}
	for _, b := range arr.Data().Buffers() {
		if b != nil {
			p.dictHeld += int64(b.Len())
		}
	}
	d.add(arr)
	return nil
}

// filler returns the segment's sameFiller of column c.
func (p *projector) filler(c ColumnID) *sameFiller {
	if p.fillers == nil {
		p.fillers = map[ColumnID]*sameFiller{}
	}
	f := p.fillers[c]
	if f == nil {
		f = &sameFiller{}
		p.fillers[c] = f
	}
	return f
}

// needDict reports whether the scan needs the dictionary of col: col is
// wanted, or a wanted column is stored as same as col.
func (p *projector) needDict(col ColumnID) bool {
	if p.want[col] {
		return true
	}
	for _, s := range SameAsMembers {
		if s.As == col && p.want[s.Col] && p.version >= SameAsVersion {
			return true
		}
	}
	return false
}

// readBatch builds a record batch of the wanted columns only, in schema
// order; Batch maps them back to their column ids.
func (p *projector) readBatch(meta, body []byte) (arrow.RecordBatch, error) {
	if p.layouts == nil {
		return nil, fmt.Errorf("%w: record batch before the schema", errMalformed)
	}
	rb, _, _ := recordBatchFB(meta, false)
	clear(p.decoded)
	defer clear(p.decoded) // the arrays, not the map, own the buffers
	rows := rb.int64Field(0)
	if rows < 0 || rows > 1<<31-1 {
		return nil, fmt.Errorf("%w: batch of %d rows", errMalformed, rows)
	}

	fields := make([]arrow.Field, 0, NumColumns)
	arrs := make([]arrow.Array, 0, NumColumns)
	release := func() {
		for _, a := range arrs {
			a.Release()
		}
	}
	var rv rowValidity
	for c := range Columns {
		if !p.want[c] {
			continue
		}
		var arr arrow.Array
		if c >= p.columns { // newer than the segment: unknown
			arr = array.MakeArrayOfNull(memory.DefaultAllocator, Columns[c].Type, int(rows))
			arrs = append(arrs, arr)
			fields = append(fields, arrow.Field{Name: Columns[c].Name, Type: Columns[c].Type, Nullable: true})
			continue
		}
		l := p.layouts[c]
		node, buf := l.node, l.buf
		stored := StorageType(ColumnID(c), p.version)
		data, err := p.arrayData(rb, body, stored, &node, &buf)
		if err != nil {
			release()
			return nil, err
		}
		if l.dictID >= 0 {
			d := p.dicts[l.dictID]
			if d == nil {
				data.Release()
				release()
				return nil, fmt.Errorf("%w: batch before dictionary %d", errMalformed, l.dictID)
			}
			indices := array.MakeFromData(data)
			arr = array.NewDictionaryArray(stored.(*arrow.DictionaryType), indices, d.array())
			indices.Release()
			if p.version >= GroupsVersion && groupOf[c] >= 0 {
				var as arrow.Array
				if asCol, ok := sameAsOf(ColumnID(c), p.version); ok {
					if ad := p.dicts[p.layouts[asCol].dictID]; ad != nil {
						as = ad.array()
					} else {
						as = array.MakeArrayOfNull(memory.DefaultAllocator, arrow.BinaryTypes.String, 0)
						defer as.Release()
					}
				}
				logical, err := logicalColumn(ColumnID(c), arr, &rv, as, p.filler(ColumnID(c)))
				arr.Release()
				if err != nil {
					data.Release()
					release()
					return nil, err
				}
				arr = logical
			}
		} else {
			arr = array.MakeFromData(data)
		}
		data.Release()
		arrs = append(arrs, arr)
		fields = append(fields, arrow.Field{Name: Columns[c].Name, Type: Columns[c].Type, Nullable: true})
		if int64(arr.Len()) != rows {
			release()
			return nil, fmt.Errorf("column %s has %d rows, want %d", Columns[c].Name, arr.Len(), rows)
		}
	}
	if p.version >= DeltaVersion {
		if err := p.undeltaColumns(arrs); err != nil {
			release()
			return nil, err
		}
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, rows)
	release()
	if err := validateRecord(rec, true); err != nil {
		rec.Release()
		return nil, fmt.Errorf("%w", err)
	}
	return rec, nil
}
