package fields

import (
	"github.com/rewind-sh/rewind/analyze/cond"
	"github.com/rewind-sh/rewind/analyze/state"
	"github.com/rewind-sh/rewind/format"
)

// Event is what extractors read: one row of a batch, enriched with the
// process table as it was at the row's time. The engine reuses one Event
// per goroutine; it is not safe for concurrent use.
type Event struct {
	Rows  *state.Rows
	Row   int
	Kind  format.Kind
	Table *state.Table
	// Num is the event's ordinal in the replay (evt.num), from 1.
	Num uint64
	// Hostname is the recording host's name (evt.hostname).
	Hostname string

	// typ is the row's evt.type when the caller set it with SetType
	// (the engine resolves it once per batch dictionary entry).
	typ      string
	typeSet  bool
	proc     *state.Process
	procDone bool
	fd       state.FD
	sock     state.Sock // addresses of fd when it is built from a net row
	fdState  uint8      // 0 not resolved yet, 1 resolved, 2 no fd for this event
	// memo holds the results of the macros already evaluated on this
	// row, which the next candidate rule reuses.
	memo cond.Memo
}

// Memo returns the event's macro results; it makes Event a
// cond.Memoizer.
func (e *Event) Memo() *cond.Memo { return &e.memo }

// Reset points e at row i of its Rows, dropping what was resolved for the
// previous row.
func (e *Event) Reset(row int, kind format.Kind, num uint64) {
	e.Row, e.Kind, e.Num = row, kind, num
	e.proc, e.procDone = nil, false
	e.typ, e.typeSet = "", false
	e.fdState = 0
	e.memo.Next()
}

// SetType sets the row's evt.type, saving a column read per use.
func (e *Event) SetType(t string) { e.typ, e.typeSet = t, true }

// SetProcess sets the actor returned by Table.Apply, saving a lookup; a
// nil p leaves the lookup to Process.
func (e *Event) SetProcess(p *state.Process) {
	if p != nil {
		e.proc, e.procDone = p, true
	}
}

// Process returns the process the event is about, or nil when the table
// does not know it.
func (e *Event) Process() *state.Process {
	if !e.procDone {
		e.procDone = true
		if e.Table != nil {
			if pid, ok := e.Rows.Int(format.ColPid, e.Row); ok {
				e.proc = e.Table.Lookup(int32(pid))
			}
		}
	}
	return e.proc
}

// Ts is the event time, ns since the epoch.
func (e *Event) Ts() int64 {
	v, _ := e.Rows.Int(format.ColTs, e.Row)
	return v
}

// Syscall is the evt.type of the row.
func (e *Event) Syscall() string {
	if e.typeSet {
		return e.typ
	}
	v, _ := e.Rows.Str(format.ColSyscall, e.Row)
	return v
}

func (e *Event) str(c format.ColumnID) (string, bool) { return e.Rows.Str(c, e.Row) }
func (e *Event) i64(c format.ColumnID) (int64, bool)  { return e.Rows.Int(c, e.Row) }
func (e *Event) u64(c format.ColumnID) (uint64, bool) { return e.Rows.Uint(c, e.Row) }

// ev converts the opaque cond.Event back; the catalog only ever hands its
// extractors *Event values.
func ev(x any) *Event { return x.(*Event) }
