package state

import (
	"github.com/rewind-sh/rewind/format"
)

// Clone flags the table interprets.
const (
	cloneParent = 0x00008000
	cloneThread = 0x00010000
)

// DefaultGrace is how many exited processes stay readable for late
// lookups (children whose parent exited first, alerts raised on an exit).
const DefaultGrace = 4096

// User is one user account from the recording's user rows.
type User struct {
	UID   uint32
	Name  string
	Home  string
	Shell string
}

// Hash is the result of hashing one executable identity.
type Hash struct {
	Sha256 string // "" when it could not be hashed
	Source string // proc_exe, path, proc_fd, cache; or gone, changed, error
	Error  string
}

// Stats count what the table has seen; they explain gaps in enrichment.
type Stats struct {
	Live, Exited    int
	Learned         uint64 // processes first met as the actor of an event
	Keyframes       uint64 // keyframe rows applied
	Reconciled      uint64 // processes dropped because a keyframe lacked them
	Forks, Execs    uint64
	Exits           uint64
	Hashes          int
	Users, Groups   int
	FDsEvicted      uint64
	UnknownParents  uint64 // forks whose parent the table did not know
	IgnoredThreads  uint64 // thread creations and thread exits
	PendingExitDone uint64
}

// Table is the process table rebuilt during a replay. Feed it every row
// in time order with Apply; it is not safe for concurrent use.
type Table struct {
	procs  map[int32]*Process
	exited map[int32]*Process
	grace  []*Process // FIFO of exited processes, at most MaxGrace
	users  map[uint32]User
	groups map[uint32]string
	hashes map[ExeKey]Hash
	strs   map[string]string // interned paths and addresses
	// dictCache maps dictionary indexes of string columns to interned
	// copies; reset per segment, whose dictionaries are cumulative.
	dictCache map[format.ColumnID][]string

	// TrackFiles records opened files in the fd tables (default true).
	// Rows of the recorder's file calls carry the path of their
	// descriptor, so only events that name a file by fd alone (mmap,
	// setns, finit_module) need it; a replay whose rules read no fd.*
	// field on such events turns it off and saves the work.
	TrackFiles bool

	// MaxFDs bounds each process's fd table: numbers below it are kept
	// in direct slots, and at most MaxFDs higher ones in an overflow set
	// (oldest evicted). MaxGrace bounds the exited set.
	MaxFDs   int
	MaxGrace int

	pendingExit *Process // removed at the start of the next Apply
	// recent caches actors by pid (direct-mapped): events come in runs
	// from a few processes per CPU, so this saves most map lookups. Any
	// change of the process a pid names clears its slot.
	recent [64]*Process

	segment      string
	inKeyframe   bool
	keyframeMark uint64
	sawEvents    bool // a non-keyframe row was applied since the last keyframe block

	stats Stats
}

// NewTable returns an empty table with default bounds.
func NewTable() *Table {
	return &Table{
		procs:      make(map[int32]*Process, 1024),
		exited:     make(map[int32]*Process, 256),
		users:      make(map[uint32]User),
		groups:     make(map[uint32]string),
		hashes:     make(map[ExeKey]Hash),
		strs:       make(map[string]string, 1024),
		dictCache:  make(map[format.ColumnID][]string),
		MaxFDs:     DefaultMaxFDs,
		MaxGrace:   DefaultGrace,
		TrackFiles: true,
	}
}

// Stats returns the running counters.
func (t *Table) Stats() Stats {
	s := t.stats
	s.Live = len(t.procs)
	s.Exited = len(t.exited)
	s.Hashes = len(t.hashes)
	s.Users = len(t.users)
	s.Groups = len(t.groups)
	return s
}

// BeginSegment tells the table that the following rows come from the
// named segment, so that its leading keyframe rows reconcile the table.
func (t *Table) BeginSegment(name string) {
	if name != t.segment {
		t.segment = name
		clear(t.dictCache)
		t.endKeyframe()
		t.inKeyframe = false
	}
}

// Lookup returns the process pid, live or in the grace set.
func (t *Table) Lookup(pid int32) *Process {
	if p := t.procs[pid]; p != nil {
		return p
	}
	return t.exited[pid]
}

// Parent returns p's parent, or nil when it is unknown or p is its own
// parent (pid 0/1 edge cases).
func (t *Table) Parent(p *Process) *Process {
	if p == nil || p.Ppid == p.Pid || p.Ppid <= 0 {
		return nil
	}
	return t.Lookup(p.Ppid)
}

// Ancestor returns the n-th ancestor of p (0 is p itself, 1 its parent),
// or nil when the chain is broken before that.
func (t *Table) Ancestor(p *Process, n int) *Process {
	for ; n > 0 && p != nil; n-- {
		p = t.Parent(p)
	}
	return p
}

// maxLineage bounds ancestor walks, which also protects against a cycle
// left by pid reuse.
const maxLineage = 64

// Ancestors calls fn for each ancestor of p, parent first, until fn
// returns false or the chain ends.
func (t *Table) Ancestors(p *Process, fn func(*Process) bool) {
	for i := 0; i < maxLineage; i++ {
		p = t.Parent(p)
		if p == nil || !fn(p) {
			return
		}
	}
}

// User returns the account for uid, if a user row named it.
func (t *Table) User(uid uint32) (User, bool) {
	u, ok := t.users[uid]
	return u, ok
}

// Group returns the group name for gid, if a group row named it.
func (t *Table) Group(gid uint32) (string, bool) {
	g, ok := t.groups[gid]
	return g, ok
}

// Hash returns the exe_hash result for p's executable identity, if an
// exe_hash row for it has been seen so far.
func (t *Table) Hash(p *Process) (Hash, bool) {
	if p == nil || !p.Exe.Known {
		return Hash{}, false
	}
	h, ok := t.hashes[p.Exe.Key()]
	return h, ok
}

// ScriptHash returns the exe_hash result for the identity of the #!
// script p's last exec ran, if p ran one and its hash row has been seen.
func (t *Table) ScriptHash(p *Process) (Hash, bool) {
	if p == nil || p.Script.Ino == 0 {
		return Hash{}, false
	}
	h, ok := t.hashes[p.Script]
	return h, ok
}

// Apply updates the table with row i, whose kind the caller read. It
// returns the process the row is about (its actor) as of the row's time
// when it had to find it: after an exec the new image; on an exit row
// the exiting process, removed only when the next row is applied. It
// returns nil for rows that are not about a process (exe_hash, user,
// group, heartbeat) and for events that change no state; callers then
// use Lookup.
func (t *Table) Apply(r *Rows, i int, kind format.Kind) *Process {
	if t.pendingExit != nil {
		t.retire(t.pendingExit)
		t.pendingExit = nil
	}
	if kind == format.KindKeyframe {
		if !t.inKeyframe {
			t.inKeyframe = true
			t.keyframeMark++
		}
		return t.applyKeyframe(r, i)
	}
	if t.inKeyframe {
		t.endKeyframe()
		t.inKeyframe = false
	}
	switch kind {
	case format.KindExeHash:
		t.applyHash(r, i)
		return nil
	case format.KindUser:
		t.applyUser(r, i)
		return nil
	case format.KindGroup:
		t.applyGroup(r, i)
		return nil
	case format.KindHeartbeat, format.KindInvalid:
		return nil
	}
	t.sawEvents = true
	switch kind {
	case format.KindFork, format.KindExec, format.KindExit:
		p := t.actor(r, i)
		switch kind {
		case format.KindFork:
			t.applyFork(r, i, p)
		case format.KindExec:
			t.applyExec(r, i, p)
		default:
			t.applyExit(r, i, p)
		}
		return p
	case format.KindOpen, format.KindNet, format.KindSecurity:
		// The actor is needed only when the call creates a descriptor;
		// otherwise callers look it up lazily, if at all.
		return t.trackFD(r, i, kind)
	}
	return nil
}
