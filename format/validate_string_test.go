package format

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestValidateStringAgreesWithArrow checks that the projected reader's
// string check accepts and rejects exactly what array.ValidateFull does.
func TestValidateStringAgreesWithArrow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		offsets  []int32
		values   string
		validity []byte // nil: no bitmap
		nulls    int
	}{
		{"ascii", []int32{0, 1, 3, 3}, "abc", nil, 0},
		{"multibyte", []int32{0, 2, 5}, "é€", nil, 0},
		{"split rune", []int32{0, 1, 2}, "é", nil, 0},
		{"empty value before split", []int32{0, 0, 1, 2}, "é", nil, 0},
		{"invalid byte", []int32{0, 1, 2}, "a\xff", nil, 0},
		{"truncated rune at end", []int32{0, 1, 2}, "a\xc3", nil, 0},
		{"offset past rune start", []int32{1, 2}, "é", nil, 0},
		{"decreasing offsets", []int32{0, 2, 1}, "ab", nil, 0},
		{"negative first offset", []int32{-1, 1}, "ab", nil, 0},
		{"nulls match bitmap", []int32{0, 1, 1}, "a", []byte{0b01}, 1},
		{"nulls disagree with bitmap", []int32{0, 1, 1}, "a", []byte{0b11}, 1},
		{"nulls without bitmap", []int32{0, 1, 1}, "a", nil, 1},
		{"nonzero start", []int32{1, 2, 4}, "xaé", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var validity *memory.Buffer
			if tc.validity != nil {
				validity = memory.NewBufferBytes(tc.validity)
			}
			data := array.NewData(arrow.BinaryTypes.String, len(tc.offsets)-1, []*memory.Buffer{
				validity, memory.NewBufferBytes(asBytes(tc.offsets)), memory.NewBufferBytes([]byte(tc.values)),
			}, nil, tc.nulls, 0)
			defer data.Release()
			arr := array.NewStringData(data)
			defer arr.Release()
			want := array.ValidateFull(arr) == nil
			if got := validateString(arr) == nil; got != want {
				t.Errorf("validateString accepts: %v, array.ValidateFull accepts: %v", got, want)
			}
		})
	}
}
