package format

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// Value returns row i of column c as a plain Go value, or nil when null:
// int32, int64, uint16, uint32, uint64, bool, string, time.Time (UTC),
// []string, []uint64 or []KindCount. It is meant for generic output
// (dump, exports), not for hot loops.
func (b *Batch) Value(c ColumnID, i int) any {
	col := b.cols[c]
	if col == nil || col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.Int32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Uint16:
		return a.Value(i)
	case *array.Uint32:
		return a.Value(i)
	case *array.Uint64:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Timestamp:
		return time.Unix(0, int64(a.Value(i))).UTC()
	case *array.String, *array.Dictionary:
		return b.String(c, i)
	case *array.List:
		start, end := a.ValueOffsets(i)
		switch vals := a.ListValues().(type) {
		case *array.String:
			out := make([]string, 0, end-start)
			for j := start; j < end; j++ {
				out = append(out, vals.Value(int(j)))
			}
			return out
		case *array.Uint64:
			return append([]uint64(nil), vals.Uint64Values()[start:end]...)
		}
	case *array.Map:
		start, end := a.ValueOffsets(i)
		keys, items := a.Keys().(*array.String), a.Items().(*array.Uint64)
		out := make([]KindCount, 0, end-start)
		for j := start; j < end; j++ {
			out = append(out, KindCount{Kind: keys.Value(int(j)), Count: items.Value(int(j))})
		}
		return out
	}
	return fmt.Sprint(col.GetOneForMarshal(i))
}

// FormatValue renders a Value as text: times in RFC 3339 with ns, lists
// space-separated with shell-style quoting where needed, counts as
// kind=n pairs, nil as "".
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			if s == "" || strings.ContainsAny(s, " \t\n\"'\\") {
				s = strconv.Quote(s)
			}
			parts[i] = s
		}
		return strings.Join(parts, " ")
	case []uint64:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = strconv.FormatUint(n, 10)
		}
		return strings.Join(parts, " ")
	case []KindCount:
		parts := make([]string, len(x))
		for i, kc := range x {
			parts[i] = kc.Kind + "=" + strconv.FormatUint(kc.Count, 10)
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprint(v)
}

// FieldValue is one non-null column of a row.
type FieldValue struct {
	Col   ColumnID
	Value any
}

// Fields appends row i's non-null columns, in schema order, to dst.
func (b *Batch) Fields(i int, dst []FieldValue) []FieldValue {
	for c := ColumnID(0); c < NumColumns; c++ {
		if v := b.Value(c, i); v != nil {
			dst = append(dst, FieldValue{c, v})
		}
	}
	return dst
}
