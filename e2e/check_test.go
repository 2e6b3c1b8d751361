package e2e

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rewind-sh/rewind/format"
)

// Rows is the part of a recording that a truth is checked against: the
// rows of the truth's pids, and every exe_hash row (those carry no pid).
type Rows struct {
	ByPid  map[int32][]*format.Event
	Hashes []*format.Event
	Total  int // rows in the whole recording
	// Heartbeats counts heartbeat rows; KernelDrops and UserDrops are the
	// last heartbeat's cumulative drop counters.
	Heartbeats             int
	KernelDrops, UserDrops uint64
}

// LoadRows reads a recording and keeps the rows that concern pids.
func LoadRows(dir string, pids map[int32]bool) (*Rows, *format.Recording, error) {
	rec, err := format.Open(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("open recording %s: %w", dir, err)
	}
	rows := &Rows{ByPid: map[int32][]*format.Event{}}
	err = rec.Scan(format.ScanOptions{}, func(b *format.Batch) error {
		for i := 0; i < b.Len(); i++ {
			ev := new(format.Event)
			b.Event(i, ev)
			rows.Total++
			switch {
			case ev.Kind == format.KindExeHash:
				rows.Hashes = append(rows.Hashes, ev)
			case ev.Kind == format.KindHeartbeat:
				rows.Heartbeats++
				rows.UserDrops, rows.KernelDrops = ev.DropsUser, 0
				for _, d := range ev.DropsPerCPU {
					rows.KernelDrops += d
				}
			case pids[ev.Pid]:
				rows.ByPid[ev.Pid] = append(rows.ByPid[ev.Pid], ev)
			}
		}
		return nil
	})
	if err != nil {
		return nil, rec, fmt.Errorf("scan recording %s: %w", dir, err)
	}
	return rows, rec, nil
}

// Check compares the rows with the truth and returns one line per
// expected row that is missing or differs (empty when all match).
func Check(tr *Truth, rows *Rows) []string {
	var problems []string
	add := func(what string, diffs []string) {
		if len(diffs) > 0 {
			problems = append(problems, what+": "+strings.Join(diffs, "; "))
		}
	}
	for _, e := range tr.Execs {
		add(fmt.Sprintf("exec pid %d %s", e.Pid, e.pathWanted()), checkExec(tr, e, rows))
	}
	for _, o := range tr.Opens {
		add(fmt.Sprintf("open pid %d %s", o.Pid, pathOr(o.Path, o.PathSuffix, nil)), checkOpen(o, rows))
	}
	for _, f := range tr.Files {
		add(fmt.Sprintf("%s pid %d %s", strings.Join(f.Syscalls, "|"), f.Pid, pathOr(f.Path, f.PathSuffix, f.PathRaw)), checkFile(f, rows))
	}
	for _, n := range tr.Net {
		add(fmt.Sprintf("%s pid %d", strings.Join(n.Syscalls, "|"), n.Pid), checkNet(n, rows))
	}
	for _, s := range tr.Security {
		add(fmt.Sprintf("%s pid %d", strings.Join(s.Syscalls, "|"), s.Pid), checkSecurity(s, rows))
	}
	for _, f := range tr.Forks {
		add(fmt.Sprintf("fork %d -> %d", f.Pid, f.ChildPid), bestOf(rows.of(f.Pid, format.KindFork), "fork", func(ev *format.Event) []string {
			var d diffs
			d.eq("child_pid", ev.ChildPid, f.ChildPid)
			return d
		}))
	}
	for _, x := range tr.Exits {
		add(fmt.Sprintf("exit pid %d", x.Pid), bestOf(rows.of(x.Pid, format.KindExit), "exit", func(ev *format.Event) []string {
			var d diffs
			d.eq("exit_code", ev.ExitCode, x.ExitCode)
			d.eq("exit_signal", ev.ExitSignal, int32(0))
			return d
		}))
	}
	return problems
}

// of lists pid's rows of one kind.
func (r *Rows) of(pid int32, kind format.Kind) []*format.Event {
	var out []*format.Event
	for _, ev := range r.ByPid[pid] {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// diffs collects "field: got X, want Y" lines.
type diffs []string

func (d *diffs) eq(field string, got, want any) {
	if fmt.Sprint(got) != fmt.Sprint(want) {
		*d = append(*d, fmt.Sprintf("%s: got %v, want %v", field, got, want))
	}
}

func (d *diffs) add(format string, args ...any) { *d = append(*d, fmt.Sprintf(format, args...)) }

// bestOf passes when one candidate row has no differences; otherwise it
// reports the closest candidate's differences, or that none exists.
func bestOf(cands []*format.Event, what string, compare func(*format.Event) []string) []string {
	if len(cands) == 0 {
		return []string{"no " + what + " row"}
	}
	var best []string
	for _, ev := range cands {
		d := compare(ev)
		if len(d) == 0 {
			return nil
		}
		if best == nil || len(d) < len(best) {
			best = d
		}
	}
	if len(cands) > 1 {
		best = append(best, fmt.Sprintf("(closest of %d %s rows)", len(cands), what))
	}
	return best
}

func pathOr(exact, suffix, raw *string) string {
	switch {
	case exact != nil:
		return *exact
	case suffix != nil:
		return "*" + *suffix
	case raw != nil:
		return *raw + " (as passed)"
	}
	return "(any path)"
}

func pathMatches(got string, exact, prefix, suffix *string) bool {
	return (exact == nil || got == *exact) &&
		(prefix == nil || strings.HasPrefix(got, *prefix)) &&
		(suffix == nil || strings.HasSuffix(got, *suffix))
}

func (e ExecTruth) pathWanted() string {
	switch {
	case e.ExePath != nil:
		return *e.ExePath
	case e.ExePathPrefix != nil:
		return *e.ExePathPrefix + "*"
	case e.ExePathSuffix != nil:
		return "*" + *e.ExePathSuffix
	}
	return ""
}

// tsSlack is how far outside the script's own clock readings a row's
// time may lie (the readings are taken by date(1), a few µs apart from
// the events they bracket).
const tsSlack = 10_000_000

func checkExec(tr *Truth, e ExecTruth, rows *Rows) []string {
	var cands, all []*format.Event
	for _, ev := range rows.of(e.Pid, format.KindExec) {
		all = append(all, ev)
		if ev.Ret == 0 && pathMatches(ev.ExePath, e.ExePath, e.ExePathPrefix, e.ExePathSuffix) {
			cands = append(cands, ev)
		}
	}
	if len(cands) == 0 {
		var seen []string
		for _, ev := range all {
			seen = append(seen, fmt.Sprintf("%q (ret %d)", ev.ExePath, ev.Ret))
		}
		return []string{fmt.Sprintf("no successful exec row with that exe_path; the pid's exec rows: [%s]", strings.Join(seen, ", "))}
	}
	return bestOf(cands, "exec", func(ev *format.Event) []string {
		var d diffs
		if ev.Ts < tr.StartedNs-tsSlack || ev.Ts > tr.FinishedNs+tsSlack {
			d.add("ts %d outside the scenario's run [%d, %d]", ev.Ts, tr.StartedNs, tr.FinishedNs)
		}
		if e.Ppid != nil {
			d.eq("ppid", ev.Ppid, *e.Ppid)
		}
		if e.Syscall != "" {
			d.eq("syscall", ev.Syscall, e.Syscall)
		}
		if e.Filename != nil {
			d.eq("filename", ev.Filename, *e.Filename)
		}
		if e.Argv != nil && !slices.Equal(ev.Argv, e.Argv) {
			d.add("argv: got %q, want %q", ev.Argv, e.Argv)
		}
		for _, kv := range e.Env {
			if !slices.Contains(ev.Env, kv) {
				d.add("env: %q missing from %q", kv, ev.Env)
			}
		}
		optEq(&d, "uid", ev.UID, e.UID)
		optEq(&d, "euid", ev.EUID, e.EUID)
		optEq(&d, "vpid", ev.Vpid, e.Vpid)
		optEq(&d, "container_id", ev.ContainerID, e.ContainerID)
		optEq(&d, "exe_upper_layer", ev.ExeUpperLayer, e.UpperLayer)
		optEq(&d, "exe_lower_layer", ev.ExeLowerLayer, e.LowerLayer)
		optEq(&d, "exe_from_memfd", ev.ExeFromMemfd, e.FromMemfd)
		optEq(&d, "exe_writable", ev.ExeWritable, e.Writable)
		checkNamespaces(&d, ev, e.Ns)
		if e.Exe != nil {
			checkExe(&d, ev, e.Exe, rows)
		}
		if e.PidnsInitPid != nil {
			checkPidnsInit(&d, ev, e, rows)
		}
		return d
	})
}

func optEq[T comparable](d *diffs, field string, got T, want *T) {
	if want != nil && got != *want {
		d.add("%s: got %v, want %v", field, got, *want)
	}
}

func checkNamespaces(d *diffs, ev *format.Event, want map[string]uint32) {
	got := map[string]uint32{
		"mnt": ev.MntNs, "pid": ev.PidNs, "net": ev.NetNs, "uts": ev.UtsNs,
		"ipc": ev.IpcNs, "user": ev.UserNs, "cgroup": ev.CgroupNs,
	}
	kinds := make([]string, 0, len(want))
	for k := range want {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		g, known := got[k]
		if !known {
			d.add("namespace kind %q unknown to the test", k)
			continue
		}
		d.eq(k+"_ns", g, want[k])
	}
}

// checkExe compares the exec row's exe identity with stat(2), and the
// exe_hash row of that identity with the file's sha256.
func checkExe(d *diffs, ev *format.Event, want *ExeTruth, rows *Rows) {
	optEq(d, "exe_dev", ev.ExeDev, want.Dev)
	optEq(d, "exe_ino", ev.ExeIno, want.Ino)
	optEq(d, "exe_mode", ev.ExeMode, want.Mode)
	optEq(d, "exe_uid", ev.ExeUID, want.UID)
	optEq(d, "exe_gid", ev.ExeGID, want.GID)
	optEq(d, "exe_size", ev.ExeSize, want.Size)
	optEq(d, "exe_ctime", ev.ExeCtime, want.CtimeNs)
	optEq(d, "exe_mtime", ev.ExeMtime, want.MtimeNs)
	if want.Sha256 == "" {
		return
	}
	var hashErrs []string
	for _, h := range rows.Hashes {
		if h.ExeDev != ev.ExeDev || h.ExeIno != ev.ExeIno || h.ExeCtime != ev.ExeCtime || h.ExeMtime != ev.ExeMtime {
			continue
		}
		if h.Sha256 == want.Sha256 {
			return
		}
		if h.Sha256 != "" {
			d.add("exe_hash sha256: got %s, want %s", h.Sha256, want.Sha256)
			return
		}
		hashErrs = append(hashErrs, fmt.Sprintf("%s (%s)", h.HashError, h.HashSource))
	}
	if len(hashErrs) > 0 {
		d.add("exe_hash for this identity has no sha256: %s", strings.Join(hashErrs, ", "))
		return
	}
	d.add("no exe_hash row for identity dev %d ino %d ctime %d mtime %d (%d exe_hash rows in all)",
		ev.ExeDev, ev.ExeIno, ev.ExeCtime, ev.ExeMtime, len(rows.Hashes))
}

// checkPidnsInit checks pidns_init_start_ts against the start time of
// the namespace's init as the recording itself reports it (exact) and
// as /proc reported it to the scenario (to a clock tick: /proc truncates
// to 10 ms, so the true time is up to one tick later).
func checkPidnsInit(d *diffs, ev *format.Event, e ExecTruth, rows *Rows) {
	got := ev.PidnsInitStartTs
	var initStart int64
	for _, r := range rows.ByPid[*e.PidnsInitPid] {
		if (r.Kind == format.KindExec || r.Kind == format.KindKeyframe) && r.StartTs != 0 {
			initStart = r.StartTs
		}
	}
	if initStart == 0 {
		d.add("no exec or keyframe row with start_ts for the pid namespace's init (pid %d)", *e.PidnsInitPid)
	} else if got != initStart {
		d.add("pidns_init_start_ts: got %d, want the init's start_ts %d", got, initStart)
	}
	if e.PidnsInitStartNsApprox != nil {
		const tick, slack = 10_000_000, 1_000_000
		lo, hi := *e.PidnsInitStartNsApprox-slack, *e.PidnsInitStartNsApprox+tick+slack
		if got < lo || got > hi {
			d.add("pidns_init_start_ts: got %d, want within [%d, %d] from /proc", got, lo, hi)
		}
	}
}

func checkOpen(o OpenTruth, rows *Rows) []string {
	var cands []*format.Event
	for _, ev := range rows.of(o.Pid, format.KindOpen) {
		if ev.Ret >= 0 && pathMatches(ev.Path, o.Path, nil, o.PathSuffix) {
			cands = append(cands, ev)
		}
	}
	return bestOf(cands, "successful open with that path", func(ev *format.Event) []string {
		var d diffs
		optEq(&d, "ino", ev.Ino, o.Ino)
		if o.FlagsSet != nil && ev.Flags&*o.FlagsSet != *o.FlagsSet {
			d.add("flags %#o lack %#o", ev.Flags, *o.FlagsSet)
		}
		if o.FlagsClear != nil && ev.Flags&*o.FlagsClear != 0 {
			d.add("flags %#o have %#o set", ev.Flags, ev.Flags&*o.FlagsClear)
		}
		return d
	})
}

func checkFile(f FileTruth, rows *Rows) []string {
	var cands []*format.Event
	for _, ev := range rows.of(f.Pid, format.KindFile) {
		if slices.Contains(f.Syscalls, ev.Syscall) && pathMatches(ev.Path, f.Path, nil, f.PathSuffix) &&
			pathMatches(ev.PathRaw, f.PathRaw, nil, nil) {
			cands = append(cands, ev)
		}
	}
	return bestOf(cands, "file row of that syscall and path", func(ev *format.Event) []string {
		var d diffs
		optEq(&d, "target_path", ev.TargetPath, f.TargetPath)
		optEq(&d, "mode", ev.Mode, f.Mode)
		if ev.Ret != 0 {
			d.add("ret: got %d, want 0", ev.Ret)
		}
		return d
	})
}

func checkNet(n NetTruth, rows *Rows) []string {
	var cands []*format.Event
	for _, ev := range rows.of(n.Pid, format.KindNet) {
		if slices.Contains(n.Syscalls, ev.Syscall) {
			cands = append(cands, ev)
		}
	}
	return bestOf(cands, "net row of that syscall", func(ev *format.Event) []string {
		var d diffs
		optEq(&d, "fd", ev.Fd, n.Fd)
		optEq(&d, "family", ev.Family, n.Family)
		optEq(&d, "saddr", ev.Saddr, n.Saddr)
		optEq(&d, "sport", ev.Sport, n.Sport)
		optEq(&d, "daddr", ev.Daddr, n.Daddr)
		optEq(&d, "dport", ev.Dport, n.Dport)
		optEq(&d, "ret", ev.Ret, n.Ret)
		return d
	})
}

func checkSecurity(s SecTruth, rows *Rows) []string {
	var cands []*format.Event
	for _, ev := range rows.of(s.Pid, format.KindSecurity) {
		if slices.Contains(s.Syscalls, ev.Syscall) {
			cands = append(cands, ev)
		}
	}
	return bestOf(cands, "security row of that syscall", func(ev *format.Event) []string {
		var d diffs
		optEq(&d, "ret", ev.Ret, s.Ret)
		optEq(&d, "op", ev.Op, s.Op)
		optEq(&d, "target_pid", ev.TargetPid, s.TargetPid)
		optEq(&d, "ns_flags", ev.NsFlags, s.NsFlags)
		optEq(&d, "new_uid", ev.NewUID, s.NewUID)
		return d
	})
}
