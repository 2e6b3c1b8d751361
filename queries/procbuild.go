//go:build duckdb_arrow

package queries

import (
	"context"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// This file builds the process instance tables (_proc3, _tree and
// _exec_gen) in Go, in one pass over the instance rows of _life. The
// model is stated in SQL in testdata/reference_instances.sql (see its
// comments); TestGoBuiltTablesMatchSQL keeps the two equal, column by
// column. Go instead of SQL because the SQL takes a dozen statements
// over wide rows, several times slower on recordings with many
// processes.

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

// A latest keeps the value of the row with the highest key seen so far,
// among rows where the value is not null (DuckDB's arg_max).
type latest[T any] struct {
	v   T
	key int64
	ok  bool
}

func (l *latest[T]) offer(v T, valid bool, key int64) {
	if valid && (!l.ok || key > l.key) {
		l.v, l.key, l.ok = v, key, true
	}
}

// earliest is arg_min.
type earliest[T any] struct {
	v   T
	key int64
	ok  bool
}

func (l *earliest[T]) offer(v T, valid bool, key int64) {
	if valid && (!l.ok || key < l.key) {
		l.v, l.key, l.ok = v, key, true
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

// inst is one process instance being built.
type inst struct {
	pid int32
	gen int64

	forkParent                                         earliest[int32]
	forkT, execStart, kfStart, firstT, exitT, lastExec minMax
	exitCode, exitSignal                               latest[int32]
	firstPpid                                          earliest[int32]
	execCount                                          int64
	inKeyframe                                         bool

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

	// derived
	id, parentID string
	parentPid    int32
	startT       int64
	imageKnown   bool
	imageFrom    string
	inheritedAt  int
	children     []*inst
	depth        int32
	treeKey      []int64
	lineage      []int32
	ancestors    []string
	reached      bool
}

// buildProcessTables reads the instance rows of _life and writes _proc3,
// _tree and _exec_gen.
func (r *Runner) buildProcessTables(ctx context.Context) error {
	rdr, err := r.arrow.QueryContext(ctx, instRowsSQL)
	if err != nil {
		return fmt.Errorf("read instance rows: %w", err)
	}
	defer rdr.Release()
	type execRef struct {
		rid, gen int64
	}
	var (
		exits = map[int32][]int64{} // leader exit times per pid, sorted
		recs  []arrow.RecordBatch
		byKey = map[[2]int64]*inst{}
		order []*inst
		execs []execRef
	)
	for rdr.Next() {
		rec := rdr.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	defer func() {
		for _, rec := range recs {
			rec.Release()
		}
	}()
	if err := rdr.Err(); err != nil {
		return fmt.Errorf("read instance rows: %w", err)
	}
	// Leader exits first: a row's generation counts the exits before it.
	for _, rec := range recs {
		c := newCols(rec)
		for i := 0; i < int(rec.NumRows()); i++ {
			if c.str("kind", i) == "exit" {
				pid, _ := c.i32("pid", i)
				t, _ := c.i64("t", i)
				exits[pid] = append(exits[pid], t)
			}
		}
	}
	for _, ts := range exits {
		sort.Slice(ts, func(a, b int) bool { return ts[a] < ts[b] })
	}
	genAt := func(pid int32, t int64) int64 {
		ts := exits[pid]
		return int64(sort.Search(len(ts), func(i int) bool { return ts[i] >= t }))
	}
	for _, rec := range recs {
		c := newCols(rec)
		for i := 0; i < int(rec.NumRows()); i++ {
			kind := c.str("kind", i)
			t, _ := c.i64("t", i)
			pid, _ := c.i32("pid", i)
			ipid, keyT, priT := pid, t, t
			if kind == "fork" {
				ipid, _ = c.i32("child_pid", i)
				keyT = t - 1_000_000_000
				priT = t - 4611686018427387904
			}
			gen := genAt(ipid, keyT)
			p := byKey[[2]int64{int64(ipid), gen}]
			if p == nil {
				p = &inst{pid: ipid, gen: gen}
				byKey[[2]int64{int64(ipid), gen}] = p
				order = append(order, p)
			}
			p.firstT.min(t, true)
			image := kind == "exec" || kind == "keyframe"
			switch kind {
			case "fork":
				p.forkParent.offer(pid, true, t)
				p.forkT.min(t, true)
			case "exec":
				st, ok := c.i64("start_t", i)
				p.execStart.min(st, ok)
				p.execCount++
				p.lastExec.max(t, true)
				rid, _ := c.i64("rid", i)
				execs = append(execs, execRef{rid, gen})
			case "keyframe":
				st, ok := c.i64("start_t", i)
				p.kfStart.min(st, ok)
				p.inKeyframe = true
			case "exit":
				p.exitT.max(t, true)
				v, ok := c.i32("exit_code", i)
				p.exitCode.offer(v, ok, t)
				v, ok = c.i32("exit_signal", i)
				p.exitSignal.offer(v, ok, t)
			}
			if kind != "fork" {
				v, ok := c.i32("ppid", i)
				p.firstPpid.offer(v, ok, t)
			}
			if image {
				s, ok := c.strOK("exe_path", i)
				p.imagePath.offer(s, ok, t)
				p.ctime.offer(c.i64v("exe_ctime", i, t))
				p.mtime.offer(c.i64v("exe_mtime", i, t))
				p.size.offer(c.i64v("exe_size", i, t))
				p.mode.offer(c.u32v("exe_mode", i, t))
				p.upper.offer(c.boolv("exe_upper_layer", i, t))
				p.memfd.offer(c.boolv("exe_from_memfd", i, t))
				p.writable.offer(c.boolv("exe_writable", i, t))
				p.argv.offer(c.list("argv", i, t))
				p.cwd.offer(c.strv("cwd", i, t))
				p.interpreter.offer(c.strv("interpreter", i, t))
				p.tty.offer(c.u32v("tty", i, t))
				p.sid.offer(c.i32v("sid", i, t))
				p.runtime.offer(c.strv("container_runtime", i, t))
			}
			p.exePath.offer(c.strv("exe_path", i, priT))
			p.comm.offer(c.strv("comm", i, priT))
			p.container.offer(c.strv("container_id", i, priT))
			p.dev.offer(c.u64v("exe_dev", i, priT))
			p.ino.offer(c.u64v("exe_ino", i, priT))
			p.cgroup.offer(c.u64v("cgroup_id", i, priT))
			p.uid.offer(c.u32v("uid", i, priT))
			p.gid.offer(c.u32v("gid", i, priT))
			p.euid.offer(c.u32v("euid", i, priT))
			p.egid.offer(c.u32v("egid", i, priT))
			p.lu.offer(c.u32v("loginuid", i, priT))
			p.pidNs.offer(c.u32v("pid_ns", i, priT))
			p.mntNs.offer(c.u32v("mnt_ns", i, priT))
			p.netNs.offer(c.u32v("net_ns", i, priT))
			p.usr.offer(c.u32v("user_ns", i, priT))
			if kind != "fork" {
				p.vpid.offer(c.i32v("vpid", i, priT))
			}
		}
	}
	// Instance ids, starts, parents.
	for _, p := range order {
		p.id = fmt.Sprintf("%d:%d", p.pid, p.gen)
	}
	for _, p := range order {
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
			if q := byKey[[2]int64{int64(p.parentPid), genAt(p.parentPid, p.startT)}]; q != nil {
				p.parentID = q.id
				q.children = append(q.children, p)
			}
		}
		p.imageKnown = p.imagePath.ok
	}
	// Trees: depth, keys, lineage; children by start then pid, as the
	// tree key orders them.
	for _, p := range order {
		sort.Slice(p.children, func(a, b int) bool {
			x, y := p.children[a], p.children[b]
			if x.startT != y.startT {
				return x.startT < y.startT
			}
			return x.pid < y.pid
		})
	}
	var walk func(p *inst)
	walk = func(p *inst) {
		p.reached = true
		for _, c := range p.children {
			c.depth = p.depth + 1
			c.treeKey = append(append(make([]int64, 0, len(p.treeKey)+2), p.treeKey...), c.startT, int64(c.pid))
			c.lineage = append([]int32{p.pid}, p.lineage...)
			c.ancestors = append([]string{p.id}, p.ancestors...)
			// A fork copies the parent's image: a child that never
			// exec'd takes it when its own rows name the same file.
			if !c.imageKnown && p.imageKnown && p.inheritedAt < maxForkChain &&
				same(c.dev, p.dev) && same(c.ino, p.ino) {
				inherit(c, p)
			}
			walk(c)
		}
	}
	for _, p := range order {
		if p.parentID == "" {
			p.treeKey = []int64{p.startT, int64(p.pid)}
			p.lineage, p.ancestors = []int32{}, []string{}
			walk(p)
		}
	}
	if err := r.loadArrow(ctx, "_proc3", procRecord(order)); err != nil {
		return err
	}
	if err := r.loadArrow(ctx, "_tree", treeRecord(order)); err != nil {
		return err
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{
		{Name: "rid", Type: arrow.PrimitiveTypes.Int64}, {Name: "gen", Type: arrow.PrimitiveTypes.Int64}}, nil))
	defer b.Release()
	for _, e := range execs {
		b.Field(0).(*array.Int64Builder).Append(e.rid)
		b.Field(1).(*array.Int64Builder).Append(e.gen)
	}
	return r.loadArrow(ctx, "_exec_gen", b.NewRecordBatch())
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
