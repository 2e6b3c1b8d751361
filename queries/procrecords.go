//go:build duckdb_arrow

package queries

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/rewind-sh/rewind/format"
)

// cell reads row i of a batch's columns for offerAttributes, whatever
// integer or string layout the batch has (DuckDB's or the recording's):
// each accessor returns the value, whether it is not null, and the rank
// it is offered at.
type cell struct {
	cols *rowCols
	i    int
}

func (c cell) i64(col format.ColumnID, at rank) (int64, bool, rank) {
	v, ok := intAt(c.cols[col], c.i)
	return v, ok, at
}

func (c cell) i32(col format.ColumnID, at rank) (int32, bool, rank) {
	v, ok := intAt(c.cols[col], c.i)
	return int32(v), ok, at
}

func (c cell) u32(col format.ColumnID, at rank) (uint32, bool, rank) {
	v, ok := intAt(c.cols[col], c.i)
	return uint32(v), ok, at
}

func (c cell) u64(col format.ColumnID, at rank) (uint64, bool, rank) {
	v, ok := u64At(c.cols[col], c.i)
	return v, ok, at
}

func (c cell) bool(col format.ColumnID, at rank) (bool, bool, rank) {
	x, ok := c.cols[col].(*array.Boolean)
	if !ok || x.IsNull(c.i) {
		return false, false, at
	}
	return x.Value(c.i), true, at
}

func (c cell) str(col format.ColumnID, at rank) (string, bool, rank) {
	s, ok := stringAt(c.cols[col], c.i)
	return s, ok, at
}

func (c cell) list(col format.ColumnID, at rank) ([]string, bool, rank) {
	l, ok := listAt(c.cols[col], c.i)
	return l, ok, at
}

// intAt reads an integer or timestamp; false when null or a is nil.
func intAt(a arrow.Array, i int) (int64, bool) {
	if a == nil || a.IsNull(i) {
		return 0, false
	}
	switch x := a.(type) {
	case *array.Int64:
		return x.Value(i), true
	case *array.Int32:
		return int64(x.Value(i)), true
	case *array.Int16:
		return int64(x.Value(i)), true
	case *array.Int8:
		return int64(x.Value(i)), true
	case *array.Uint64:
		return int64(x.Value(i)), true
	case *array.Uint32:
		return int64(x.Value(i)), true
	case *array.Uint16:
		return int64(x.Value(i)), true
	case *array.Uint8:
		return int64(x.Value(i)), true
	case *array.Timestamp:
		return int64(x.Value(i)), true
	}
	return 0, false
}

func u64At(a arrow.Array, i int) (uint64, bool) {
	if x, ok := a.(*array.Uint64); ok && x.IsValid(i) {
		return x.Value(i), true
	}
	v, ok := intAt(a, i)
	return uint64(v), ok
}

func stringAt(a arrow.Array, i int) (string, bool) {
	if a == nil || a.IsNull(i) {
		return "", false
	}
	switch x := a.(type) {
	case *array.String:
		return x.Value(i), true
	case *array.LargeString:
		return x.Value(i), true
	case *array.StringView:
		return x.Value(i), true
	case *array.Dictionary:
		return stringAt(x.Dictionary(), x.GetValueIndex(i))
	}
	return "", false
}

// listAt reads a list of strings.
func listAt(a arrow.Array, i int) ([]string, bool) {
	if a == nil || a.IsNull(i) {
		return nil, false
	}
	var vals arrow.Array
	var start, end int64
	switch x := a.(type) {
	case *array.List:
		start, end = x.ValueOffsets(i)
		vals = x.ListValues()
	case *array.LargeList:
		start, end = x.ValueOffsets(i)
		vals = x.ListValues()
	default:
		return nil, false
	}
	out := make([]string, 0, end-start)
	for j := start; j < end; j++ {
		s, _ := stringAt(vals, int(j))
		out = append(out, s)
	}
	return out, true
}

// procRecord is _proc3: one row per instance, the columns of
// setup/finish.sql's input.
func procRecord(order []*inst) arrow.RecordBatch {
	ts := &arrow.TimestampType{Unit: arrow.Nanosecond}
	str, i32, i64, u32, u64, b := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64,
		arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Uint64, arrow.FixedWidthTypes.Boolean
	fields := []arrow.Field{
		{Name: "proc_id", Type: str}, {Name: "pid", Type: i32}, {Name: "gen", Type: i64},
		{Name: "parent_proc_id", Type: str}, {Name: "ppid", Type: i32},
		{Name: "start_t", Type: i64}, {Name: "end_t", Type: i64},
		{Name: "exit_code", Type: i32}, {Name: "exit_signal", Type: i32},
		{Name: "forked_here", Type: b}, {Name: "in_keyframe", Type: b},
		{Name: "exec_count", Type: i64}, {Name: "last_exec_t", Type: i64},
		{Name: "comm", Type: str}, {Name: "exe_path", Type: str}, {Name: "argv", Type: arrow.ListOf(str)},
		{Name: "cwd", Type: str}, {Name: "interpreter", Type: str},
		{Name: "exe_dev", Type: u64}, {Name: "exe_ino", Type: u64},
		{Name: "exe_ctime", Type: ts}, {Name: "exe_mtime", Type: ts},
		{Name: "exe_size", Type: i64}, {Name: "exe_mode", Type: u32},
		{Name: "exe_upper_layer", Type: b}, {Name: "exe_from_memfd", Type: b}, {Name: "exe_writable", Type: b},
		{Name: "image_known", Type: b}, {Name: "image_from", Type: str},
		{Name: "uid", Type: u32}, {Name: "gid", Type: u32}, {Name: "euid", Type: u32}, {Name: "egid", Type: u32},
		{Name: "loginuid", Type: u32}, {Name: "vpid", Type: i32}, {Name: "tty", Type: u32}, {Name: "sid", Type: i32},
		{Name: "container_id", Type: str}, {Name: "container_runtime", Type: str}, {Name: "cgroup_id", Type: u64},
		{Name: "pid_ns", Type: u32}, {Name: "mnt_ns", Type: u32}, {Name: "net_ns", Type: u32}, {Name: "user_ns", Type: u32},
	}
	for i := range fields {
		fields[i].Nullable = true
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer rb.Release()
	f := func(i int) array.Builder { return rb.Field(i) }
	for _, p := range order {
		appendStr(f(0), p.id, true)
		f(1).(*array.Int32Builder).Append(p.pid)
		f(2).(*array.Int64Builder).Append(p.gen)
		appendStr(f(3), p.parentID, p.parentID != "")
		appendI32(f(4), p.parentPid, p.firstPpid.ok || p.forkParent.ok)
		f(5).(*array.Int64Builder).Append(p.startT)
		appendI64(f(6), p.exitT.v, p.exitT.ok)
		appendI32(f(7), p.exitCode.v, p.exitCode.ok)
		appendI32(f(8), p.exitSignal.v, p.exitSignal.ok)
		f(9).(*array.BooleanBuilder).Append(p.forked)
		f(10).(*array.BooleanBuilder).Append(p.inKeyframe)
		f(11).(*array.Int64Builder).Append(p.execCount)
		appendI64(f(12), p.lastExec.v, p.lastExec.ok)
		appendStr(f(13), p.comm.v, p.comm.ok)
		appendStr(f(14), p.exePath.v, p.exePath.ok)
		lb := f(15).(*array.ListBuilder)
		if p.argv.ok {
			lb.Append(true)
			for _, a := range p.argv.v {
				lb.ValueBuilder().(*array.StringBuilder).Append(a)
			}
		} else {
			lb.AppendNull()
		}
		appendStr(f(16), p.cwd.v, p.cwd.ok)
		appendStr(f(17), p.interpreter.v, p.interpreter.ok)
		appendU64(f(18), p.dev.v, p.dev.ok)
		appendU64(f(19), p.ino.v, p.ino.ok)
		appendTs(f(20), p.ctime.v, p.ctime.ok)
		appendTs(f(21), p.mtime.v, p.mtime.ok)
		appendI64(f(22), p.size.v, p.size.ok)
		appendU32(f(23), p.mode.v, p.mode.ok)
		appendBool(f(24), p.upper.v, p.upper.ok)
		appendBool(f(25), p.memfd.v, p.memfd.ok)
		appendBool(f(26), p.writable.v, p.writable.ok)
		f(27).(*array.BooleanBuilder).Append(p.imageKnown)
		appendStr(f(28), p.imageFrom, p.imageFrom != "")
		appendU32(f(29), p.uid.v, p.uid.ok)
		appendU32(f(30), p.gid.v, p.gid.ok)
		appendU32(f(31), p.euid.v, p.euid.ok)
		appendU32(f(32), p.egid.v, p.egid.ok)
		appendU32(f(33), p.lu.v, p.lu.ok)
		appendI32(f(34), p.vpid.v, p.vpid.ok)
		appendU32(f(35), p.tty.v, p.tty.ok)
		appendI32(f(36), p.sid.v, p.sid.ok)
		appendStr(f(37), p.container.v, p.container.ok)
		appendStr(f(38), p.runtime.v, p.runtime.ok)
		appendU64(f(39), p.cgroup.v, p.cgroup.ok)
		appendU32(f(40), p.pidNs.v, p.pidNs.ok)
		appendU32(f(41), p.mntNs.v, p.mntNs.ok)
		appendU32(f(42), p.netNs.v, p.netNs.ok)
		appendU32(f(43), p.usr.v, p.usr.ok)
	}
	return rb.NewRecordBatch()
}

// treeRecord is _tree: position of every instance reachable from a root.
func treeRecord(order []*inst) arrow.RecordBatch {
	fields := []arrow.Field{
		{Name: "proc_id", Type: arrow.BinaryTypes.String}, {Name: "pid", Type: arrow.PrimitiveTypes.Int32},
		{Name: "depth", Type: arrow.PrimitiveTypes.Int32}, {Name: "tree_key", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)},
		{Name: "lineage", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32)}, {Name: "ancestor_ids", Type: arrow.ListOf(arrow.BinaryTypes.String)},
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer rb.Release()
	for _, p := range order {
		if !p.reached {
			continue
		}
		rb.Field(0).(*array.StringBuilder).Append(p.id)
		rb.Field(1).(*array.Int32Builder).Append(p.pid)
		rb.Field(2).(*array.Int32Builder).Append(p.depth)
		kb := rb.Field(3).(*array.ListBuilder)
		kb.Append(true)
		kb.ValueBuilder().(*array.Int64Builder).AppendValues(p.treeKey, nil)
		lb := rb.Field(4).(*array.ListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.Int32Builder).AppendValues(p.lineage, nil)
		ab := rb.Field(5).(*array.ListBuilder)
		ab.Append(true)
		sb := ab.ValueBuilder().(*array.StringBuilder)
		for _, a := range p.ancestors {
			// One at a time: AppendValues reserves exactly and so
			// copies the whole buffer on every call.
			sb.Append(a)
		}
	}
	return rb.NewRecordBatch()
}

func appendStr(b array.Builder, v string, ok bool) {
	if !ok {
		b.AppendNull()
		return
	}
	b.(*array.StringBuilder).Append(v)
}

func appendI32(b array.Builder, v int32, ok bool) {
	if !ok {
		b.AppendNull()
		return
	}
	b.(*array.Int32Builder).Append(v)
}

func appendI64(b array.Builder, v int64, ok bool) {
	if !ok {
		b.AppendNull()
		return
	}
	b.(*array.Int64Builder).Append(v)
}

func appendU32(b array.Builder, v uint32, ok bool) {
	if !ok {
		b.AppendNull()
		return
	}
	b.(*array.Uint32Builder).Append(v)
}

func appendU64(b array.Builder, v uint64, ok bool) {
	if !ok {
		b.AppendNull()
		return
	}
	b.(*array.Uint64Builder).Append(v)
}

func appendTs(b array.Builder, v int64, ok bool) {
	if !ok {
		b.AppendNull()
		return
	}
	b.(*array.TimestampBuilder).Append(arrow.Timestamp(v))
}

func appendBool(b array.Builder, v, ok bool) {
	if !ok {
		b.AppendNull()
		return
	}
	b.(*array.BooleanBuilder).Append(v)
}
