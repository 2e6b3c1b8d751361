package format

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// A projected scan decompresses tens of full-width column buffers per
// batch (most of them mostly null), so allocating each one fresh made
// the reader spend as much time zeroing new memory and collecting the
// old as decoding it. decodePool recycles them instead: a buffer goes to
// arrow wrapped with the pool as its allocator, and comes back when its
// last reference is released (the scan releases the batch after the
// callback; a caller that retained an array returns it when it releases
// it). Buffers whose bytes may outlive every Arrow reference, the value
// bytes of string columns (array.String.Value returns a string that
// aliases them), are never pooled.

const (
	minPoolShift = 10 // 1 KiB: smaller buffers are cheap to allocate
	maxPoolShift = 26 // 64 MiB: larger than any real column buffer
)

// decodeSlack is the spare capacity past a buffer's decompressed size
// that lets the zstd decoder use its fast block copies, which may write
// up to 16 bytes past the end of the output.
const decodeSlack = 64

// bufferPool hands out byte slices by power-of-two capacity class. It
// implements memory.Allocator so that arrow's reference counting returns
// a slice to it (through Free) when the last array using it is released.
type bufferPool struct {
	classes [maxPoolShift + 1]sync.Pool // of *[]byte
}

var decodePool bufferPool

// class returns the capacity class that holds n bytes, or -1 when n is
// outside the pooled range.
func poolClass(n int) int {
	if n <= 0 || n > 1<<maxPoolShift {
		return -1
	}
	c := bits.Len(uint(n - 1))
	if c < minPoolShift {
		return -1
	}
	return c
}

// get returns a slice of length n, not zeroed, from the pool when n is
// in the pooled range.
func (p *bufferPool) get(n int) []byte {
	c := poolClass(n)
	if c < 0 {
		return make([]byte, n)
	}
	if v := p.classes[c].Get(); v != nil {
		return (*v.(*[]byte))[:n]
	}
	return make([]byte, n, 1<<c)
}

// put returns b to the pool if its capacity is exactly a class size
// (anything else, such as a slice the decoder had to regrow, is left to
// the garbage collector).
func (p *bufferPool) put(b []byte) {
	c := poolClass(cap(b))
	if c < 0 || cap(b) != 1<<c {
		return
	}
	b = b[:0]
	p.classes[c].Put(&b)
}

// Allocate is memory.Allocator's: a zeroed slice of size bytes.
func (p *bufferPool) Allocate(size int) []byte {
	b := p.get(size)
	clear(b)
	return b
}

// Reallocate is memory.Allocator's.
func (p *bufferPool) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		old := len(b)
		b = b[:size]
		if size > old {
			clear(b[old:])
		}
		return b
	}
	out := p.Allocate(size)
	copy(out, b)
	p.put(b)
	return out
}

// Free is memory.Allocator's: called when a buffer's last reference is
// released.
func (p *bufferPool) Free(b []byte) { p.put(b) }

// zeroSlab is shared, never written, zero memory: the validity and value
// buffers of a column that is null in every row of a batch read as
// zeros without decompressing anything.
var zeroSlab atomic.Pointer[[]byte]

// zeros returns n bytes of zeros that no one may write to.
func zeros(n int) []byte {
	if z := zeroSlab.Load(); z != nil && len(*z) >= n {
		return (*z)[:n:n]
	}
	size := 1 << 16
	for size < n {
		size *= 2
	}
	z := make([]byte, size)
	zeroSlab.Store(&z) // a racing smaller slab is harmless: both are zeros
	return z[:n:n]
}
