//go:build duckdb_arrow

package queries

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/rewind-sh/rewind/format"
)

// The tree and the timeline of one process need the instances of its
// subtree, not the process tables of the whole recording: those take
// every column of every lifecycle row through DuckDB. This file reads
// them straight from the recording, in two passes:
//
//  1. the structure, from the few narrow columns every instance needs
//     (pid, tid, ppid, child_pid, ret, start_ts),
//     noting each batch's time span and which batches hold which rows;
//  2. the attributes of the subtree's instances and their ancestors (an
//     image can be inherited down a fork chain), from only the batches
//     that hold their rows, and the exe_hash and user rows for hashes
//     and user names.
//
// The scoped instances are loaded as the table subprocsTable, with the
// columns of processes the named query reads, and the named query runs
// on it in place of processes (scopedSQL). The instances are built by
// the same code as the process tables (procbuild.go), and
// TestScopedQueriesMatchTheProcessTables checks that the answers are
// the same.

// subprocsTable stands for processes in a scoped query; as long as
// "processes", so that error positions stay where they are in the file.
const subprocsTable = "_subprocs"

// scopedSQL replaces the one "FROM processes" of a named query with the
// scoped table. The query must read no other derived table: the process
// tables are not built for it.
func scopedSQL(text string) (string, error) {
	const from = "FROM processes\n"
	if strings.Count(text, from) != 1 {
		return "", fmt.Errorf("internal: the query does not read processes exactly once as %q", strings.TrimSpace(from))
	}
	return strings.Replace(text, from, "FROM "+subprocsTable+"\n", 1), nil
}

// structureColumns are what the structure pass reads (ts and kind too).
var structureColumns = []format.ColumnID{format.ColPid, format.ColTid, format.ColPpid, format.ColChildPid,
	format.ColRet, format.ColStartTs}

// structureKinds are the kinds of the rows the structure pass reads.
var structureKinds = format.SetOf(format.KindExec, format.KindFork, format.KindExit, format.KindKeyframe,
	format.KindExeHash, format.KindUser)

// treeColumns are the attributes the process-tree query shows, and those
// they derive from (the image identity and the exe_hash and user rows).
var treeColumns = []format.ColumnID{format.ColExitCode, format.ColExePath, format.ColExeDev, format.ColExeIno,
	format.ColExeCtime, format.ColExeMtime, format.ColExeSize, format.ColArgv,
	format.ColUID, format.ColEUID, format.ColContainerID, format.ColSha256, format.ColUserName}

// batchKey names a batch of a scan.
type batchKey struct {
	segment string
	index   int
}

// batchInfo is what the structure pass learned about one batch.
type batchInfo struct {
	first        int64 // position of its first row in the recording
	minTs, maxTs int64 // time span (minTs > maxTs: no row with a time)
	names        bool  // holds exe_hash or user rows
	pidLo, pidHi int   // its distinct pids: recordingProcs.pids[pidLo:pidHi]
}

// recordingProcs are the process instances of a recording, built from
// its structure columns.
type recordingProcs struct {
	*instances
	rows    []instRow // in (t, ord) order
	batches []batchInfo
	byBatch map[batchKey]int32
	pids    []int32 // the distinct pids of each batch, when asked for
}

// readStructure is pass 1. withPids notes the distinct pids of every
// batch, for batchFilter.
func readStructure(ctx context.Context, src Source, withPids bool) (*recordingProcs, error) {
	rp := &recordingProcs{byBatch: map[batchKey]int32{}}
	var distinct pidSet
	var m batchMapper
	var cols rowCols
	var ord int64
	// Rows are kept in chunks while reading, then put together once:
	// appending to one slice would copy it over and over. The first
	// chunk holds as many rows as the manifest says there are, so that
	// most recordings need no second one and no copy.
	var chunks [][]instRow
	chunk := make([]instRow, 0, max(instRowsHint(src), 1<<16))
	opts := format.ScanOptions{Kinds: structureKinds, Columns: structureColumns}
	err := src.Scan(opts, func(b *format.Batch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		kinds, err := m.load(b, &cols)
		if err != nil {
			return err
		}
		n := int(b.Record.NumRows())
		id := int32(len(rp.batches))
		info := batchInfo{first: ord, minTs: math.MaxInt64, maxTs: math.MinInt64}
		if ts, ok := cols[format.ColTs].(*array.Timestamp); ok {
			if ts.NullN() == 0 && ts.Len() > 0 {
				vals := ts.TimestampValues()
				info.minTs, info.maxTs = int64(slices.Min(vals)), int64(slices.Max(vals))
			} else {
				for i, t := range ts.TimestampValues() {
					if ts.IsValid(i) {
						info.minTs, info.maxTs = min(info.minTs, int64(t)), max(info.maxTs, int64(t))
					}
				}
			}
		}
		pids := valuesOf[int32, *array.Int32](&cols, format.ColPid)
		tids := valuesOf[int32, *array.Int32](&cols, format.ColTid)
		ppids := valuesOf[int32, *array.Int32](&cols, format.ColPpid)
		children := valuesOf[int32, *array.Int32](&cols, format.ColChildPid)
		rets := valuesOf[int64, *array.Int64](&cols, format.ColRet)
		times := valuesOf[arrow.Timestamp, *array.Timestamp](&cols, format.ColTs)
		starts := valuesOf[arrow.Timestamp, *array.Timestamp](&cols, format.ColStartTs)
		// Most rows are of other kinds: pass over them by their
		// dictionary index alone.
		wanted := kinds.indexesOf(structureKinds)
		for i := 0; i < n && kinds.col != nil; i++ {
			if !wanted[kinds.values[i]] || kinds.nulls && kinds.col.IsNull(i) {
				continue
			}
			k := kinds.byIdx[kinds.values[i]]
			switch k {
			case format.KindExeHash, format.KindUser:
				info.names = true
				continue
			case format.KindExec, format.KindFork, format.KindExit, format.KindKeyframe:
			default:
				continue
			}
			pid, pidOK := pids.at(i)
			tid, tidOK := tids.at(i)
			child, childOK := children.at(i)
			ret, retOK := rets.at(i)
			if !isInstRow(k, pid, tid, child, pidOK, tidOK, childOK, ret, retOK) {
				continue
			}
			row := instRow{kind: k, ord: ord + int64(i), batch: id, row: int32(i)}
			ppid, ppidOK := ppids.at(i)
			row.setPids(pid, ppid, child, ppidOK)
			t, _ := times.at(i)
			start, startOK := starts.at(i)
			row.t, row.startT, row.startOK = int64(t), int64(start), startOK
			if len(chunk) == cap(chunk) {
				chunks = append(chunks, chunk)
				chunk = make([]instRow, 0, 1<<16)
			}
			chunk = append(chunk, row)
		}
		if withPids {
			info.pidLo = len(rp.pids)
			if pids, ok := cols[format.ColPid].(*array.Int32); ok {
				rp.pids = distinct.appendDistinct(rp.pids, pids)
			}
			info.pidHi = len(rp.pids)
		}
		ord += int64(n)
		rp.byBatch[batchKey{b.Segment, b.Index}] = id
		rp.batches = append(rp.batches, info)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read process structure: %w", err)
	}
	if len(chunks) == 0 {
		rp.rows = chunk
	} else {
		chunks = append(chunks, chunk)
		n := 0
		for _, c := range chunks {
			n += len(c)
		}
		rp.rows = make([]instRow, 0, n)
		for _, c := range chunks {
			rp.rows = append(rp.rows, c...)
		}
	}
	slices.SortFunc(rp.rows, func(a, b instRow) int {
		if a.t != b.t {
			if a.t < b.t {
				return -1
			}
			return 1
		}
		return int(a.ord - b.ord)
	})
	rp.instances, rp.rows = buildInstances(rp.rows, false)
	return rp, nil
}

// instRowsHint is how many instance rows src may hold, at most, by its
// manifest's rows per kind: 0 when it does not say. Capped at 2M rows
// (96 MB), so that a damaged manifest cannot make one allocation large
// enough to fail; a recording with more reads them in chunks.
func instRowsHint(src Source) int {
	rec, ok := src.(*format.Recording)
	if !ok || rec.Manifest == nil {
		return 0
	}
	var n uint64
	for _, seg := range rec.Manifest.Segments {
		for _, k := range []format.Kind{format.KindExec, format.KindFork, format.KindExit, format.KindKeyframe} {
			n += seg.RowsByKind[k.String()]
		}
	}
	return int(min(n, 1<<21))
}

// isInstRow is instRowsSQL's filter.
func isInstRow(kind format.Kind, pid, tid, childPid int32, pidOK, tidOK, childOK bool, ret int64, retOK bool) bool {
	switch kind {
	case format.KindExec, format.KindKeyframe:
		return !retOK || ret == 0
	case format.KindExit:
		return pidOK && tidOK && tid == pid
	case format.KindFork:
		return childOK && pidOK && childPid != pid
	}
	return false
}

// selectInstances returns the instances the process-tree and timeline
// queries select from processes: those of pid and below it (every one
// when pid is 0), alive at at (any time when 0).
func (rp *recordingProcs) selectInstances(pid, at int64) []*inst {
	var below []bool
	if pid != 0 && int64(int32(pid)) == pid {
		below = rp.below(int32(pid))
	}
	var out []*inst
	for i := range rp.core {
		c := &rp.core[i]
		if pid != 0 && int64(c.pid) != pid && (below == nil || !below[i]) {
			continue
		}
		if at != 0 && (c.startT > at || c.has(hasExit) && c.exitT <= at) {
			continue
		}
		out = append(out, rp.inst(int32(i)))
	}
	return out
}

// names are the hashes and user names the tree shows (hashes and users
// of setup/tables.sql).
type names struct {
	sha256 map[hashKey]*latest[string]
	users  map[uint32]*latest[string]
}

// hashKey is an executable identity; a null part is zero and not ok, so
// that equal keys are IS NOT DISTINCT FROM.
type hashKey struct {
	dev, ino              uint64
	ctime, mtime, size    int64
	ctimeOK, mtimeOK, sOK bool
}

func (n *names) hash(p *inst) (string, bool) {
	if !p.dev.ok || !p.ino.ok {
		return "", false
	}
	h := n.sha256[hashKey{p.dev.v, p.ino.v, p.ctime.v, p.mtime.v, p.size.v, p.ctime.ok, p.mtime.ok, p.size.ok}]
	if h == nil || !h.ok {
		return "", false
	}
	return h.v, true
}

func (n *names) user(uid latest[uint32]) (string, bool) {
	if !uid.ok {
		return "", false
	}
	u := n.users[uid.v]
	if u == nil || !u.ok {
		return "", false
	}
	return u.v, true
}

// readAttributes is pass 2: the attributes of sel and of their
// ancestors, and the hashes and user names.
func (rp *recordingProcs) readAttributes(ctx context.Context, src Source, sel []*inst) (*names, error) {
	need := make([]bool, len(rp.core))
	var needed []*inst
	for _, p := range sel {
		for q := p; q != nil && !need[q.index]; q = q.parent {
			need[q.index] = true
			needed = append(needed, q)
			if !q.reached {
				break // not in the tree: inherits nothing
			}
		}
	}
	for _, p := range needed {
		p.withAttrs()
	}
	rowsOf := map[int32][]*instRow{}
	for i := range rp.rows {
		if r := &rp.rows[i]; need[r.inst] {
			rowsOf[r.batch] = append(rowsOf[r.batch], r)
		}
	}
	n := &names{sha256: map[hashKey]*latest[string]{}, users: map[uint32]*latest[string]{}}
	var m batchMapper
	var cols rowCols
	opts := format.ScanOptions{
		Columns: treeColumns,
		Batch: func(segment string, index int) bool {
			id, ok := rp.byBatch[batchKey{segment, index}]
			return !ok || rp.batches[id].names || rowsOf[id] != nil
		},
	}
	err := src.Scan(opts, func(b *format.Batch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		id, ok := rp.byBatch[batchKey{b.Segment, b.Index}]
		if !ok {
			return nil // appended after the structure was read
		}
		kinds, err := m.load(b, &cols)
		if err != nil {
			return err
		}
		for _, r := range rowsOf[id] {
			offerAttributes(rp.objs[r.inst], r, &cols, int(r.row))
		}
		if rp.batches[id].names {
			n.add(kinds, &cols, rp.batches[id].first, int(b.Record.NumRows()))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read process attributes: %w", err)
	}
	for _, p := range needed {
		resolveImage(p)
	}
	return n, nil
}

// add takes the exe_hash and user rows of a batch.
func (n *names) add(kinds kindColumn, cols *rowCols, first int64, rows int) {
	for i := 0; i < rows; i++ {
		k := kinds.at(i)
		if k != format.KindExeHash && k != format.KindUser {
			continue
		}
		t, _ := intAt(cols[format.ColTs], i)
		at := rank{t, first + int64(i)}
		if k == format.KindUser {
			uid, ok := intAt(cols[format.ColUID], i)
			if !ok {
				continue
			}
			u := n.users[uint32(uid)]
			if u == nil {
				u = &latest[string]{}
				n.users[uint32(uid)] = u
			}
			s, ok := stringAt(cols[format.ColUserName], i)
			u.offer(s, ok, at)
			continue
		}
		dev, devOK := u64At(cols[format.ColExeDev], i)
		ino, inoOK := u64At(cols[format.ColExeIno], i)
		if !devOK || !inoOK {
			continue // joins nothing
		}
		key := hashKey{dev: dev, ino: ino}
		key.ctime, key.ctimeOK = intAt(cols[format.ColExeCtime], i)
		key.mtime, key.mtimeOK = intAt(cols[format.ColExeMtime], i)
		key.size, key.sOK = intAt(cols[format.ColExeSize], i)
		h := n.sha256[key]
		if h == nil {
			h = &latest[string]{}
			n.sha256[key] = h
		}
		s, ok := stringAt(cols[format.ColSha256], i)
		h.offer(s, ok, at)
	}
}

// values reads a column of a batch that batchMapper checked, typed; an
// absent column is null.
type values[T ~int32 | ~int64] struct {
	a    arrow.Array
	vals []T
}

// valuesOf returns column c of cols, or an absent column when it is not
// an A.
func valuesOf[T ~int32 | ~int64, A interface {
	arrow.Array
	Values() []T
}](cols *rowCols, c format.ColumnID) values[T] {
	if a, ok := cols[c].(A); ok {
		return values[T]{a, a.Values()}
	}
	return values[T]{}
}

func (v values[T]) at(i int) (T, bool) {
	if v.a == nil || v.a.IsNull(i) {
		return 0, false
	}
	return v.vals[i], true
}

// batchMapper finds a batch's columns by name, as scanReader.conform
// does: a segment of an older, smaller schema reads its missing columns
// as null, and a column of another type is an error.
type batchMapper struct {
	schema *arrow.Schema
	ids    []format.ColumnID // per field; -1: not a recording column
}

// kindColumn reads the kind of each row of a batch.
type kindColumn struct {
	col    *array.Dictionary
	nulls  bool // col has nulls
	byIdx  []format.Kind
	values []int32
}

// indexesOf returns, per dictionary index, whether it names a kind of
// set.
func (k kindColumn) indexesOf(set format.KindSet) []bool {
	out := make([]bool, len(k.byIdx))
	for i, kind := range k.byIdx {
		out[i] = set.Has(kind)
	}
	return out
}

func (k kindColumn) at(i int) format.Kind {
	if k.col == nil || k.nulls && k.col.IsNull(i) {
		return format.KindInvalid
	}
	return k.byIdx[k.values[i]]
}

// load points cols at b's columns and returns its kinds.
func (m *batchMapper) load(b *format.Batch, cols *rowCols) (kindColumn, error) {
	rec := b.Record
	if m.schema == nil || (m.schema != rec.Schema() && !m.schema.Equal(rec.Schema())) {
		ids := make([]format.ColumnID, rec.NumCols())
		for i, f := range rec.Schema().Fields() {
			c, ok := columnByName[f.Name]
			if !ok {
				ids[i] = -1
				continue
			}
			if !arrow.TypeEqual(sqlType(f.Type), sqlSchema.Field(int(c)).Type) {
				return kindColumn{}, fmt.Errorf("segment %s batch %d: column %s has type %s, want %s",
					b.Segment, b.Index, f.Name, f.Type, format.Columns[c].Type)
			}
			ids[i] = c
		}
		m.schema, m.ids = rec.Schema(), ids
	}
	*cols = rowCols{}
	for i, c := range m.ids {
		if c >= 0 {
			cols[c] = rec.Column(i)
		}
	}
	var k kindColumn
	if d, ok := cols[format.ColKind].(*array.Dictionary); ok {
		names, ok := d.Dictionary().(*array.String)
		if !ok {
			return kindColumn{}, fmt.Errorf("segment %s batch %d: column kind does not hold strings", b.Segment, b.Index)
		}
		k.col, k.nulls, k.values = d, d.NullN() > 0, d.Indices().(*array.Int32).Int32Values()
		for i := 0; i < names.Len(); i++ {
			kind, err := format.ParseKind(names.Value(i))
			if err != nil {
				kind = format.KindInvalid
			}
			k.byIdx = append(k.byIdx, kind)
		}
	}
	return k, nil
}

// timeWindows are disjoint, sorted [start, end] intervals.
type timeWindows [][2]int64

// windowsOf returns the spans of sel's instances (to the end of time for
// those that did not end) within [since, until) (0: unbounded), merged.
func windowsOf(sel []*inst, since, until int64) timeWindows {
	var w timeWindows
	for _, p := range sel {
		start, end := p.startT, int64(math.MaxInt64)
		if p.exitT.ok {
			end = p.exitT.v
		}
		if since != 0 {
			start = max(start, since)
		}
		if until != 0 {
			end = min(end, until-1)
		}
		if start <= end {
			w = append(w, [2]int64{start, end})
		}
	}
	slices.SortFunc(w, func(a, b [2]int64) int {
		switch {
		case a[0] < b[0]:
			return -1
		case a[0] > b[0]:
			return 1
		}
		return 0
	})
	var out timeWindows
	for _, x := range w {
		if n := len(out); n > 0 && x[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], x[1])
			continue
		}
		out = append(out, x)
	}
	return out
}

// overlaps reports whether [lo, hi] meets a window.
func (w timeWindows) overlaps(lo, hi int64) bool {
	// The first window that ends at or after lo.
	i := sort.Search(len(w), func(i int) bool { return w[i][1] >= lo })
	return i < len(w) && w[i][0] <= hi
}

// batchFilter accepts the batches that hold a row of an instance of sel
// within its lifetime and [since, until) (0: unbounded): a batch with
// one of the instance's pid whose time span meets the instance's. It
// accepts the batches the structure pass did not see. The structure
// must have been read withPids.
func (rp *recordingProcs) batchFilter(sel []*inst, since, until int64) func(segment string, index int) bool {
	byPid := map[int32][]*inst{}
	for _, p := range sel {
		byPid[p.pid] = append(byPid[p.pid], p)
	}
	windows := map[int32]timeWindows{}
	for pid, ps := range byPid {
		windows[pid] = windowsOf(ps, since, until)
	}
	accept := make([]bool, len(rp.batches))
	for id, b := range rp.batches {
		if b.minTs > b.maxTs {
			continue
		}
		for _, pid := range rp.pids[b.pidLo:b.pidHi] {
			if w, ok := windows[pid]; ok && w.overlaps(b.minTs, b.maxTs) {
				accept[id] = true
				break
			}
		}
	}
	return func(segment string, index int) bool {
		id, ok := rp.byBatch[batchKey{segment, index}]
		return !ok || accept[id]
	}
}

// pidSet finds the distinct pids of a batch: an open-addressing table,
// emptied after each batch by the list of what it holds.
type pidSet struct {
	slots []int64 // pid - MinInt32 + 1; 0 is empty
}

// appendDistinct appends the distinct non-null pids of col to out.
func (s *pidSet) appendDistinct(out []int32, col *array.Int32) []int32 {
	size := 1024
	for size < 2*col.Len() {
		size *= 2
	}
	if len(s.slots) < size {
		s.slots = make([]int64, size)
	}
	slots := s.slots[:size]
	mask := uint32(size - 1)
	start := len(out)
	prev, havePrev := int32(0), false
	vals := col.Int32Values()
	for i, pid := range vals {
		if col.IsNull(i) || havePrev && pid == prev {
			continue
		}
		prev, havePrev = pid, true
		key := int64(pid) - math.MinInt32 + 1
		for h := (uint32(pid) * 2654435761) & mask; ; h = (h + 1) & mask {
			if slots[h] == key {
				break
			}
			if slots[h] == 0 {
				slots[h] = key
				out = append(out, pid)
				break
			}
		}
	}
	for _, pid := range out[start:] {
		for h := (uint32(pid) * 2654435761) & mask; slots[h] != 0; h = (h + 1) & mask {
			slots[h] = 0
		}
	}
	return out
}

// treeScopeRecord is subprocsTable for the process-tree query: the
// columns of processes it reads, with their types there.
func treeScopeRecord(sel []*inst, n *names) arrow.RecordBatch {
	ts := &arrow.TimestampType{Unit: arrow.Nanosecond}
	str, i32, i64 := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64
	fields := []arrow.Field{
		{Name: "proc_id", Type: str}, {Name: "parent_proc_id", Type: str}, {Name: "depth", Type: i32},
		{Name: "pid", Type: i32}, {Name: "ppid", Type: i32}, {Name: "start_ts", Type: ts}, {Name: "end_ts", Type: ts},
		{Name: "exit_code", Type: i32}, {Name: "exe_path", Type: str}, {Name: "sha256", Type: str},
		{Name: "user_name", Type: str}, {Name: "euser_name", Type: str}, {Name: "container_id", Type: str},
		{Name: "argv", Type: arrow.ListOf(str)}, {Name: "lineage", Type: arrow.ListOf(i32)},
		{Name: "start_t", Type: i64}, {Name: "end_t", Type: i64}, {Name: "tree_key", Type: arrow.ListOf(i64)},
	}
	for i := range fields {
		fields[i].Nullable = true
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer rb.Release()
	f := func(i int) array.Builder { return rb.Field(i) }
	for _, p := range sel {
		sha, shaOK := n.hash(p)
		user, userOK := n.user(p.uid)
		euser, euserOK := n.user(p.euid)
		appendStr(f(0), p.id, true)
		appendStr(f(1), p.parentID, p.parentID != "")
		appendI32(f(2), p.depth, p.reached)
		f(3).(*array.Int32Builder).Append(p.pid)
		appendI32(f(4), p.parentPid, p.firstPpid.ok || p.forkParent.ok)
		appendTs(f(5), p.startT, true)
		appendTs(f(6), p.exitT.v, p.exitT.ok)
		appendI32(f(7), p.exitCode.v, p.exitCode.ok)
		appendStr(f(8), p.exePath.v, p.exePath.ok)
		appendStr(f(9), sha, shaOK)
		appendStr(f(10), user, userOK)
		appendStr(f(11), euser, euserOK)
		appendStr(f(12), p.container.v, p.container.ok)
		appendStrings(f(13), p.argv.v, p.argv.ok)
		appendInt32s(f(14), p.lineage, p.reached)
		f(15).(*array.Int64Builder).Append(p.startT)
		appendI64(f(16), p.exitT.v, p.exitT.ok)
		appendInt64s(f(17), p.treeKey, p.reached)
	}
	return rb.NewRecordBatch()
}

// timelineScopeRecord is subprocsTable for the timeline query.
func timelineScopeRecord(sel []*inst) arrow.RecordBatch {
	fields := []arrow.Field{
		{Name: "proc_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "pid", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "start_t", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "end_t", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "lineage", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer rb.Release()
	for _, p := range sel {
		appendStr(rb.Field(0), p.id, true)
		rb.Field(1).(*array.Int32Builder).Append(p.pid)
		rb.Field(2).(*array.Int64Builder).Append(p.startT)
		appendI64(rb.Field(3), p.exitT.v, p.exitT.ok)
		appendInt32s(rb.Field(4), p.lineage, p.reached)
	}
	return rb.NewRecordBatch()
}

func appendStrings(b array.Builder, v []string, ok bool) {
	lb := b.(*array.ListBuilder)
	if !ok {
		lb.AppendNull()
		return
	}
	lb.Append(true)
	sb := lb.ValueBuilder().(*array.StringBuilder)
	for _, s := range v {
		sb.Append(s)
	}
}

func appendInt32s(b array.Builder, v []int32, ok bool) {
	lb := b.(*array.ListBuilder)
	if !ok {
		lb.AppendNull()
		return
	}
	lb.Append(true)
	lb.ValueBuilder().(*array.Int32Builder).AppendValues(v, nil)
}

func appendInt64s(b array.Builder, v []int64, ok bool) {
	lb := b.(*array.ListBuilder)
	if !ok {
		lb.AppendNull()
		return
	}
	lb.Append(true)
	lb.ValueBuilder().(*array.Int64Builder).AppendValues(v, nil)
}

// scopedNamed is the named query name, and its text rewritten by
// scopedSQL to read the subtree table.
func scopedNamed(name string) (*NamedQuery, string, error) {
	q, _ := Named(name)
	text, err := scopedSQL(q.SQL)
	return q, text, err
}

// processTree runs the process-tree query with args (its $pid and $at)
// on the instances of pid's subtree alive at at (0: all), read straight
// from the recording, into sink.
func (r *Runner) processTree(ctx context.Context, pid, at int64, args []any, sink Sink) error {
	q, text, err := scopedNamed("process-tree")
	if err != nil {
		return err
	}
	if err := r.lockOpen(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	rp, err := readStructure(ctx, r.src, false)
	if err != nil {
		return err
	}
	sel := rp.selectInstances(pid, at)
	n, err := rp.readAttributes(ctx, r.src, sel)
	if err != nil {
		return err
	}
	if err := r.loadArrow(ctx, subprocsTable, treeScopeRecord(sel, n)); err != nil {
		return err
	}
	defer r.conn.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+subprocsTable)
	return r.queryLocked(ctx, q.Name, text, sink, nil, args)
}

// timeline runs the timeline query with args on the instances of the
// subtree of opts.Pid, read straight from the recording, into sink. The
// recording stream then hands DuckDB only the rows of the subtree's
// pids, within its lifetime and the window, from the batches that span
// that lifetime.
func (r *Runner) timeline(ctx context.Context, opts TimelineOptions, args []any, sink Sink) error {
	q, text, err := scopedNamed("timeline")
	if err != nil {
		return err
	}
	if err := r.lockOpen(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	rp, err := readStructure(ctx, r.src, true)
	if err != nil {
		return err
	}
	sel := rp.selectInstances(opts.Pid, 0)
	if err := r.loadArrow(ctx, subprocsTable, timelineScopeRecord(sel)); err != nil {
		return err
	}
	defer r.conn.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+subprocsTable)
	hint := &rowHint{pids: map[int32]bool{int32(opts.Pid): true}, since: opts.Since, until: opts.Until}
	for _, p := range sel {
		hint.pids[p.pid] = true
	}
	w := windowsOf(sel, opts.Since, opts.Until)
	hint.batch = rp.batchFilter(sel, opts.Since, opts.Until)
	if len(w) > 0 {
		if first := w[0][0]; first > hint.since {
			hint.since = first
		}
		if last := w[len(w)-1][1]; last < math.MaxInt64 && (hint.until == 0 || last+1 < hint.until) {
			hint.until = last + 1
		}
	}
	return r.queryLocked(ctx, q.Name, text, sink, hint, args)
}
