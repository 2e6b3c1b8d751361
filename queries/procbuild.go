//go:build duckdb_arrow

package queries

import (
	"context"
	"fmt"
	"math"
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

// opt is a value that may be null.
type opt[T any] struct {
	v  T
	ok bool
}

// instRow is one row that makes process instances, with the columns the
// structure needs; the attribute columns stay in the batch it points to.
type instRow struct {
	t, ord          int64 // event time; position in the recording
	startT          int64 // exec and keyframe: the process start
	kind            format.Kind
	ppidOK, startOK bool
	pid, ppid       int32 // of the instance the row is about (see setPids)
	batch           int32 // which batch holds the row (the reader's numbering)
	row             int32 // the row in that batch
	inst            int32 // its instance, once built: an index into instances.core
}

// setPids sets the pids of a row of kind r.kind from its pid, ppid and
// child_pid columns: a fork row is about the child, and names its
// parent, the forking pid; another row is about its pid, and names its
// ppid.
func (r *instRow) setPids(pid, ppid, child int32, ppidOK bool) {
	if r.kind == format.KindFork {
		r.pid, r.ppid, r.ppidOK = child, pid, true
		return
	}
	r.pid, r.ppid, r.ppidOK = pid, ppid, ppidOK
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

// inst is one process instance as the queries see it: its structure,
// copied from its instCore when it is wanted (instances.inst), its
// attributes and its place in the tree.
type inst struct {
	pid   int32
	index int32 // in instances.core
	gen   int64

	// structure
	forkParent, firstPpid opt[int32]
	exitT                 opt[int64]
	forked, inKeyframe    bool
	execCount             int64 // the process tables count them (buildProcessTables)

	// attributes: allocated for the instances whose attributes are read
	*instAttrs

	// derived
	id, parentID string
	parent       *inst // set for an instance in the tree
	parentPid    int32
	startT       int64
	imageKnown   bool
	imageFrom    string
	inheritedAt  int
	resolved     bool // imageKnown holds inheritance (resolveImage)
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

	// The times of the first and last exec: which image a child forked
	// at a given time took (imageAt).
	firstExec, lastExec opt[int64]
}

// withAttrs makes p's attributes, all null, unless they exist.
func (p *inst) withAttrs() {
	if p.instAttrs == nil {
		p.instAttrs = &instAttrs{}
	}
}

// instCore is the structure of one instance, built for every instance
// of a recording: pointer-free and small, so that half a million of
// them cost tens of megabytes and nothing to the garbage collector's
// scans. An inst is made from it only for the instances a query wants.
type instCore struct {
	startT, exitT         int64
	pid, gen              int32
	parent                int32 // index in instances.core; -1: none recorded
	forkParent, firstPpid int32
	flags                 coreFlags
	startFrom             startSource // what startT is, so far
}

// coreFlags say which instCore values are not null, and what else the
// structure knows of an instance.
type coreFlags uint16

const (
	hasExit coreFlags = 1 << iota
	hasForkParent
	hasFirstPpid
	inKeyframe
	reached // parent chain ends at a root: in _tree
)

func (c *instCore) has(f coreFlags) bool { return c.flags&f != 0 }

// startSource ranks what an instance's start is taken from: the start
// time of its execs, else the time of its fork, else the start time in
// its keyframes, else the time of its first row.
type startSource uint8

const (
	fromFirstRow startSource = iota
	fromKeyframe
	fromFork
	fromExec
)

// offerStart offers a start from src: it wins over a start from a lower
// source, and over a later one from the same.
func (c *instCore) offerStart(t int64, src startSource) {
	if src > c.startFrom || src == c.startFrom && t < c.startT {
		c.startT, c.startFrom = t, src
	}
}

// parentPid is the pid of the parent: the forking pid, else the ppid
// its first row names; false when neither is known.
func (c *instCore) parentPid() (int32, bool) {
	if c.has(hasForkParent) {
		return c.forkParent, true
	}
	return c.firstPpid, c.has(hasFirstPpid)
}

// instances is the structure of a recording's process instances, in
// order of first row, and the insts made of them so far.
type instances struct {
	pids      pidTable
	core      []instCore
	objs      []*inst // by index; nil until inst made it
	slab      []inst  // insts are allocated a slab at a time
	ancestors bool    // insts hold their ancestor ids
}

// pidInstances are the instances of one pid. Most pids have one
// instance and at most one leader exit, held here; the others are in
// pidTable.more, so that an entry is 32 pointer-free bytes.
type pidInstances struct {
	pid    int32
	gen0   int32 // index + 1 of generation 0; 0: none
	nExits int32 // leader exits
	more   int32 // index + 1 in pidTable.more; 0: none
	exit0  int64 // the leader exit, when there is one

	// continuedExits' walk: earliest start of the execs after it
	// (math.MaxInt64: none).
	laterExecStart int64
}

// pidMore are the generations past 0 and the leader exits of a pid that
// has more than one of either.
type pidMore struct {
	later []int32 // index + 1 of generations 1...; 0: none
	exits []int64 // every leader exit, sorted once all are in
}

func (t *pidTable) moreOf(pi *pidInstances) *pidMore {
	if pi.more == 0 {
		t.more = append(t.more, pidMore{})
		pi.more = int32(len(t.more))
	}
	return &t.more[pi.more-1]
}

// addExit notes a leader exit of pi (in any order; sortExits orders
// them).
func (t *pidTable) addExit(pi *pidInstances, at int64) {
	if pi.nExits == 0 {
		pi.exit0 = at
	} else {
		m := t.moreOf(pi)
		if len(m.exits) == 0 {
			m.exits = append(m.exits, pi.exit0)
		}
		m.exits = append(m.exits, at)
	}
	pi.nExits++
}

func (t *pidTable) sortExits() {
	for i := range t.more {
		slices.Sort(t.more[i].exits)
	}
}

// genAt is the generation of pi at time t: the leader exits before it.
func (t *pidTable) genAt(pi *pidInstances, at int64) int32 {
	switch {
	case pi.nExits == 0:
		return 0
	case pi.nExits == 1:
		if pi.exit0 < at {
			return 1
		}
		return 0
	}
	exits := t.more[pi.more-1].exits
	return int32(sort.Search(len(exits), func(i int) bool { return exits[i] >= at }))
}

// gen returns the index of generation g of pi, -1 when it has no rows.
func (t *pidTable) gen(pi *pidInstances, g int32) int32 {
	if g == 0 {
		return pi.gen0 - 1
	}
	if pi.more == 0 {
		return -1
	}
	if later := t.more[pi.more-1].later; int(g) <= len(later) {
		return later[g-1] - 1
	}
	return -1
}

func (t *pidTable) setGen(pi *pidInstances, g, index int32) {
	if g == 0 {
		pi.gen0 = index + 1
		return
	}
	m := t.moreOf(pi)
	for int32(len(m.later)) < g {
		m.later = append(m.later, 0)
	}
	m.later[g-1] = index + 1
}

// pidTable finds the instances of a pid, held in one slice of entries
// so that a pid costs no allocation of its own. A pid the kernel can
// give (below directPids) is found in pages of entry numbers indexed by
// pid: pids handed out one after another sit side by side, as rows in
// time order meet them. Any other pid is found by open addressing. A
// pointer get returns is good until the next insertion.
type pidTable struct {
	pages   [][]int32 // directPids >> pidPageBits pages, made when first used; entry index + 1, 0: none
	slots   []pidSlot // the other pids
	hashed  int       // pids in slots
	entries []pidInstances
	more    []pidMore
}

const (
	directPids  = 1 << 22 // Linux's largest pid_max
	pidPageBits = 12
)

// pidSlot holds its pid, so that a probe reads the slots alone.
type pidSlot struct {
	pid   int32
	entry int32 // index + 1 in entries; 0: empty
}

func (t *pidTable) slot(pid int32) uint32 { return uint32(pid) * 2654435761 }

// get returns the instances of pid, nil when it has none and create is
// false.
func (t *pidTable) get(pid int32, create bool) *pidInstances {
	if i := t.index(pid, create); i >= 0 {
		return &t.entries[i]
	}
	return nil
}

// index returns where in entries the instances of pid are, -1 when it
// has none and create is false.
func (t *pidTable) index(pid int32, create bool) int32 {
	if uint32(pid) < directPids {
		if t.pages == nil {
			t.pages = make([][]int32, directPids>>pidPageBits)
		}
		page := t.pages[pid>>pidPageBits]
		if page == nil {
			if !create {
				return -1
			}
			page = make([]int32, 1<<pidPageBits)
			t.pages[pid>>pidPageBits] = page
		}
		e := &page[pid&(1<<pidPageBits-1)]
		if *e == 0 {
			if !create {
				return -1
			}
			*e = t.add(pid)
		}
		return *e - 1
	}
	if len(t.slots) > 0 {
		mask := uint32(len(t.slots) - 1)
		for h := t.slot(pid) & mask; t.slots[h].entry != 0; h = (h + 1) & mask {
			if t.slots[h].pid == pid {
				return t.slots[h].entry - 1
			}
		}
	}
	if !create {
		return -1
	}
	if 2*(t.hashed+1) > len(t.slots) {
		t.grow()
	}
	entry := t.add(pid)
	t.put(pid, entry)
	t.hashed++
	return entry - 1
}

// add appends an entry for pid and returns its index + 1.
func (t *pidTable) add(pid int32) int32 {
	t.entries = append(t.entries, pidInstances{pid: pid, laterExecStart: math.MaxInt64})
	return int32(len(t.entries))
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
	old := t.slots
	t.slots = make([]pidSlot, max(1024, 2*len(old)))
	for _, s := range old {
		if s.entry != 0 {
			t.put(s.pid, s.entry)
		}
	}
}

// reserve makes room for n pids in an empty table. The room is made,
// not copied into (as slices.Grow would), so that the memory is touched
// only as entries are added.
func (t *pidTable) reserve(n int) {
	if len(t.entries) == 0 {
		t.entries = make([]pidInstances, 0, n)
	}
}

// at returns the index of the instance of pid live at time t, -1 when
// it has no rows.
func (t *pidTable) at(pid int32, when int64) int32 {
	if pi := t.get(pid, false); pi != nil {
		return t.gen(pi, t.genAt(pi, when))
	}
	return -1
}

// buildInstances makes the structure of the instances of rows, which
// must be in (t, ord) order: starts, ends, parents, and which are in the
// tree (walked from a root). It drops the leader exits that did not end
// their process (continuedExits) and returns the rows it kept, in
// order, each pointing at its instance. insts made by inst hold their
// ancestor ids when ancestors is set. Attributes and image inheritance
// come after.
func buildInstances(rows []instRow, ancestors bool) (*instances, []instRow) {
	// A process has about two instance rows (fork, exit; an exec or two).
	s := &instances{core: make([]instCore, 0, len(rows)*3/5), ancestors: ancestors}
	s.pids.reserve(len(rows) * 3 / 5)
	// Leader exits first: a row's generation counts the exits before it.
	rows = continuedExits(rows, &s.pids)
	s.pids.sortExits()
	// Rows come in (t, ord) order, so the first row offering a value is
	// the earliest and the last the latest.
	for i := range rows {
		r := &rows[i]
		keyT := r.t
		if r.kind == format.KindFork {
			keyT = r.t - 1_000_000_000
		}
		pi := &s.pids.entries[r.inst] // continuedExits found it
		gen := s.pids.genAt(pi, keyT)
		index := s.pids.gen(pi, gen)
		if index < 0 {
			index = int32(len(s.core))
			s.core = append(s.core, instCore{pid: pi.pid, gen: gen, startT: r.t, parent: -1})
			s.pids.setGen(pi, gen, index)
		}
		r.inst = index
		c := &s.core[index]
		switch r.kind {
		case format.KindFork:
			if !c.has(hasForkParent) {
				c.forkParent = r.ppid
				c.flags |= hasForkParent
			}
			c.offerStart(r.t, fromFork)
		case format.KindExec:
			if r.startOK {
				c.offerStart(r.startT, fromExec)
			}
		case format.KindKeyframe:
			if r.startOK {
				c.offerStart(r.startT, fromKeyframe)
			}
			c.flags |= inKeyframe
		case format.KindExit:
			c.exitT = r.t
			c.flags |= hasExit
		}
		if r.kind != format.KindFork && r.ppidOK && !c.has(hasFirstPpid) {
			c.firstPpid = r.ppid
			c.flags |= hasFirstPpid
		}
	}
	// Parents: the parent pid's instance live at the start.
	for i := range s.core {
		c := &s.core[i]
		if ppid, ok := c.parentPid(); ok {
			c.parent = s.pids.at(ppid, c.startT)
		}
	}
	s.markReached()
	s.objs = make([]*inst, len(s.core))
	return s, rows
}

// markReached flags the instances whose parent chain ends at a root (an
// instance without a recorded parent): those a walk down from the roots
// reaches. A chain that loops never does.
func (s *instances) markReached() {
	const (
		unknown = iota
		onChain
		yes
		no
	)
	state := make([]uint8, len(s.core))
	var chain []int32
	for i := range s.core {
		chain = chain[:0]
		j, verdict := int32(i), uint8(yes)
		for {
			if st := state[j]; st != unknown {
				verdict = st
				if st == onChain { // a loop
					verdict = no
				}
				break
			}
			state[j] = onChain
			chain = append(chain, j)
			if j = s.core[j].parent; j < 0 {
				break // a root
			}
		}
		for _, k := range chain {
			state[k] = verdict
			if verdict == yes {
				s.core[k].flags |= reached
			}
		}
	}
}

// below returns, for every instance, whether it is in the tree below an
// instance of pid (pid is in its lineage).
func (s *instances) below(pid int32) []bool {
	const (
		unknown = iota
		yes
		no
	)
	state := make([]uint8, len(s.core))
	var chain []int32
	for i := range s.core {
		if !s.core[i].has(reached) {
			state[i] = no
			continue
		}
		chain = chain[:0]
		j, verdict := int32(i), uint8(no)
		for state[j] == unknown {
			chain = append(chain, j)
			p := s.core[j].parent
			if p < 0 {
				break
			}
			if s.core[p].pid == pid {
				verdict = yes
				break
			}
			j = p
		}
		if state[j] != unknown {
			verdict = state[j]
		}
		for _, k := range chain {
			state[k] = verdict
		}
	}
	out := make([]bool, len(s.core))
	for i, st := range state {
		out[i] = st == yes
	}
	return out
}

// id is the instance id of instance i: pid:generation.
func (s *instances) id(i int32) string {
	return strconv.FormatInt(int64(s.core[i].pid), 10) + ":" + strconv.FormatInt(int64(s.core[i].gen), 10)
}

// inst returns the inst of instance i, made from its structure on first
// use, with its place in the tree (and so the insts of its ancestors).
func (s *instances) inst(i int32) *inst {
	if p := s.objs[i]; p != nil {
		return p
	}
	c := &s.core[i]
	if len(s.slab) == cap(s.slab) {
		s.slab = make([]inst, 0, 1024)
	}
	s.slab = append(s.slab, inst{pid: c.pid, index: i, gen: int64(c.gen)})
	p := &s.slab[len(s.slab)-1]
	s.objs[i] = p
	p.forkParent = opt[int32]{c.forkParent, c.has(hasForkParent)}
	p.firstPpid = opt[int32]{c.firstPpid, c.has(hasFirstPpid)}
	p.exitT = opt[int64]{c.exitT, c.has(hasExit)}
	p.forked = c.has(hasForkParent)
	p.inKeyframe = c.has(inKeyframe)
	p.id = s.id(i)
	p.parentPid, _ = c.parentPid()
	p.startT = c.startT
	p.reached = c.has(reached)
	switch {
	case c.parent >= 0 && p.reached:
		q := s.inst(c.parent)
		p.parent, p.parentID = q, q.id
		p.depth = q.depth + 1
		p.treeKey = append(append(make([]int64, 0, len(q.treeKey)+2), q.treeKey...), p.startT, int64(p.pid))
		p.lineage = append([]int32{q.pid}, q.lineage...)
		if s.ancestors {
			p.ancestors = append([]string{q.id}, q.ancestors...)
		}
	case c.parent >= 0:
		p.parentID = s.id(c.parent)
	case p.reached:
		p.treeKey = []int64{p.startT, int64(p.pid)}
		p.lineage, p.ancestors = []int32{}, []string{}
	}
	return p
}

// all returns the insts of every instance, in order of first row.
func (s *instances) all() []*inst {
	out := make([]*inst, len(s.core))
	for i := range s.core {
		out[i] = s.inst(int32(i))
	}
	return out
}

// continuedExits notes the leader exits of rows in pids, points each
// row's inst at the pids entry of its instance's pid (the child's for a
// fork) for buildInstances, and returns rows without the exits that did
// not end their process, in place.
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
		r.inst = pids.index(r.pid, true)
		pi := &pids.entries[r.inst]
		switch r.kind {
		case format.KindExec:
			if r.startOK && r.startT < pi.laterExecStart {
				pi.laterExecStart = r.startT
			}
		case format.KindExit:
			if pi.laterExecStart < r.t {
				r.kind = format.KindInvalid // dropped below
				dropped++
				continue
			}
			pids.addExit(pi, r.t)
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
	if r.kind == format.KindExec {
		// Rows may come in any order (scope.go reads them by batch).
		if !p.firstExec.ok || r.t < p.firstExec.v {
			p.firstExec = opt[int64]{r.t, true}
		}
		if !p.lastExec.ok || r.t > p.lastExec.v {
			p.lastExec = opt[int64]{r.t, true}
		}
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
// image, so a child that never exec'd takes the image its parent had at
// the fork (imageAt) when its own rows name the same file, down a chain
// of at most maxForkChain forks. Only instances in the tree inherit (as
// _tree holds them).
func resolveImage(p *inst) {
	var chain []*inst
	for q := p; q != nil && q.reached && !q.resolved; q = q.parent {
		chain = append(chain, q)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		c := chain[i]
		c.resolved = true
		c.imageKnown = c.imagePath.ok
		if c.imageKnown || c.parent == nil {
			continue
		}
		if q, forks := imageAt(c.parent, c.startT); q != nil && forks+q.inheritedAt <= maxForkChain &&
			same(c.dev, q.dev) && same(c.ino, q.ino) {
			inherit(c, q, forks+q.inheritedAt)
		}
	}
	if !p.resolved { // not in the tree: its own image only
		p.imageKnown = p.imagePath.ok
	}
}

// imageAt finds the image q had at time t, when it forked a child
// (resolved, as q's ancestors are): the instance holding that image as
// its own settled image, and the number of forks from there to the
// child; nil when it is unknown. Execs at or before the fork leave q's
// latest image; execs only after it leave the image q had before them,
// the one it took at its own fork, so the walk goes up (unless that
// image came from a keyframe, which shows only the latest); execs both
// before and after leave it unknown.
func imageAt(q *inst, t int64) (*inst, int) {
	for forks := 1; q != nil; forks++ {
		switch {
		case !q.lastExec.ok || q.lastExec.v <= t:
			if !q.imageKnown {
				return nil, 0
			}
			return q, forks
		case q.firstExec.v > t && !q.inKeyframe:
			q, t = q.parent, q.startT
		default:
			return nil, 0
		}
	}
	return nil, 0
}

// same is IS NOT DISTINCT FROM.
func same(a, b latest[uint64]) bool { return a.ok == b.ok && (!a.ok || a.v == b.v) }

// inherit gives c the image of p, forks forks down from where that
// image was taken.
func inherit(c, p *inst, forks int) {
	c.ctime, c.mtime, c.size, c.mode = p.ctime, p.mtime, p.size, p.mode
	c.upper, c.memfd, c.writable = p.upper, p.memfd, p.writable
	c.argv, c.cwd, c.interpreter = p.argv, p.cwd, p.interpreter
	c.imageKnown = true
	c.imageFrom = p.imageFrom
	if c.imageFrom == "" {
		c.imageFrom = p.id
	}
	c.inheritedAt = forks
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
	order := s.all()
	for i := range rows {
		row := &rows[i]
		p := order[row.inst]
		if row.kind == format.KindExec {
			p.execCount++
		}
		offerAttributes(p, row, cols[row.batch], int(row.row))
		if row.kind == format.KindExec {
			execs = append(execs, *row)
		}
	}
	for _, p := range order {
		p.withAttrs()
	}
	for _, p := range order {
		resolveImage(p)
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
		b.Field(0).(*array.Int64Builder).Append(e.ord)
		b.Field(1).(*array.Int64Builder).Append(int64(s.core[e.inst].gen))
	}
	return r.loadArrow(ctx, "_exec_gen", b.NewRecordBatch())
}

// fillStructure reads the structure columns of instance row i of cols
// into row (all but kind, t, ord and the start, which differ by source).
func fillStructure(row *instRow, cols *rowCols, i int) {
	pid, _ := intAt(cols[format.ColPid], i)
	ppid, ppidOK := intAt(cols[format.ColPpid], i)
	child, _ := intAt(cols[format.ColChildPid], i)
	row.setPids(int32(pid), int32(ppid), int32(child), ppidOK)
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
