package format

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestCompressedBufferLayout checks each way appendBuffer stores a
// buffer against Arrow's layout: an 8-byte uncompressed length then a
// zstd frame, or -1 then the bytes as they are.
func TestCompressedBufferLayout(t *testing.T) {
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rand.N(256))
	}
	tests := []struct {
		name       string
		src        []byte
		compressed bool
	}{
		{"zeros come from the cached frame", make([]byte, 4096), true},
		{"zeros again, cache hit", make([]byte, 4096), true},
		{"repetitive bytes compress", bytes.Repeat([]byte("/usr/lib/x86_64-linux-gnu/"), 100), true},
		{"random bytes are stored as is", random, false},
		{"a tiny buffer is stored as is", []byte("tiny"), false},
	}
	c, err := newBodyCompressor()
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("before")
			out := c.appendBuffer(append([]byte(nil), prefix...), tt.src)
			if !bytes.HasPrefix(out, prefix) {
				t.Fatal("appendBuffer changed what was already in dst")
			}
			out = out[len(prefix):]
			n := int64(binary.LittleEndian.Uint64(out))
			var got []byte
			if n == -1 {
				got = out[8:]
			} else {
				if n != int64(len(tt.src)) {
					t.Fatalf("length prefix %d, want %d", n, len(tt.src))
				}
				if got, err = dec.DecodeAll(out[8:], nil); err != nil {
					t.Fatal(err)
				}
			}
			if (n != -1) != tt.compressed {
				t.Errorf("compressed = %v, want %v", n != -1, tt.compressed)
			}
			if !bytes.Equal(got, tt.src) {
				t.Errorf("stored buffer reads back different bytes")
			}
		})
	}
}
