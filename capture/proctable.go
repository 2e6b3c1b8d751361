package capture

import (
	"sort"
	"time"

	"github.com/rewind-sh/rewind/format"
)

// cloneThread is CLONE_THREAD: the new task joins the caller's thread
// group instead of starting a process. cloneParent (CLONE_PARENT) gives
// the child the caller's parent.
const (
	cloneThread = 0x00010000
	cloneParent = 0x00008000
	cloneNewPid = 0x20000000
)

// startSlack is how far a start time from the kernel (ns) and one from
// /proc/PID/stat (clock ticks, truncated) may differ and still name the
// same process: one tick plus the boot clock's measurement error.
const startSlack = 20 * time.Millisecond

// ProcessTable is the live process table, keyed by pid (thread group id):
// one keyframe-shaped row per process, built from the /proc scan and kept
// current by fork, exec and exit events. It is owned by the goroutine that
// owns the format.Writer and is not safe for concurrent use.
type ProcessTable struct {
	procs map[int32]*format.Event
}

// NewProcessTable returns an empty table.
func NewProcessTable() *ProcessTable {
	return &ProcessTable{procs: make(map[int32]*format.Event)}
}

// Len is the number of live processes.
func (t *ProcessTable) Len() int { return len(t.procs) }

// Lookup returns the row of pid, or nil. The row belongs to the table.
func (t *ProcessTable) Lookup(pid int32) *format.Event { return t.procs[pid] }

// keyframeRow turns an exec or scanned row into the table's shape: the
// process columns only.
func keyframeRow(ev *format.Event) *format.Event {
	row := *ev
	row.Kind = format.KindKeyframe
	row.Syscall, row.CPU, row.Seq, row.Ret = "", 0, 0, 0
	row.Argv = append([]string(nil), ev.Argv...)
	row.Env = append([]string(nil), ev.Env...)
	return &row
}

// Exec replaces pid's row with what the exec event reported (the kernel's
// view of the new image). Failed execs (Ret < 0) change nothing.
func (t *ProcessTable) Exec(ev *format.Event) {
	if ev.Ret < 0 {
		return
	}
	row := keyframeRow(ev)
	row.Tid = row.Pid
	row.Vtid = row.Vpid
	if old := t.procs[ev.Pid]; old != nil {
		// Exec keeps the process: its start and (kernel permitting) the
		// state known from /proc stay.
		if row.StartTs == 0 {
			row.StartTs = old.StartTs
		}
		row.State = old.State
		if row.ContainerID == "" {
			row.ContainerID, row.ContainerRuntime = old.ContainerID, old.ContainerRuntime
		}
	}
	t.procs[ev.Pid] = row
}

// Fork adds the child of a fork event. New threads (CLONE_THREAD) are
// not processes and change nothing. The child starts as a copy of its
// parent's row, as the kernel copies the task.
func (t *ProcessTable) Fork(ev *format.Event) {
	if ev.CloneFlags&cloneThread != 0 || ev.ChildPid <= 0 {
		return
	}
	var row format.Event
	if parent := t.procs[ev.Pid]; parent != nil {
		row = *parent
		row.Argv = append([]string(nil), parent.Argv...)
		row.Env = append([]string(nil), parent.Env...)
	} else {
		row = *keyframeRow(ev)
	}
	row.Kind = format.KindKeyframe
	row.ChildPid, row.ChildTid, row.CloneFlags, row.NsFlags = 0, 0, 0, 0
	row.Pid, row.Tid = ev.ChildPid, ev.ChildPid
	row.Ppid = ev.Pid
	if ev.CloneFlags&cloneParent != 0 {
		row.Ppid = ev.Ppid
	}
	row.StartTs = ev.StartTs
	if ev.PidnsInitStartTs != 0 {
		row.PidnsInitStartTs = ev.PidnsInitStartTs
	}
	row.State = ""
	// The child's pid as seen in its namespace is not in the event: 1 in
	// a new pid namespace, else unknown until the next scan.
	if ev.CloneFlags&cloneNewPid != 0 {
		row.Vpid, row.Vtid = 1, 1
	} else {
		row.Null.Add(format.ColVpid)
		row.Null.Add(format.ColVtid)
	}
	t.procs[ev.ChildPid] = &row
}

// Exit removes pid when its whole thread group is gone.
func (t *ProcessTable) Exit(pid int32, groupDead bool) {
	if groupDead {
		delete(t.procs, pid)
	}
}

// Load puts scanned rows into an empty table.
func (t *ProcessTable) Load(rows []format.Event) {
	for i := range rows {
		t.procs[rows[i].Pid] = keyframeRow(&rows[i])
	}
}

// Reconcile merges a fresh /proc scan into the table before a keyframe:
// processes the events missed (lost events, or the race between the scan
// and the first events) are added, processes that are gone are removed,
// and for processes known from events the event-derived columns (the
// kernel's view at exec) are kept while state and columns the events
// could not give (null) are taken from /proc. A pid that was reused is
// replaced by the scanned row.
func (t *ProcessTable) Reconcile(scan []format.Event) {
	seen := make(map[int32]bool, len(scan))
	for i := range scan {
		s := &scan[i]
		seen[s.Pid] = true
		row := t.procs[s.Pid]
		if row == nil || !sameStart(row.StartTs, s.StartTs) {
			t.procs[s.Pid] = keyframeRow(s)
			continue
		}
		row.State = s.State
		fillNulls(row, s)
	}
	for pid := range t.procs {
		if !seen[pid] {
			delete(t.procs, pid)
		}
	}
}

func sameStart(a, b int64) bool {
	if a == 0 || b == 0 {
		return true // unknown on one side: trust the pid
	}
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= int64(startSlack)
}

// fillNulls copies from src the columns that are null in row.
func fillNulls(row, src *format.Event) {
	fill := []struct {
		col  format.ColumnID
		copy func()
	}{
		{format.ColVpid, func() { row.Vpid = src.Vpid }},
		{format.ColVtid, func() { row.Vtid = src.Vtid }},
		{format.ColVpgid, func() { row.Vpgid = src.Vpgid }},
		{format.ColLoginUID, func() { row.LoginUID = src.LoginUID }},
		{format.ColCgroupID, func() { row.CgroupID = src.CgroupID }},
		{format.ColPidnsInitStartTs, func() { row.PidnsInitStartTs = src.PidnsInitStartTs }},
	}
	for _, f := range fill {
		if row.Null.Has(f.col) && !src.Null.Has(f.col) {
			f.copy()
			clearNull(&row.Null, f.col)
		}
	}
	if row.CgroupPath == "" {
		row.CgroupPath = src.CgroupPath
	}
	if row.ContainerID == "" {
		row.ContainerID, row.ContainerRuntime = src.ContainerID, src.ContainerRuntime
	}
	if row.State == "" {
		row.State = src.State
	}
}

// Rows returns the live rows in pid order, stamped ts, for a keyframe.
// The rows are copies.
func (t *ProcessTable) Rows(ts int64) []format.Event {
	pids := make([]int32, 0, len(t.procs))
	for pid := range t.procs {
		pids = append(pids, pid)
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	rows := make([]format.Event, len(pids))
	for i, pid := range pids {
		rows[i] = *t.procs[pid]
		rows[i].Ts = ts
	}
	return rows
}
