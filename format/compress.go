package format

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/klauspost/compress/zstd"
)

// Why the writer compresses message bodies itself: arrow-go's ipc.Writer
// compresses each buffer through a streaming zstd encoder at the default
// level, allocates a zeroed output buffer of the worst-case size per
// buffer, and checksums every frame; that was about 70% of the writer's
// CPU. bodyCompressor takes the uncompressed messages ipc.Writer
// produces and rewrites each batch as the same Arrow IPC message with
// zstd-compressed buffers (BodyCompression ZSTD, method BUFFER: each
// buffer is an 8-byte little-endian uncompressed length, then one zstd
// frame; a length of -1 marks a buffer stored as is). Any Arrow reader
// reads the result.

// Arrow flatbuffer enum values used below.
const (
	fbCompressionZstd     = 1
	fbCompressionBuffer   = 0
	minCompressibleBuffer = 64 // smaller buffers are stored as is: a frame costs more than it saves
)

// bodyCompressor rewrites record and dictionary batch messages with
// compressed buffers. It keeps its scratch memory between batches.
type bodyCompressor struct {
	enc  *zstd.Encoder
	body []byte      // the compressed body being built
	lens []int64     // the uncompressed buffer lengths, from the metadata
	bufs []bufferRef // where each buffer taken so far lands in body
	pad  int         // padding bytes due before the next buffer
	werr error       // what went wrong while SerializeBody wrote
	b    *flatbuffers.Builder
	// zeroFrames caches the compressed frame of an all-zero buffer by
	// length: a column null in every row of a batch (most per-kind
	// columns in a batch without that kind) has zero-filled buffers, and
	// a batch has only a few distinct buffer lengths.
	zeroFrames map[int][]byte
	// A buffer that repeats an earlier one of the same message is not
	// stored again: its metadata entry points at the earlier bytes (see
	// sameAs). srcs holds each buffer taken so far, as SerializeBody
	// passed it (the payload keeps that memory alive until compress
	// returns); byPrint chains them by fingerprint, latest first.
	srcs    [][]byte
	byPrint map[uint64]int32 // fingerprint -> index+1 of the latest buffer with it
	next    []int32          // index+1 of the previous buffer with the same fingerprint
}

type bufferRef struct{ offset, length int64 }

func newBodyCompressor() (*bodyCompressor, error) {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderCRC(false),
		zstd.WithEncoderConcurrency(1),
		zstd.WithZeroFrames(true),
		zstd.WithLowerEncoderMem(true),
	)
	if err != nil {
		return nil, err
	}
	return &bodyCompressor{enc: enc, b: flatbuffers.NewBuilder(4096), zeroFrames: map[int][]byte{}, byPrint: map[uint64]int32{}}, nil
}

func (c *bodyCompressor) close() { _ = c.enc.Close() }

// dictTarget turns a record batch into a dictionary batch (see
// compress).
type dictTarget struct {
	id    int64
	delta bool
}

// compress returns the message (flatbuffer metadata) and body of payload
// p, a record or dictionary batch written without compression, with its
// buffers compressed. With asDict, p is a one-column record batch that
// is written as the dictionary batch asDict describes.
func (c *bodyCompressor) compress(p *ipc.Payload, meta []byte, header byte, asDict *dictTarget) (newMeta, body []byte, err error) {
	msg, err := fbTableAt(meta, le32(meta, 0))
	if err != nil {
		return nil, nil, err
	}
	hdr, ok, err := msg.sub(2)
	if err != nil || !ok {
		return nil, nil, fmt.Errorf("compress batch: message without header (%v)", err)
	}
	rb := hdr
	var dictID int64
	var isDelta bool
	if header == fbHeaderDictionaryBatch {
		dictID = hdr.int64Field(0)
		if pos := hdr.field(2); pos != 0 {
			isDelta = hdr.buf[pos] != 0
		}
		if rb, ok, err = hdr.sub(1); err != nil || !ok {
			return nil, nil, fmt.Errorf("compress batch: dictionary batch without data (%v)", err)
		}
	}
	if _, ok, _ := rb.sub(3); ok {
		return nil, nil, fmt.Errorf("compress batch: body is already compressed")
	}
	outHeader := header
	if asDict != nil {
		if header != fbHeaderRecordBatch {
			return nil, nil, fmt.Errorf("compress batch: only a record batch can become a dictionary batch")
		}
		outHeader, dictID, isDelta = fbHeaderDictionaryBatch, asDict.id, asDict.delta
	}
	length := rb.int64Field(0)
	nodeStart, nodes, err := rb.vector(1, 16)
	if err != nil {
		return nil, nil, err
	}
	bufStart, nbufs, err := rb.vector(2, 16)
	if err != nil {
		return nil, nil, err
	}

	// SerializeBody writes each non-empty buffer with one Write, in the
	// order of the metadata's buffer list, each followed by its padding
	// to 8 bytes: the buffers are compressed as they come, uncopied.
	c.body = c.body[:0]
	c.bufs = c.bufs[:0]
	c.lens = c.lens[:0]
	for i := 0; i < nbufs; i++ {
		n := int64(binary.LittleEndian.Uint64(rb.buf[bufStart+16*i+8:]))
		if n < 0 {
			return nil, nil, fmt.Errorf("compress batch: buffer %d of %d bytes", i, n)
		}
		c.lens = append(c.lens, n)
	}
	c.pad, c.werr = 0, nil
	c.srcs, c.next = c.srcs[:0], c.next[:0]
	clear(c.byPrint)
	c.takeEmpty()
	err = p.SerializeBody(c)
	clear(c.srcs) // the payload's memory is not ours to hold
	if err != nil {
		return nil, nil, err
	}
	if c.werr == nil && len(c.bufs) != len(c.lens) {
		c.werr = fmt.Errorf("compress batch: body holds %d of %d buffers", len(c.bufs), len(c.lens))
	}
	if c.werr != nil {
		return nil, nil, c.werr
	}

	b := c.b
	b.Reset()
	b.StartVector(16, nodes, 8)
	for i := nodes - 1; i >= 0; i-- {
		b.Prep(8, 16)
		b.PrependInt64(int64(binary.LittleEndian.Uint64(rb.buf[nodeStart+16*i+8:])))
		b.PrependInt64(int64(binary.LittleEndian.Uint64(rb.buf[nodeStart+16*i:])))
	}
	nodeVec := b.EndVector(nodes)
	b.StartVector(16, len(c.bufs), 8)
	for i := len(c.bufs) - 1; i >= 0; i-- {
		b.Prep(8, 16)
		b.PrependInt64(c.bufs[i].length)
		b.PrependInt64(c.bufs[i].offset)
	}
	bufVec := b.EndVector(len(c.bufs))
	b.StartObject(2) // BodyCompression
	b.PrependByteSlot(0, fbCompressionZstd, 0)
	b.PrependByteSlot(1, fbCompressionBuffer, 0)
	comp := b.EndObject()
	b.StartObject(5) // RecordBatch
	b.PrependInt64Slot(0, length, 0)
	b.PrependUOffsetTSlot(1, nodeVec, 0)
	b.PrependUOffsetTSlot(2, bufVec, 0)
	b.PrependUOffsetTSlot(3, comp, 0)
	hdrRef := b.EndObject()
	if outHeader == fbHeaderDictionaryBatch {
		b.StartObject(3)
		b.PrependInt64Slot(0, dictID, 0)
		b.PrependUOffsetTSlot(1, hdrRef, 0)
		b.PrependBoolSlot(2, isDelta, false)
		hdrRef = b.EndObject()
	}
	b.StartObject(5) // Message
	b.PrependInt16Slot(0, fbMetadataV5, 0)
	b.PrependByteSlot(1, outHeader, 0)
	b.PrependUOffsetTSlot(2, hdrRef, 0)
	b.PrependInt64Slot(3, int64(len(c.body)), 0)
	b.Finish(b.EndObject())
	return b.FinishedBytes(), c.body, nil
}

// Write takes one buffer of the body, or the padding after one.
func (c *bodyCompressor) Write(b []byte) (int, error) {
	if c.werr != nil {
		return 0, c.werr
	}
	if c.pad > 0 {
		if len(b) != c.pad {
			c.werr = fmt.Errorf("compress batch: %d bytes where %d bytes of padding were due", len(b), c.pad)
			return 0, c.werr
		}
		c.pad = 0
		return len(b), nil
	}
	i := len(c.bufs)
	if i >= len(c.lens) || int64(len(b)) != c.lens[i] {
		c.werr = fmt.Errorf("compress batch: a %d-byte write does not match buffer %d of the metadata", len(b), i)
		return 0, c.werr
	}
	c.pad = (8 - len(b)%8) % 8
	nz := firstNonZero(b)
	var fp uint64
	if len(b) >= minCompressibleBuffer {
		fp = fingerprint(b, nz)
		if j := c.sameAs(b, fp, nz); j >= 0 {
			c.take(b, c.bufs[j], fp)
			return len(b), nil
		}
	}
	start := int64(len(c.body))
	c.body = c.appendBuffer(c.body, b, nz == len(b))
	ref := bufferRef{start, int64(len(c.body)) - start}
	for len(c.body)%8 != 0 {
		c.body = append(c.body, 0)
	}
	c.take(b, ref, fp)
	return len(b), nil
}

// take records buffer b as stored at ref, then the empty buffers that
// follow it in the list.
func (c *bodyCompressor) take(b []byte, ref bufferRef, fp uint64) {
	c.bufs = append(c.bufs, ref)
	c.srcs = append(c.srcs, b)
	c.next = append(c.next, 0)
	if fp != 0 {
		i := len(c.bufs) - 1
		c.next[i] = c.byPrint[fp]
		c.byPrint[fp] = int32(i + 1)
	}
	c.takeEmpty()
}

// maxSameAsTries bounds the earlier buffers compared with each new one,
// in case many unequal buffers share a fingerprint.
const maxSameAsTries = 8

// sameAs returns the index of an earlier buffer of the message that
// holds the same bytes as b, or -1. Columns often repeat each other in a
// batch (pid and tid, uid and euid, path and path_raw, the all-null
// buffers of one length); storing the bytes once saves the encoding and
// the space. Arrow readers read each buffer by offset and length, so two
// entries may point at the same bytes. nz is b's first non-zero byte:
// both buffers are zero before it, as they share its fingerprint.
func (c *bodyCompressor) sameAs(b []byte, fp uint64, nz int) int {
	j := c.byPrint[fp]
	for tries := 0; j != 0 && tries < maxSameAsTries; tries++ {
		if prev := c.srcs[j-1]; len(prev) == len(b) && bytes.Equal(prev[nz:], b[nz:]) {
			return int(j - 1)
		}
		j = c.next[j-1]
	}
	return -1
}

// fingerprint digests a buffer's length, its first non-zero byte (at nz)
// and the 8 bytes from there, and 16 words spread over the rest: equal
// buffers share it, and sparse unequal ones (zero up to a row of their
// kind) rarely do. It is never 0.
func fingerprint(b []byte, nz int) uint64 {
	const prime = 0x9E3779B97F4A7C15
	h := (uint64(len(b)) ^ uint64(nz)<<32) * prime
	if nz+8 <= len(b) {
		h = (h ^ binary.LittleEndian.Uint64(b[nz:])) * prime
	}
	if step := len(b) / 16; step >= 8 {
		for i := 0; i+8 <= len(b); i += step {
			h = (h ^ binary.LittleEndian.Uint64(b[i:])) * prime
		}
	}
	h = (h ^ binary.LittleEndian.Uint64(b[len(b)-8:])) * prime
	return h | 1
}

// takeEmpty records the empty buffers next in the list: SerializeBody
// writes nothing for them.
func (c *bodyCompressor) takeEmpty() {
	for len(c.bufs) < len(c.lens) && c.lens[len(c.bufs)] == 0 {
		c.bufs = append(c.bufs, bufferRef{int64(len(c.body)), 0})
		c.srcs = append(c.srcs, nil)
		c.next = append(c.next, 0)
	}
}

// appendBuffer appends one buffer in Arrow's compressed buffer layout.
// zero tells that src holds only zero bytes.
func (c *bodyCompressor) appendBuffer(dst, src []byte, zero bool) []byte {
	var prefix [8]byte
	at := len(dst)
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(src)))
	dst = append(dst, prefix[:]...)
	if len(src) >= minCompressibleBuffer && zero {
		frame, ok := c.zeroFrames[len(src)]
		if !ok {
			frame = c.enc.EncodeAll(src, nil)
			if len(c.zeroFrames) >= 64 {
				clear(c.zeroFrames)
			}
			c.zeroFrames[len(src)] = frame
		}
		return append(dst, frame...)
	}
	if len(src) >= minCompressibleBuffer {
		dst = c.enc.EncodeAll(src, dst)
		if len(dst)-at-8 < len(src) {
			return dst
		}
		dst = dst[:at+8]
	}
	// Stored as is: cheaper to read, and no larger.
	binary.LittleEndian.PutUint64(dst[at:], ^uint64(0))
	return append(dst, src...)
}

// writeMessage writes an IPC message (continuation marker, padded
// metadata length, metadata, padding, body) and returns the metadata
// part's length, as the file footer's blocks count it.
func writeMessage(w interface{ Write([]byte) (int, error) }, meta, body []byte) (int, error) {
	padded := len(meta) + 8
	if r := padded % 8; r != 0 {
		padded += 8 - r
	}
	var head [8]byte
	binary.LittleEndian.PutUint32(head[:4], 0xFFFFFFFF)
	binary.LittleEndian.PutUint32(head[4:], uint32(padded-8))
	var zeros [8]byte
	for _, part := range [][]byte{head[:], meta, zeros[:padded-8-len(meta)], body} {
		if _, err := w.Write(part); err != nil {
			return 0, err
		}
	}
	return padded, nil
}

// firstNonZero returns the index of b's first non-zero byte, or len(b).
func firstNonZero(b []byte) int {
	i := 0
	// 32 bytes a step while all zero: most buffers of a batch that are
	// zero (null columns) are long, and one test per four words halves
	// the scan.
	for ; i+32 <= len(b); i += 32 {
		w := b[i : i+32 : i+32]
		if binary.LittleEndian.Uint64(w)|binary.LittleEndian.Uint64(w[8:])|binary.LittleEndian.Uint64(w[16:])|binary.LittleEndian.Uint64(w[24:]) != 0 {
			break
		}
	}
	for ; i+8 <= len(b); i += 8 {
		if w := binary.LittleEndian.Uint64(b[i:]); w != 0 {
			return i + bits.TrailingZeros64(w)/8
		}
	}
	for ; i < len(b); i++ {
		if b[i] != 0 {
			return i
		}
	}
	return i
}
