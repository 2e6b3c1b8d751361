package engine

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/rewind-sh/rewind/analyze/cond"
	"github.com/rewind-sh/rewind/analyze/fields"
	"github.com/rewind-sh/rewind/analyze/state"
	"github.com/rewind-sh/rewind/format"
)

// RunOptions restrict a run. Zero values mean the whole recording.
type RunOptions struct {
	// Since and Until bound the events rules are tested on (ns since the
	// epoch, inclusive / exclusive). The process table is still rebuilt
	// from the keyframe of the first segment the window touches.
	Since, Until int64
}

// Stats count what a run did.
type Stats struct {
	Rows     uint64 // rows read, all kinds
	Events   uint64 // event rows (not keyframe, hash, user, group, heartbeat)
	Tested   uint64 // event rows inside the window that some rule could match
	Alerts   uint64
	ByRule   map[string]uint64
	Batches  int
	Table    state.Stats
	Warnings []string // from the recording (recovered segments, ...)
}

// isEvent reports whether rows of kind k are events that rules see.
func isEvent(k format.Kind) bool {
	switch k {
	case format.KindExec, format.KindFork, format.KindExit, format.KindOpen,
		format.KindFile, format.KindNet, format.KindSecurity:
		return true
	}
	return false
}

// Run replays rec through the rules and calls emit for every alert, in
// event order (rules in definition order within an event). An error from
// emit stops the run and is returned.
func (r *Ruleset) Run(rec *format.Recording, opts RunOptions, emit func(*Alert) error) (Stats, error) {
	st := Stats{ByRule: map[string]uint64{}, Warnings: rec.Warnings}
	host := ""
	if rec.Manifest != nil {
		host = rec.Manifest.Host.Hostname
	}
	rp := newReplay(r, host)
	if r.readsHashes {
		if err := rp.prescanHashes(rec); err != nil {
			return st, err
		}
	}
	scan := format.ScanOptions{Since: opts.Since, Until: opts.Until, Columns: r.scanColumns(rec)}
	err := rec.Scan(scan, func(b *format.Batch) error {
		return rp.batch(b, opts, &st, emit)
	})
	st.Table = rp.table.Stats()
	return st, err
}

// unreadColumns are the columns neither the process table nor any field
// reads: a replay skips decompressing them.
var unreadColumns = []format.ColumnID{
	format.ColSeq, format.ColUtsNs, format.ColIpcNs, format.ColCgroupNs, format.ColCgroupID,
	format.ColMntNs, format.ColPidNs, format.ColNetNs, format.ColUserNs, format.ColEGID, format.ColExeGID,
	format.ColState, format.ColTargetPathRaw, format.ColDropsPerCPU, format.ColDropsUser,
	format.ColEventsPerKind, format.ColRingUsedBytes, format.ColRingSizeBytes,
	format.ColRecorderCPUNs, format.ColRecorderRSSBytes,
	format.ColScriptPath, // proc.exe.script is the path as the exec named it
}

// optionalColumns are read only by the fields named beside them (by the
// field itself or through the process state they fill) and by the event
// arguments that list them in fields.ArgColumns, so a replay whose rules
// and outputs name none of those skips them. A name matches any field
// that contains it, so "proc.pgid" covers proc.pgid.name too. Keep this
// in step with analyze/fields: a field that starts reading one of these
// columns must be listed here (TestSkippedColumnsChangeNoField checks).
var optionalColumns = []struct {
	col     format.ColumnID
	readers []string
}{
	{format.ColEnv, []string{"proc.env"}},
	{format.ColCapPermitted, []string{"thread.cap_permitted"}},
	{format.ColCapInheritable, []string{"thread.cap_inheritable"}},
	{format.ColPgid, []string{"proc.pgid", "proc.is_pgid_leader"}},
	{format.ColVpgid, []string{"proc.vpgid", "proc.is_vpgid_leader"}},
	{format.ColCgroupPath, []string{"proc.cgroup"}},
	{format.ColContainerRuntime, []string{"container.type"}},
	{format.ColExeMode, []string{"proc.exe.mode"}},
	{format.ColExeUID, []string{"proc.exe.uid"}},
	{format.ColEUID, []string{"user.euid"}},
	{format.ColVtid, []string{"thread.vtid"}},
	{format.ColCPU, []string{"evt.cpu"}},
	{format.ColTruncated, []string{"evt.is_truncated"}},
	{format.ColInterpreter, []string{"proc.exe.script"}},
	{format.ColScriptDev, []string{"proc.exe.script.sha256"}},
	{format.ColScriptIno, []string{"proc.exe.script.sha256"}},
	{format.ColScriptCtime, []string{"proc.exe.script.sha256"}},
	{format.ColScriptMtime, []string{"proc.exe.script.sha256"}},
	{format.ColScriptSize, []string{"proc.exe.script.sha256"}},
	{format.ColFilename, []string{"proc.exe.filename"}},
	{format.ColDev, []string{"fd.dev"}},
	{format.ColIno, []string{"fd.ino"}},
	{format.ColMode, []string{"evt.is_open_exec"}},
	{format.ColUserHome, []string{"user.homedir"}},
	{format.ColUserShell, []string{"user.shell"}},
	{format.ColSha256, hashFields},
	{format.ColHashSource, hashFields},
	{format.ColHashError, hashFields},
	// Read by event arguments alone.
	{format.ColSockType, nil},
	{format.ColChildTid, nil},
	{format.ColExitCode, nil},
	{format.ColExitSignal, nil},
	{format.ColNewUID, nil},
	{format.ColNewGID, nil},
	{format.ColNewEUID, nil},
	{format.ColNewSUID, nil},
	{format.ColNewEGID, nil},
	{format.ColNewSGID, nil},
	{format.ColTargetPid, nil},
	{format.ColSignal, nil},
	{format.ColOp, nil},
	{format.ColNsFlags, nil},
	{format.ColFsType, nil},
	{format.ColAddr, nil},
	{format.ColLen, nil},
	{format.ColProt, nil},
}

// replayColumns returns the columns a replay of p reads: every column
// but the unread ones and the optional ones that no field or event
// argument of p needs.
func replayColumns(p *cond.Program) []format.ColumnID {
	args := argColumns(p)
	skip := map[format.ColumnID]bool{}
	for _, c := range unreadColumns {
		skip[c] = true
	}
	for _, o := range optionalColumns {
		skip[o.col] = !args[o.col] && !readsAnyField(p, o.readers)
	}
	var out []format.ColumnID
	for c := format.ColumnID(0); c < format.NumColumns; c++ {
		if !skip[c] {
			out = append(out, c)
		}
	}
	return out
}

// argRef finds the event-argument fields in a field name as written
// (also inside a transformer): evt.args, evt.arg, evt.arg.NAME,
// evt.arg[NAME or N], evt.rawarg.NAME.
var argRef = regexp.MustCompile(`evt\.(?:raw)?arg(?:(s)\b|\.([A-Za-z0-9_]+)|\[([^\]]*)\])?`)

// argColumns returns the columns the event-argument fields of p read. A
// field that renders every argument (evt.args, evt.arg[N]) reads the
// arguments of the event types its rule can match, since a condition
// is only tested on those and an output only printed for a match.
func argColumns(p *cond.Program) map[format.ColumnID]bool {
	need := map[format.ColumnID]bool{}
	add := func(cols []format.ColumnID) {
		for _, c := range cols {
			need[c] = true
		}
	}
	for _, cr := range p.Rules {
		names := cr.Condition.Fields
		if cr.Output != nil {
			names = append(names[:len(names):len(names)], cr.Output.FieldNames()...)
		}
		for _, n := range names {
			for _, m := range argRef.FindAllStringSubmatch(n, -1) {
				name := m[2]
				if m[3] != "" {
					if _, err := strconv.Atoi(m[3]); err != nil {
						name = m[3]
					}
				}
				if name == "" { // evt.args, evt.arg[N], a bare evt.arg
					add(fields.TypeArgColumns(cr.Condition.Types))
					continue
				}
				cols, ok := fields.ArgColumns(name)
				if !ok { // not a parameter the catalog renders: keep them all
					cols = fields.TypeArgColumns(cond.AllTypes())
				}
				add(cols)
			}
		}
	}
	return need
}

// scanColumns returns the column projection of a replay of rec. (Older
// schema versions read through a projection too: a column they lack
// reads as null.)
func (r *Ruleset) scanColumns(*format.Recording) []format.ColumnID {
	return r.columns
}

// hashColumns are what exe_hash rows carry.
var hashColumns = []format.ColumnID{format.ColExeDev, format.ColExeIno, format.ColExeCtime,
	format.ColExeMtime, format.ColExeSize, format.ColSha256, format.ColHashSource, format.ColHashError}

// prescanHashes loads every exe_hash row of the recording before the
// replay (when some rule or output reads a hash: it is a second pass
// over the recording). The recorder hashes executables asynchronously, so a hash row
// usually follows the exec it describes; since a hash belongs to a file
// identity (device, inode, ctime, mtime, size), not to a moment, alerts
// on that exec may already show it.
func (rp *replay) prescanHashes(rec *format.Recording) error {
	var rows state.Rows
	opts := format.ScanOptions{Kinds: format.SetOf(format.KindExeHash), Columns: hashColumns}
	return rec.Scan(opts, func(b *format.Batch) error {
		if err := rows.Reset(b.Record); err != nil {
			return fmt.Errorf("segment %s: batch %d: %w", b.Segment, b.Index, err)
		}
		for i := 0; i < b.Len(); i++ {
			if k := b.Kind(i); k == format.KindExeHash {
				rp.table.Apply(&rows, i, k)
			}
		}
		return nil
	})
}

// replay is the state of one run.
type replay struct {
	rs    *Ruleset
	table *state.Table
	rows  state.Rows
	ev    fields.Event
	cands [][]*cond.CompiledRule
	types []string // the batch's evt.type dictionary
	other []*cond.CompiledRule
	num   uint64
	// buf and ends are alert's scratch: rendered text, field ends.
	buf  []byte
	ends []int
}

func newReplay(rs *Ruleset, host string) *replay {
	rp := &replay{rs: rs, table: state.NewTable()}
	rp.table.TrackFiles = rs.trackFiles
	rp.ev.Rows = &rp.rows
	rp.ev.Table = rp.table
	rp.ev.Hostname = host
	// An evt.type no rule names gets the rules that match any type.
	rp.other = rs.Program.Candidates("\x00no such type")
	return rp
}

func (rp *replay) batch(b *format.Batch, opts RunOptions, st *Stats, emit func(*Alert) error) error {
	if err := rp.rows.Reset(b.Record); err != nil {
		return fmt.Errorf("segment %s: batch %d: %w", b.Segment, b.Index, err)
	}
	st.Batches++
	rp.table.BeginSegment(b.Segment)
	// Map the batch's evt.type dictionary to candidate rules once, so the
	// per-row cost is an index.
	rp.cands, rp.types = rp.cands[:0], rp.types[:0]
	if dict := rp.rows.Dict(format.ColSyscall); dict != nil {
		for j := 0; j < dict.Len(); j++ {
			rp.types = append(rp.types, dict.Value(j))
			rp.cands = append(rp.cands, rp.rs.Program.Candidates(dict.Value(j)))
		}
	}
	n := b.Len()
	st.Rows += uint64(n)
	for i := 0; i < n; i++ {
		kind := b.Kind(i)
		p := rp.table.Apply(&rp.rows, i, kind)
		if !isEvent(kind) {
			continue
		}
		rp.num++
		st.Events++
		if ts := b.Ts(i); ts < opts.Since || (opts.Until != 0 && ts >= opts.Until) {
			continue
		}
		list, typ := rp.other, -1
		if di, ok := rp.rows.DictIndex(format.ColSyscall, i); ok && di < len(rp.cands) {
			list, typ = rp.cands[di], di
		}
		if len(list) == 0 {
			continue
		}
		st.Tested++
		rp.ev.Reset(i, kind, rp.num)
		if typ >= 0 {
			rp.ev.SetType(rp.types[typ])
		}
		if p != nil {
			rp.ev.SetProcess(p)
		}
		for _, cr := range list {
			if !cr.Condition.Match(&rp.ev) {
				continue
			}
			a := rp.alert(cr, &rp.ev)
			st.Alerts++
			st.ByRule[a.Rule]++
			if err := emit(a); err != nil {
				return err
			}
		}
	}
	return nil
}

// alert builds the alert of rule cr for ev. The output and every
// output field are rendered into rp.buf, reused between alerts, and
// copied out as one string that the alert's values are slices of: one
// allocation instead of one per value, each grown from nothing.
func (rp *replay) alert(cr *cond.CompiledRule, ev *fields.Event) *Alert {
	a := &Alert{
		Time:     ev.Ts(),
		Rule:     cr.Rule.Name,
		Priority: cr.Rule.Priority.String(),
		Tags:     cr.Rule.Tags,
		Hostname: ev.Hostname,
		Source:   cr.Rule.Source,
		EventNum: ev.Num,
	}
	if a.Source == "" {
		a.Source = "syscall"
	}
	if pid, ok := ev.Rows.Int(format.ColPid, ev.Row); ok {
		a.Pid = int32(pid)
	}
	buf, ends := rp.buf[:0], rp.ends[:0]
	if cr.Output != nil {
		buf = cr.Output.AppendFormat(buf, ev)
	}
	outputEnd := len(buf)
	ofs := rp.rs.outputFields[cr]
	for _, of := range ofs {
		buf = of.f.AppendFormat(buf, ev)
		ends = append(ends, len(buf))
	}
	rp.buf, rp.ends = buf, ends
	text := string(buf)
	if cr.Output != nil {
		a.Output = strings.TrimSpace(text[:outputEnd])
	}
	if len(ofs) > 0 {
		a.OutputFields = make([]FieldValue, len(ofs))
		start := outputEnd
		for i, of := range ofs {
			a.OutputFields[i] = FieldValue{Name: of.name, Value: text[start:ends[i]], JSON: of.json}
			start = ends[i]
		}
	}
	return a
}
