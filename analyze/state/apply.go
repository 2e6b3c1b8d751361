package state

import "github.com/rewind-sh/rewind/format"

// This file holds how each kind of row changes the table.

// actor returns the process of the row's pid, creating a partial entry
// from the row's common columns when the table has never seen it, and
// refreshing the columns every row carries (they are kernel truth at the
// row's time).
func (t *Table) actor(r *Rows, i int) *Process {
	pid64, ok := r.Int(format.ColPid, i)
	if !ok {
		return nil
	}
	pid := int32(pid64)
	slot := &t.recent[uint32(pid)%uint32(len(t.recent))]
	p := *slot
	if p == nil || p.Pid != pid {
		p = t.procs[pid]
	}
	if p == nil {
		p = &Process{Pid: pid, Source: FromEvent}
		t.fillCommon(p, r, i)
		t.procs[pid] = p
		delete(t.exited, pid)
		t.stats.Learned++
		*slot = p
		return p
	}
	*slot = p
	// Only what changes without an exec is refreshed: the parent (on
	// reparenting) and the name (prctl PR_SET_NAME). Identity changes
	// (set*uid) are read from each row's own columns by the fields.
	if v, ok := r.Int(format.ColPpid, i); ok && int32(v) != p.Ppid {
		p.Ppid = int32(v)
	}
	if v, ok := r.Str(format.ColComm, i); ok && v != p.Comm {
		p.Comm = t.internCol(r, format.ColComm, i)
	}
	if p.Vpid == 0 { // a forked child learns its namespace pid from its own rows
		if v, ok := r.Int(format.ColVpid, i); ok {
			p.Vpid = int32(v)
		}
	}
	return p
}

// fillCommon copies the columns common to every process row.
func (t *Table) fillCommon(p *Process, r *Rows, i int) {
	if v, ok := r.Int(format.ColPpid, i); ok {
		p.Ppid = int32(v)
	}
	if v, ok := r.Int(format.ColVpid, i); ok {
		p.Vpid = int32(v)
	}
	if v, ok := r.Uint(format.ColUID, i); ok {
		p.UID = uint32(v)
	}
	if v, ok := r.Uint(format.ColGID, i); ok {
		p.GID = uint32(v)
	}
	if v, ok := r.Uint(format.ColLoginUID, i); ok {
		p.LoginUID = uint32(v)
	}
	// Names repeat across processes: interned, they cost no allocation
	// per exec and are held once.
	if _, ok := r.Str(format.ColComm, i); ok {
		p.Comm = t.internCol(r, format.ColComm, i)
	}
	if _, ok := r.Str(format.ColExePath, i); ok {
		p.ExePath = t.internCol(r, format.ColExePath, i)
	}
	if v, ok := r.Uint(format.ColExeDev, i); ok {
		p.Exe.Dev = v
	}
	if v, ok := r.Uint(format.ColExeIno, i); ok {
		p.Exe.Ino = v
	}
	p.ContainerID = t.internCol(r, format.ColContainerID, i)
}

// fillImage copies the exec/keyframe columns: everything an exec replaces.
func (t *Table) fillImage(p *Process, r *Rows, i int) {
	t.fillCommon(p, r, i)
	p.Argv = r.Strings(format.ColArgv, i, nil)
	p.Env = r.Strings(format.ColEnv, i, nil)
	p.Cwd = cloneCol(r, format.ColCwd, i)
	p.Interpreter = cloneCol(r, format.ColInterpreter, i)
	p.Script = ExeKey{}
	if ino, ok := r.Uint(format.ColScriptIno, i); ok {
		p.Script.Ino = ino
		p.Script.Dev, _ = r.Uint(format.ColScriptDev, i)
		p.Script.Ctime, _ = r.Int(format.ColScriptCtime, i)
		p.Script.Mtime, _ = r.Int(format.ColScriptMtime, i)
		p.Script.Size, _ = r.Int(format.ColScriptSize, i)
	}
	p.CgroupPath = t.internCol(r, format.ColCgroupPath, i)
	p.ContainerRuntime = t.internCol(r, format.ColContainerRuntime, i)
	if v, ok := r.Uint(format.ColTTY, i); ok {
		p.TTY = uint32(v)
	}
	if v, ok := r.Int(format.ColSid, i); ok {
		p.Sid = int32(v)
	}
	if v, ok := r.Int(format.ColPgid, i); ok {
		p.Pgid = int32(v)
	}
	if v, ok := r.Int(format.ColVpgid, i); ok {
		p.Vpgid = int32(v)
	}
	e := Exe{Dev: p.Exe.Dev, Ino: p.Exe.Ino, Known: true}
	e.Ctime, _ = r.Int(format.ColExeCtime, i)
	e.Mtime, _ = r.Int(format.ColExeMtime, i)
	e.Size, _ = r.Int(format.ColExeSize, i)
	if v, ok := r.Uint(format.ColExeMode, i); ok {
		e.Mode = uint32(v)
	}
	if v, ok := r.Uint(format.ColExeUID, i); ok {
		e.UID = uint32(v)
	}
	e.UpperLayer, _ = r.Bool(format.ColExeUpperLayer, i)
	e.LowerLayer, _ = r.Bool(format.ColExeLowerLayer, i)
	e.FromMemfd, _ = r.Bool(format.ColExeFromMemfd, i)
	e.Writable, _ = r.Bool(format.ColExeWritable, i)
	p.Exe = e
	var capsKnown bool
	if v, ok := r.Uint(format.ColCapEffective, i); ok {
		p.CapEffective, capsKnown = v, true
	}
	if v, ok := r.Uint(format.ColCapPermitted, i); ok {
		p.CapPermitted, capsKnown = v, true
	}
	if v, ok := r.Uint(format.ColCapInheritable, i); ok {
		p.CapInheritable, capsKnown = v, true
	}
	p.CapsKnown = capsKnown
	if v, ok := r.Int(format.ColPidnsInitStartTs, i); ok {
		p.PidnsInitStartTs = v
	}
	if v, ok := r.Int(format.ColStartTs, i); ok {
		p.StartTs = v
	}
}

func cloneCol(r *Rows, c format.ColumnID, i int) string {
	v, _ := r.Str(c, i)
	return clone(v)
}

func (t *Table) applyKeyframe(r *Rows, i int) *Process {
	t.stats.Keyframes++
	pid64, ok := r.Int(format.ColPid, i)
	if !ok {
		return nil
	}
	pid := int32(pid64)
	t.forget(pid)
	p := t.procs[pid]
	if p == nil {
		p = &Process{Pid: pid, Source: FromKeyframe}
		t.procs[pid] = p
		delete(t.exited, pid)
	}
	t.fillImage(p, r, i)
	p.keyframeMark = t.keyframeMark
	return p
}

// endKeyframe closes a block of keyframe rows: processes the table holds
// that the keyframe did not list have exited unseen (their exit was lost
// or fell outside the scan), so they move to the grace set. The first
// keyframe of a replay has nothing to reconcile against.
func (t *Table) endKeyframe() {
	if !t.inKeyframe || !t.sawEvents {
		return
	}
	t.recent = [len(t.recent)]*Process{}
	for pid, p := range t.procs {
		if p.keyframeMark != t.keyframeMark {
			delete(t.procs, pid)
			t.toGrace(p)
			t.stats.Reconciled++
		}
	}
	t.sawEvents = false
}

func (t *Table) applyFork(r *Rows, i int, parent *Process) {
	child64, ok := r.Int(format.ColChildPid, i)
	if !ok || parent == nil {
		return
	}
	if ret, ok := r.Int(format.ColRet, i); ok && ret < 0 {
		return // the fork failed: no child
	}
	flags, _ := r.Uint(format.ColCloneFlags, i)
	child := int32(child64)
	if child == parent.Pid || flags&cloneThread != 0 {
		t.stats.IgnoredThreads++
		return
	}
	t.stats.Forks++
	if parent.Source == FromEvent {
		t.stats.UnknownParents++
	}
	ts, _ := r.Int(format.ColTs, i)
	c := parent.clone()
	c.Pid = child
	c.Ppid = parent.Pid
	if flags&cloneParent != 0 {
		c.Ppid = parent.Ppid
	}
	c.Vpid = 0 // unknown until the child's own rows say
	c.StartTs = ts
	c.ExecTs = 0
	c.Source = FromFork
	if v, ok := r.Int(format.ColPidnsInitStartTs, i); ok {
		c.PidnsInitStartTs = v
	}
	t.procs[child] = c
	delete(t.exited, child)
	t.forget(child)
}

func (t *Table) applyExec(r *Rows, i int, p *Process) {
	if p == nil {
		return
	}
	if ret, ok := r.Int(format.ColRet, i); ok && ret != 0 {
		return // a failed exec keeps the old image
	}
	t.stats.Execs++
	startTs := p.StartTs
	pidnsStart := p.PidnsInitStartTs
	t.fillImage(p, r, i)
	// The exec row may lack the start time (older recorders): keep the
	// fork time the table saw.
	if p.StartTs == 0 {
		p.StartTs = startTs
	}
	if p.PidnsInitStartTs == 0 {
		p.PidnsInitStartTs = pidnsStart
	}
	p.ExecTs, _ = r.Int(format.ColTs, i)
	if p.Source == FromEvent {
		p.Source = FromExec
	}
}

func (t *Table) applyExit(r *Rows, i int, p *Process) {
	if p == nil {
		return
	}
	tid, _ := r.Int(format.ColTid, i)
	if int32(tid) != p.Pid {
		t.stats.IgnoredThreads++
		return
	}
	t.stats.Exits++
	p.ExitTs, _ = r.Int(format.ColTs, i)
	t.pendingExit = p
}

// forget drops pid from the recent-actor cache after the table changed
// which process that pid names.
func (t *Table) forget(pid int32) {
	t.recent[uint32(pid)%uint32(len(t.recent))] = nil
}

// retire moves an exited process from the live map to the grace set.
func (t *Table) retire(p *Process) {
	t.forget(p.Pid)
	if t.procs[p.Pid] == p {
		delete(t.procs, p.Pid)
	}
	t.toGrace(p)
	t.stats.PendingExitDone++
}

func (t *Table) toGrace(p *Process) {
	p.fds.release() // nothing reads an exited process's fds
	t.exited[p.Pid] = p
	t.grace = append(t.grace, p)
	for len(t.grace) > t.MaxGrace {
		old := t.grace[0]
		t.grace[0] = nil
		t.grace = t.grace[1:]
		if t.exited[old.Pid] == old {
			delete(t.exited, old.Pid)
		}
	}
}

// maxHashes bounds the exe_hash join table; a host runs far fewer
// distinct executables, so reaching it means hostile or broken input,
// and the table starts over rather than growing without bound.
const maxHashes = 1 << 18

func (t *Table) applyHash(r *Rows, i int) {
	if len(t.hashes) >= maxHashes {
		clear(t.hashes)
	}
	var k ExeKey
	k.Dev, _ = r.Uint(format.ColExeDev, i)
	k.Ino, _ = r.Uint(format.ColExeIno, i)
	k.Ctime, _ = r.Int(format.ColExeCtime, i)
	k.Mtime, _ = r.Int(format.ColExeMtime, i)
	k.Size, _ = r.Int(format.ColExeSize, i)
	t.hashes[k] = Hash{
		Sha256: cloneCol(r, format.ColSha256, i),
		Source: cloneCol(r, format.ColHashSource, i),
		Error:  cloneCol(r, format.ColHashError, i),
	}
}

func (t *Table) applyUser(r *Rows, i int) {
	uid, ok := r.Uint(format.ColUID, i)
	if !ok {
		return
	}
	t.users[uint32(uid)] = User{
		UID:   uint32(uid),
		Name:  cloneCol(r, format.ColUserName, i),
		Home:  cloneCol(r, format.ColUserHome, i),
		Shell: cloneCol(r, format.ColUserShell, i),
	}
}

func (t *Table) applyGroup(r *Rows, i int) {
	gid, ok := r.Uint(format.ColGID, i)
	if !ok {
		return
	}
	t.groups[uint32(gid)] = cloneCol(r, format.ColGroupName, i)
}
