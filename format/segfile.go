package format

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	flatbuffers "github.com/google/flatbuffers/go"
)

// Why a hand-written file trailer: arrow-go's ipc.FileWriter refuses a
// dictionary that changes between batches, and a recorder cannot know a
// segment's dictionaries in advance. The IPC file format itself allows
// delta dictionaries (a file reader applies them all before the first
// batch; indices stay valid because deltas only append). So a segment is
// written as: the file magic, an IPC stream produced by ipc.Writer with
// dictionary deltas, and, when the segment is finished, the standard file
// footer listing every dictionary and record batch block. Until the
// footer exists the file is a valid stream after its first 8 bytes, which
// is what crash recovery reads.

var fileMagic = []byte("ARROW1\x00\x00") // magic padded to 8 bytes

// Message header types of the Arrow flatbuffer Message table.
const (
	fbHeaderSchema          = 1
	fbHeaderDictionaryBatch = 2
	fbHeaderRecordBatch     = 3
	fbMetadataV5            = 4
)

type fileBlock struct {
	offset int64
	meta   int32
	body   int64
}

// segmentFile writes one segment. It is the ipc.PayloadWriter behind an
// ipc.Writer and also the io.Writer that counts and hashes every byte.
type segmentFile struct {
	path   string
	f      *os.File
	bw     *bufio.Writer
	sum    hash.Hash
	pos    int64
	schema []byte // the schema message flatbuffer, embedded in the footer
	dicts  []fileBlock
	recs   []fileBlock
	ipcw   *ipc.Writer
	comp   *bodyCompressor
	// beforeRecord, when set, runs before each record batch message is
	// written: the writer adds its delta dictionaries there (see
	// groupCol), after the dictionaries the IPC writer wrote for the
	// same batch.
	beforeRecord func() error
	// deltaEnc encodes delta dictionaries, one IPC writer per value type;
	// deltaID is the dictionary the one being encoded belongs to.
	deltaEnc map[arrow.Type]deltaEncoder
	deltaID  int64
	mem      memory.Allocator
}

// segmentSpare is what a finished segment leaves for the next one: its
// write buffer and body compressor (with the zstd encoder's history and
// the compressor's scratch), which a recorder rotating every few seconds
// would otherwise allocate anew each time.
type segmentSpare struct {
	bw   *bufio.Writer
	comp *bodyCompressor
}

// close releases what the spare holds.
func (sp *segmentSpare) close() {
	if sp.comp != nil {
		sp.comp.close()
	}
	*sp = segmentSpare{}
}

// createSegmentFile creates the segment at path, taking what spare holds
// (and leaving it empty).
func createSegmentFile(path string, mem memory.Allocator, spare *segmentSpare) (*segmentFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create segment: %w", err)
	}
	bw, comp := spare.bw, spare.comp
	*spare = segmentSpare{}
	if bw == nil {
		bw = bufio.NewWriterSize(f, 1<<20)
	} else {
		bw.Reset(f)
	}
	s := &segmentFile{path: path, f: f, bw: bw, comp: comp, sum: sha256.New(), mem: mem}
	// ipc.Writer never calls Start; the magic goes first and reaches the
	// disk at once, so that even an empty unfinished segment is ours.
	err = s.Start()
	if err == nil {
		err = s.bw.Flush()
	}
	if err != nil {
		s.abandon()
		return nil, fmt.Errorf("create segment: %w", err)
	}
	if s.comp == nil {
		if s.comp, err = newBodyCompressor(); err != nil {
			s.abandon()
			return nil, fmt.Errorf("create segment: %w", err)
		}
	}
	// Uncompressed here: WritePayload compresses (see compress.go).
	s.ipcw = ipc.NewWriterWithPayloadWriter(s,
		ipc.WithSchema(storageSchema()),
		ipc.WithAllocator(mem),
		ipc.WithDictionaryDeltas(true),
	)
	return s, nil
}

func (s *segmentFile) Write(p []byte) (int, error) {
	n, err := s.bw.Write(p)
	s.sum.Write(p[:n])
	s.pos += int64(n)
	return n, err
}

// Start implements ipc.PayloadWriter: the file magic comes first. (Called
// by createSegmentFile: ipc.Writer does not call it.)
func (s *segmentFile) Start() error {
	_, err := s.Write(fileMagic)
	return err
}

// WritePayload implements ipc.PayloadWriter, remembering where each
// dictionary and record batch message starts for the footer.
func (s *segmentFile) WritePayload(p ipc.Payload) error {
	start := s.pos
	meta := p.Meta()
	defer meta.Release()
	header := messageHeaderType(meta.Bytes())
	var metaLen int
	var err error
	if header == fbHeaderRecordBatch && s.beforeRecord != nil {
		if err := s.beforeRecord(); err != nil {
			return err
		}
		start = s.pos
	}
	if header == fbHeaderRecordBatch || header == fbHeaderDictionaryBatch {
		var m, body []byte
		if m, body, err = s.comp.compress(&p, meta.Bytes(), header, nil); err == nil {
			metaLen, err = writeMessage(s, m, body)
		}
	} else {
		metaLen, err = p.WritePayload(s)
	}
	if err != nil {
		return err
	}
	blk := fileBlock{offset: start, meta: int32(metaLen), body: s.pos - start - int64(metaLen)}
	switch header {
	case fbHeaderSchema:
		s.schema = append([]byte(nil), meta.Bytes()...)
	case fbHeaderDictionaryBatch:
		s.dicts = append(s.dicts, blk)
	case fbHeaderRecordBatch:
		s.recs = append(s.recs, blk)
	}
	return nil
}

// writeDictDelta writes values as a delta batch of dictionary id.
func (s *segmentFile) writeDictDelta(id int64, values arrow.Array) error {
	enc, ok := s.deltaEnc[values.DataType().ID()]
	if !ok {
		if s.deltaEnc == nil {
			s.deltaEnc = map[arrow.Type]deltaEncoder{}
		}
		enc.schema = arrow.NewSchema([]arrow.Field{{Name: "values", Type: values.DataType(), Nullable: true}}, nil)
		enc.w = ipc.NewWriterWithPayloadWriter(payloadFunc(s.writeDeltaPayload), ipc.WithSchema(enc.schema), ipc.WithAllocator(s.mem))
		s.deltaEnc[values.DataType().ID()] = enc
	}
	s.deltaID = id
	rec := array.NewRecordBatch(enc.schema, []arrow.Array{values}, int64(values.Len()))
	defer rec.Release()
	return enc.w.Write(rec)
}

type deltaEncoder struct {
	w      *ipc.Writer
	schema *arrow.Schema
}

// writeDeltaPayload writes the record batch of a one-column delta
// encoder as a delta dictionary batch (its schema message is dropped).
func (s *segmentFile) writeDeltaPayload(p ipc.Payload) error {
	meta := p.Meta()
	defer meta.Release()
	if messageHeaderType(meta.Bytes()) != fbHeaderRecordBatch {
		return nil
	}
	start := s.pos
	m, body, err := s.comp.compress(&p, meta.Bytes(), fbHeaderRecordBatch, &dictTarget{id: s.deltaID, delta: true})
	if err != nil {
		return err
	}
	metaLen, err := writeMessage(s, m, body)
	if err != nil {
		return err
	}
	s.dicts = append(s.dicts, fileBlock{offset: start, meta: int32(metaLen), body: s.pos - start - int64(metaLen)})
	return nil
}

// payloadFunc is an ipc.PayloadWriter that hands each payload to a func.
type payloadFunc func(ipc.Payload) error

func (f payloadFunc) Start() error                     { return nil }
func (f payloadFunc) WritePayload(p ipc.Payload) error { return f(p) }
func (f payloadFunc) Close() error                     { return nil }

// Close implements ipc.PayloadWriter: end-of-stream marker, then footer.
func (s *segmentFile) Close() error {
	if _, err := s.Write([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}); err != nil {
		return err
	}
	footer, err := buildFooter(s.schema, s.dicts, s.recs)
	if err != nil {
		return err
	}
	if _, err := s.Write(footer); err != nil {
		return err
	}
	var size [4]byte
	binary.LittleEndian.PutUint32(size[:], uint32(len(footer)))
	if _, err := s.Write(size[:]); err != nil {
		return err
	}
	_, err = s.Write(fileMagic[:6])
	return err
}

// writeBatch appends a record batch and pushes it to the kernel, so that a
// crash of the recorder loses at most the batch being built.
func (s *segmentFile) writeBatch(rec arrow.RecordBatch) error {
	if err := s.ipcw.Write(rec); err != nil {
		return fmt.Errorf("write segment %s: %w", s.path, err)
	}
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("write segment %s: %w", s.path, err)
	}
	return nil
}

// finish writes the footer, syncs and closes the file, and returns its
// size and sha256. On success spare gets the buffer and compressor for
// the next segment; on failure they are released.
func (s *segmentFile) finish(spare *segmentSpare) (int64, string, error) {
	err := s.ipcw.Close()
	if err == nil {
		err = s.bw.Flush()
	}
	if err == nil {
		err = s.f.Sync()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.comp.close()
		return 0, "", fmt.Errorf("finish segment %s: %w", s.path, err)
	}
	spare.close()
	*spare = segmentSpare{bw: s.bw, comp: s.comp}
	return s.pos, fmt.Sprintf("%x", s.sum.Sum(nil)), nil
}

// abandon closes the file without a footer (used on write errors).
func (s *segmentFile) abandon() {
	if s.comp != nil {
		s.comp.close()
	}
	_ = s.bw.Flush()
	_ = s.f.Close()
}

// messageHeaderType reads Message.header_type from a message flatbuffer.
func messageHeaderType(msg []byte) byte {
	t, ok := rootTable(msg)
	if !ok {
		return 0
	}
	if o := t.Offset(6); o != 0 {
		return t.GetByte(flatbuffers.UOffsetT(o) + t.Pos)
	}
	return 0
}

// rootTable returns the root table of a flatbuffer, checking bounds.
func rootTable(buf []byte) (flatbuffers.Table, bool) {
	if len(buf) < 8 {
		return flatbuffers.Table{}, false
	}
	pos := flatbuffers.GetUOffsetT(buf)
	if int(pos)+4 > len(buf) {
		return flatbuffers.Table{}, false
	}
	vt := int64(pos) - int64(flatbuffers.GetSOffsetT(buf[pos:]))
	if vt < 0 || vt+4 > int64(len(buf)) {
		return flatbuffers.Table{}, false
	}
	return flatbuffers.Table{Bytes: buf, Pos: pos}, true
}

// buildFooter builds the Arrow file Footer flatbuffer. The schema is the
// one of the stream's schema message: its bytes are embedded whole, and
// the footer points at the Schema table inside them (flatbuffer offsets
// are relative, so the embedded tables stay valid).
func buildFooter(schemaMsg []byte, dicts, recs []fileBlock) ([]byte, error) {
	t, ok := rootTable(schemaMsg)
	if !ok || messageHeaderType(schemaMsg) != fbHeaderSchema {
		return nil, errors.New("build footer: no schema message was written")
	}
	o := t.Offset(8) // Message.header
	if o == 0 {
		return nil, errors.New("build footer: schema message has no header")
	}
	schemaPos := t.Indirect(flatbuffers.UOffsetT(o) + t.Pos)

	b := flatbuffers.NewBuilder(len(schemaMsg) + 64 + 24*(len(dicts)+len(recs)))
	b.Prep(8, len(schemaMsg))
	blob := b.CreateByteVector(schemaMsg)
	schemaRef := blob - flatbuffers.UOffsetT(flatbuffers.SizeUOffsetT) - schemaPos

	blocks := func(bs []fileBlock) flatbuffers.UOffsetT {
		b.StartVector(24, len(bs), 8)
		for i := len(bs) - 1; i >= 0; i-- {
			b.Prep(8, 24)
			b.PrependInt64(bs[i].body)
			b.Pad(4)
			b.PrependInt32(bs[i].meta)
			b.PrependInt64(bs[i].offset)
		}
		return b.EndVector(len(bs))
	}
	dictVec := blocks(dicts)
	recVec := blocks(recs)

	b.StartObject(5)
	b.PrependInt16Slot(0, fbMetadataV5, 0)
	b.PrependUOffsetTSlot(1, schemaRef, 0)
	b.PrependUOffsetTSlot(2, dictVec, 0)
	b.PrependUOffsetTSlot(3, recVec, 0)
	b.Finish(b.EndObject())
	out := b.FinishedBytes()
	// Keep the trailer 8-byte aligned like arrow's own writer does.
	if pad := (8 - len(out)%8) % 8; pad > 0 {
		out = append(out, make([]byte, pad)...)
	}
	return out, nil
}

var _ io.Writer = (*segmentFile)(nil)
