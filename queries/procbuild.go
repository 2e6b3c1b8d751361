//go:build duckdb_arrow

package queries

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/rewind-sh/rewind/format"
)

// This file builds the process instances in Go. The model is stated in
// SQL in testdata/reference_instances.sql (see its comments);
// TestGoBuiltTablesMatchSQL keeps the two equal, column by column. Go
// instead of SQL because the SQL takes a dozen statements over wide
// rows, several times slower on recordings with many processes.
//
// The work is split so that it can be done for part of a recording's
// processes: the structure (instances, starts, ends, parents, the tree)
// from a few narrow columns of every instance row, then the attributes
// (image, user, container, ...) from the rows of the instances wanted,
// then the images forks inherit. buildProcessTables does it all for the
// process tables, reading the rows from _life; scope.go does it straight
// from the recording for one subtree (tree and timeline).

// instRowsSQL selects the rows that make process instances, in time
// order.
const instRowsSQL = `SELECT rowid AS rid, kind, t, pid, tid, ppid, child_pid, epoch_ns(start_ts) AS start_t,
       exit_code, exit_signal, exe_path, exe_dev, exe_ino, exe_ctime, exe_mtime, exe_size, exe_mode,
       exe_upper_layer, exe_from_memfd, exe_writable, argv, cwd, interpreter, tty, sid, container_runtime,
       comm, uid, gid, euid, egid, loginuid, vpid, container_id, cgroup_id, pid_ns, mnt_ns, net_ns, user_ns
FROM _life
WHERE (kind IN ('exec', 'keyframe') AND coalesce(ret, 0) = 0)
   OR (kind = 'exit' AND tid = pid)
   OR (kind = 'fork' AND child_pid IS NOT NULL AND child_pid <> pid)
ORDER BY t, rid`

// A rank orders the rows offering a value: by key (a time), then by the
// row's position in the recording, the earlier row winning a tie as in
// a pass over the rows in (t, position) order. Ranking by position too
// lets the rows be offered in any order.
type rank struct{ key, ord int64 }

// A latest keeps the value of the row with the highest key seen so far,
// among rows where the value is not null (DuckDB's arg_max).
type latest[T any] struct {
	v  T
	at rank
	ok bool
}

func (l *latest[T]) offer(v T, valid bool, at rank) {
	if valid && (!l.ok || at.key > l.at.key || at.key == l.at.key && at.ord < l.at.ord) {
		l.v, l.at, l.ok = v, at, true
	}
}

// earliest is arg_min.
type earliest[T any] struct {
	v  T
	at rank
	ok bool
}

func (l *earliest[T]) offer(v T, valid bool, at rank) {
	if valid && (!l.ok || at.key < l.at.key || at.key == l.at.key && at.ord < l.at.ord) {
		l.v, l.at, l.ok = v, at, true
	}
}

type minMax struct {
	v  int64
	ok bool
}

func (m *minMax) min(v int64, valid bool) {
	if valid && (!m.ok || v < m.v) {
		m.v, m.ok = v, true
	}
}

func (m *minMax) max(v int64, valid bool) {
	if valid && (!m.ok || v > m.v) {
		m.v, m.ok = v, true
	}
}

// instRow is one row that makes process instances, with the columns the
// structure needs; the attribute columns stay in the batch it points to.
type instRow struct {
	t, ord              int64 // event time; position in the recording
	startT              int64 // exec and keyframe: the process start
	kind                format.Kind
	pid, ppid, childPid int32 // pid is 0 when null
	ppidOK, startOK     bool
	batch               int32 // which batch holds the row (the reader's numbering)
	row                 int32 // the row in that batch
	inst                int32 // its instance, once built: an index into instances.order
}

// priority is the key of the row for the columns every row offers: a
// fork row describes the parent, so it counts only when no other row of
// the instance does (2^62 exceeds any ns time).
func (r *instRow) priority() rank {
	if r.kind == format.KindFork {
		return rank{r.t - 4611686018427387904, r.ord}
	}
	return rank{r.t, r.ord}
}

// inst is one process instance being built.
type inst struct {
	pid   int32
	index int32 // in instances.order
	gen   int64

	// structure
	forkParent                                         earliest[int32]
	forkT, execStart, kfStart, firstT, exitT, lastExec minMax
	firstPpid                                          earliest[int32]
	execCount                                          int64
	inKeyframe                                         bool

	// attributes: allocated for the instances whose attributes are read
	*instAttrs

	// derived
	id, parentID string
	parent       *inst
	parentPid    int32
	startT       int64
	imageKnown   bool
	imageFrom    string
	inheritedAt  int
	resolved     bool // imageKnown holds inheritance (resolveImage)
	children     []*inst
	depth        int32
	treeKey      []int64
	lineage      []int32
	ancestors    []string
	reached      bool // walked from a root: in _tree
}

// instAttrs are an instance's attributes, apart so that the structure
// of many instances stays small.
type instAttrs struct {
	exitCode, exitSignal latest[int32]

	imagePath, cwd, interpreter, runtime latest[string]
	argv                                 latest[[]string]
	ctime, mtime, size                   latest[int64]
	mode, tty                            latest[uint32]
	sid                                  latest[int32]
	upper, memfd, writable               latest[bool]

	exePath, comm, container latest[string]
	dev, ino, cgroup         latest[uint64]
	uid, gid, euid, egid, lu latest[uint32]
	pidNs, mntNs, netNs, usr latest[uint32]
	vpid                     latest[int32]
}

// withAttrs makes p's attributes, all null, unless they exist.
func (p *inst) withAttrs() {
	if p.instAttrs == nil {
		p.instAttrs = &instAttrs{}
	}
}

// instances is the structure of a recording's process instances.
type instances struct {
	pids  pidTable
	order []*inst // in order of first row
}

// pidInstances are the instances of one pid.
type pidInstances struct {
	pid   int32
	exits []int64 // leader exit times, sorted
	gen0  *inst   // generation 0 (most pids have no other)
	later []*inst // generations 1...; nil for a generation without rows

	laterExecStart minMax // continuedExits' walk: earliest start of the execs after it
}

// genAt is the generation of the pid at time t: the leader exits before
// it.
func (pi *pidInstances) genAt(t int64) int64 {
	return int64(sort.Search(len(pi.exits), func(i int) bool { return pi.exits[i] >= t }))
}

func (pi *pidInstances) gen(g int64) *inst {
	if g == 0 {
		return pi.gen0
	}
	if g <= int64(len(pi.later)) {
		return pi.later[g-1]
	}
	return nil
}

func (pi *pidInstances) setGen(g int64, p *inst) {
	if g == 0 {
		pi.gen0 = p
		return
	}
	for int64(len(pi.later)) < g {
		pi.later = append(pi.later, nil)
	}
	pi.later[g-1] = p
}

// pidTable finds the instances of a pid: open addressing over entries
// held in one slice, so that a pid costs no allocation of its own. A
// pointer it returns is good until the next insertion.
type pidTable struct {
	slots   []pidSlot
	entries []pidInstances
}

// pidSlot holds its pid, so that a probe reads the slots alone.
type pidSlot struct {
	pid   int32
	entry int32 // index + 1 in entries; 0: empty
}

func (t *pidTable) slot(pid int32) uint32 { return uint32(pid) * 2654435761 }

// get returns the instances of pid, nil when it has none and create is
// false.
func (t *pidTable) get(pid int32, create bool) *pidInstances {
	if len(t.slots) > 0 {
		mask := uint32(len(t.slots) - 1)
		for h := t.slot(pid) & mask; t.slots[h].entry != 0; h = (h + 1) & mask {
			if t.slots[h].pid == pid {
				return &t.entries[t.slots[h].entry-1]
			}
		}
	}
	if !create {
		return nil
	}
	if 2*(len(t.entries)+1) > len(t.slots) {
		t.grow()
	}
	t.entries = append(t.entries, pidInstances{pid: pid})
	t.put(pid, int32(len(t.entries)))
	return &t.entries[len(t.entries)-1]
}

func (t *pidTable) put(pid, entry int32) {
	mask := uint32(len(t.slots) - 1)
	h := t.slot(pid) & mask
	for t.slots[h].entry != 0 {
		h = (h + 1) & mask
	}
	t.slots[h] = pidSlot{pid, entry}
}

func (t *pidTable) grow() {
	t.slots = make([]pidSlot, max(1024, 2*len(t.slots)))
	for i := range t.entries {
		t.put(t.entries[i].pid, int32(i+1))
	}
}

// reserve makes room for n pids.
func (t *pidTable) reserve(n int) {
	t.entries = slices.Grow(t.entries, n)
	for len(t.slots) < 2*n {
		t.grow()
	}
}

// at returns the instance of pid live at time t, if it has rows.
func (t *pidTable) at(pid int32, when int64) *inst {
	if pi := t.get(pid, false); pi != nil {
		return pi.gen(pi.genAt(when))
	}
	return nil
}

// buildInstances makes the instances of rows, which must be in (t, ord)
// order, and their tree: ids, starts, parents, depth, tree keys and
// lineage (and ancestor ids when ancestors is set). It drops the leader
// exits that did not end their process (continuedExits) and returns the
// rows it kept, in order, each pointing at its instance. Attributes and
// image inheritance come after.
func buildInstances(rows []instRow, ancestors bool) (*instances, []instRow) {
	// A process has about two instance rows (fork, exit; an exec or two).
	s := &instances{order: make([]*inst, 0, len(rows)*3/5)}
	s.pids.reserve(len(rows) * 3 / 5)
	// Leader exits first: a row's generation counts the exits before it.
	rows = continuedExits(rows, &s.pids)
	for i := range s.pids.entries {
		slices.Sort(s.pids.entries[i].exits)
	}
	var slab []inst // instances are allocated a slab at a time
	for i := range rows {
		r := &rows[i]
		t, at := r.t, rank{r.t, r.ord}
		ipid, keyT := r.pid, t
		if r.kind == format.KindFork {
			ipid, keyT = r.childPid, t-1_000_000_000
		}
		pi := s.pids.get(ipid, true)
		gen := pi.genAt(keyT)
		p := pi.gen(gen)
		if p == nil {
			if len(slab) == cap(slab) {
				slab = make([]inst, 0, 1024)
			}
			slab = append(slab, inst{pid: ipid, gen: gen, index: int32(len(s.order))})
			p = &slab[len(slab)-1]
			pi.setGen(gen, p)
			s.order = append(s.order, p)
		}
		r.inst = p.index
		p.firstT.min(t, true)
		switch r.kind {
		case format.KindFork:
			p.forkParent.offer(r.pid, true, at)
			p.forkT.min(t, true)
		case format.KindExec:
			p.execStart.min(r.startT, r.startOK)
			p.execCount++
			p.lastExec.max(t, true)
		case format.KindKeyframe:
			p.kfStart.min(r.startT, r.startOK)
			p.inKeyframe = true
		case format.KindExit:
			p.exitT.max(t, true)
		}
		if r.kind != format.KindFork {
			p.firstPpid.offer(r.ppid, r.ppidOK, at)
		}
	}
	// Instance ids, starts, parents.
	for _, p := range s.order {
		p.id = strconv.FormatInt(int64(p.pid), 10) + ":" + strconv.FormatInt(p.gen, 10)
	}
	for _, p := range s.order {
		switch {
		case p.execStart.ok:
			p.startT = p.execStart.v
		case p.forkT.ok:
			p.startT = p.forkT.v
		case p.kfStart.ok:
			p.startT = p.kfStart.v
		default:
			p.startT = p.firstT.v
		}
		p.parentPid = p.firstPpid.v
		hasParent := p.firstPpid.ok
		if p.forkParent.ok {
			p.parentPid, hasParent = p.forkParent.v, true
		}
		if hasParent {
			if q := s.pids.at(p.parentPid, p.startT); q != nil {
				p.parentID, p.parent = q.id, q
				q.children = append(q.children, p)
			}
		}
	}
	// Trees: depth, keys, lineage; children by start then pid, as the
	// tree key orders them.
	for _, p := range s.order {
		slices.SortFunc(p.children, func(x, y *inst) int {
			if x.startT != y.startT {
				return cmp.Compare(x.startT, y.startT)
			}
			return cmp.Compare(x.pid, y.pid)
		})
	}
	var walk func(p *inst)
	walk = func(p *inst) {
		p.reached = true
		for _, c := range p.children {
			c.depth = p.depth + 1
			c.treeKey = append(append(make([]int64, 0, len(p.treeKey)+2), p.treeKey...), c.startT, int64(c.pid))
			c.lineage = append([]int32{p.pid}, p.lineage...)
			if ancestors {
				c.ancestors = append([]string{p.id}, p.ancestors...)
			}
			walk(c)
		}
	}
	for _, p := range s.order {
		if p.parentID == "" {
			p.treeKey = []int64{p.startT, int64(p.pid)}
			p.lineage, p.ancestors = []int32{}, []string{}
			walk(p)
		}
	}
	return s, rows
}

// continuedExits notes the leader exits of rows in pids (pidInstances.exits,
// unsorted) and returns rows without those that did not end their
// process, in place.
//
// When a thread other than the leader of a multithreaded process calls
// exec, the kernel ends the other threads, the leader too (de_thread),
// and the exec goes on under the leader's pid, keeping the process's
// start time: the recording holds a leader exit (tid = pid) and then an
// exec of that pid whose start is before the exit. A process that reuses
// the pid is created after the exit, so it starts after it. A leader exit
// followed (in (t, ord) order) by an exec of its pid that started before
// the exit therefore did not end the process: it starts no new
// generation, and it is not the process's end.
func continuedExits(rows []instRow, pids *pidTable) []instRow {
	// Walk backwards, keeping per pid the earliest start of the execs
	// seen so far (those after the row).
	var dropped int
	for i := len(rows) - 1; i >= 0; i-- {
		r := &rows[i]
		switch r.kind {
		case format.KindExec:
			if r.startOK {
				pi := pids.get(r.pid, true)
				pi.laterExecStart.min(r.startT, true)
			}
		case format.KindExit:
			pi := pids.get(r.pid, true)
			if pi.laterExecStart.ok && pi.laterExecStart.v < r.t {
				r.kind = format.KindInvalid // dropped below
				dropped++
				continue
			}
			pi.exits = append(pi.exits, r.t)
		}
	}
	if dropped == 0 {
		return rows
	}
	kept := rows[:0]
	for _, r := range rows {
		if r.kind != format.KindInvalid {
			kept = append(kept, r)
		}
	}
	return kept
}

// rowCols holds one batch's arrays by column id; nil for a column the
// batch does not have (read as null).
type rowCols [format.NumColumns]arrow.Array

// offerAttributes offers row i of cols, which is instance row r, to the
// attributes of its instance p.
func offerAttributes(p *inst, r *instRow, cols *rowCols, i int) {
	p.withAttrs()
	at, pri := rank{r.t, r.ord}, r.priority()
	c := cell{cols, i}
	if r.kind == format.KindExit {
		p.exitCode.offer(c.i32(format.ColExitCode, at))
		p.exitSignal.offer(c.i32(format.ColExitSignal, at))
	}
	if r.kind == format.KindExec || r.kind == format.KindKeyframe {
		p.imagePath.offer(c.str(format.ColExePath, at))
		p.ctime.offer(c.i64(format.ColExeCtime, at))
		p.mtime.offer(c.i64(format.ColExeMtime, at))
		p.size.offer(c.i64(format.ColExeSize, at))
		p.mode.offer(c.u32(format.ColExeMode, at))
		p.upper.offer(c.bool(format.ColExeUpperLayer, at))
		p.memfd.offer(c.bool(format.ColExeFromMemfd, at))
		p.writable.offer(c.bool(format.ColExeWritable, at))
		p.argv.offer(c.list(format.ColArgv, at))
		p.cwd.offer(c.str(format.ColCwd, at))
		p.interpreter.offer(c.str(format.ColInterpreter, at))
		p.tty.offer(c.u32(format.ColTTY, at))
		p.sid.offer(c.i32(format.ColSid, at))
		p.runtime.offer(c.str(format.ColContainerRuntime, at))
	}
	p.exePath.offer(c.str(format.ColExePath, pri))
	p.comm.offer(c.str(format.ColComm, pri))
	p.container.offer(c.str(format.ColContainerID, pri))
	p.dev.offer(c.u64(format.ColExeDev, pri))
	p.ino.offer(c.u64(format.ColExeIno, pri))
	p.cgroup.offer(c.u64(format.ColCgroupID, pri))
	p.uid.offer(c.u32(format.ColUID, pri))
	p.gid.offer(c.u32(format.ColGID, pri))
	p.euid.offer(c.u32(format.ColEUID, pri))
	p.egid.offer(c.u32(format.ColEGID, pri))
	p.lu.offer(c.u32(format.ColLoginUID, pri))
	p.pidNs.offer(c.u32(format.ColPidNs, pri))
	p.mntNs.offer(c.u32(format.ColMntNs, pri))
	p.netNs.offer(c.u32(format.ColNetNs, pri))
	p.usr.offer(c.u32(format.ColUserNs, pri))
	if r.kind != format.KindFork {
		p.vpid.offer(c.i32(format.ColVpid, pri))
	}
}

// resolveImage settles p's image once the attributes of p and of its
// ancestors are in (withAttrs made for each): a fork copies the parent's
// image, so a child that never exec'd takes it when its own rows name
// the same file, down a chain of at most maxForkChain forks. Only
// instances in the tree inherit (as _tree holds them).
func resolveImage(p *inst) {
	var chain []*inst
	for q := p; q != nil && q.reached && !q.resolved; q = q.parent {
		chain = append(chain, q)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		c := chain[i]
		c.resolved = true
		c.imageKnown = c.imagePath.ok
		if q := c.parent; q != nil && !c.imageKnown && q.imageKnown && q.inheritedAt < maxForkChain &&
			same(c.dev, q.dev) && same(c.ino, q.ino) {
			inherit(c, q)
		}
	}
	if !p.resolved { // not in the tree: its own image only
		p.imageKnown = p.imagePath.ok
	}
}

// same is IS NOT DISTINCT FROM.
func same(a, b latest[uint64]) bool { return a.ok == b.ok && (!a.ok || a.v == b.v) }

func inherit(c, p *inst) {
	c.ctime, c.mtime, c.size, c.mode = p.ctime, p.mtime, p.size, p.mode
	c.upper, c.memfd, c.writable = p.upper, p.memfd, p.writable
	c.argv, c.cwd, c.interpreter = p.argv, p.cwd, p.interpreter
	c.imageKnown = true
	c.imageFrom = p.imageFrom
	if c.imageFrom == "" {
		c.imageFrom = p.id
	}
	c.inheritedAt = p.inheritedAt + 1
}

// buildProcessTables reads the instance rows of _life and writes _proc3,
// _tree and _exec_gen.
func (r *Runner) buildProcessTables(ctx context.Context) error {
	rdr, err := r.arrow.QueryContext(ctx, instRowsSQL)
	if err != nil {
		return fmt.Errorf("read instance rows: %w", err)
	}
	defer rdr.Release()
	var (
		recs  []arrow.RecordBatch
		cols  []*rowCols
		rows  []instRow
		execs []instRow
	)
	defer func() {
		for _, rec := range recs {
			rec.Release()
		}
	}()
	for rdr.Next() {
		rec := rdr.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
		c, extra := sqlRowCols(rec)
		cols = append(cols, c)
		for i := 0; i < int(rec.NumRows()); i++ {
			kind, _ := stringAt(extra.kind, i)
			k, err := format.ParseKind(kind)
			if err != nil {
				return fmt.Errorf("read instance rows: %w", err)
			}
			row := instRow{kind: k, batch: int32(len(cols) - 1), row: int32(i)}
			row.t, _ = intAt(extra.t, i)
			row.ord, _ = intAt(extra.rid, i)
			row.startT, row.startOK = intAt(extra.startT, i)
			fillStructure(&row, c, i)
			rows = append(rows, row)
		}
	}
	if err := rdr.Err(); err != nil {
		return fmt.Errorf("read instance rows: %w", err)
	}
	s, rows := buildInstances(rows, true)
	for i := range rows {
		row := &rows[i]
		offerAttributes(s.order[row.inst], row, cols[row.batch], int(row.row))
		if row.kind == format.KindExec {
			execs = append(execs, *row)
		}
	}
	for _, p := range s.order {
		p.withAttrs()
	}
	for _, p := range s.order {
		resolveImage(p)
	}
	if err := r.loadArrow(ctx, "_proc3", procRecord(s.order)); err != nil {
		return err
	}
	if err := r.loadArrow(ctx, "_tree", treeRecord(s.order)); err != nil {
		return err
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{
		{Name: "rid", Type: arrow.PrimitiveTypes.Int64}, {Name: "gen", Type: arrow.PrimitiveTypes.Int64}}, nil))
	defer b.Release()
	for _, e := range execs {
		b.Field(0).(*array.Int64Builder).Append(e.ord)
		b.Field(1).(*array.Int64Builder).Append(s.order[e.inst].gen)
	}
	return r.loadArrow(ctx, "_exec_gen", b.NewRecordBatch())
}

// fillStructure reads the structure columns of instance row i of cols
// into row (all but kind, t, ord and the start, which differ by source).
func fillStructure(row *instRow, cols *rowCols, i int) {
	pid, _ := intAt(cols[format.ColPid], i)
	ppid, ppidOK := intAt(cols[format.ColPpid], i)
	child, _ := intAt(cols[format.ColChildPid], i)
	row.pid, row.ppid, row.childPid = int32(pid), int32(ppid), int32(child)
	row.ppidOK = ppidOK
}

// sqlExtra are the columns of an instRowsSQL result that are not
// recording columns.
type sqlExtra struct {
	kind, t, rid, startT arrow.Array
}

// sqlRowCols maps a DuckDB result's columns to recording columns by
// name.
func sqlRowCols(rec arrow.RecordBatch) (*rowCols, sqlExtra) {
	var cols rowCols
	var extra sqlExtra
	for i, f := range rec.Schema().Fields() {
		switch f.Name {
		case "kind":
			extra.kind = rec.Column(i)
		case "t":
			extra.t = rec.Column(i)
		case "rid":
			extra.rid = rec.Column(i)
		case "start_t":
			extra.startT = rec.Column(i)
		default:
			if c, ok := columnByName[f.Name]; ok {
				cols[c] = rec.Column(i)
			}
		}
	}
	return &cols, extra
}

var columnByName = func() map[string]format.ColumnID {
	m := make(map[string]format.ColumnID, len(format.Columns))
	for i, c := range format.Columns {
		m[c.Name] = format.ColumnID(i)
	}
	return m
}()

// loadArrow writes rec into a new temporary table.
func (r *Runner) loadArrow(ctx context.Context, table string, rec arrow.RecordBatch) error {
	defer rec.Release()
	rdr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
	if err != nil {
		return fmt.Errorf("build table %s: %w", table, err)
	}
	defer rdr.Release()
	release, err := r.arrow.RegisterView(rdr, table+"_src")
	if err != nil {
		return fmt.Errorf("build table %s: %w", table, err)
	}
	defer release()
	// SELECT * reads every column in order, which is what a registered
	// stream can serve (see plan.go).
	if _, err := r.conn.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE "+table+" AS SELECT * FROM "+table+"_src"); err != nil {
		return fmt.Errorf("build table %s: %w", table, err)
	}
	_, err = r.conn.ExecContext(ctx, "DROP VIEW "+table+"_src")
	return err
}
