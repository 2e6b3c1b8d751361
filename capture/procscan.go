package capture

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rewind-sh/rewind/bpf"
	"github.com/rewind-sh/rewind/format"
	"golang.org/x/sys/unix"
)

// capDacOverride is CAP_DAC_OVERRIDE's bit: a process holding it may write
// any file whatever its mode bits.
const capDacOverride = 1 << 1

// ProcFS reads the state of live processes from a procfs mount and turns
// it into keyframe rows. Its fields are configuration, set before use;
// after that it is safe for concurrent use.
type ProcFS struct {
	// Root is the procfs mount, normally /proc.
	Root string
	// CgroupRoot is the cgroup v2 mount point ("" when there is none):
	// the inode of a cgroup's directory there is its cgroup id.
	CgroupRoot string
	// BootTimeNs turns start times (ticks after boot) into epoch ns.
	BootTimeNs int64
	// ClockTicks is USER_HZ, the unit of /proc/PID/stat times (100 on
	// every Linux ABI rewind supports).
	ClockTicks int64
	// EnvNames are the environment variables kept; ArgvMaxCount and
	// ArgvMaxBytes bound argv.
	EnvNames     EnvFilter
	ArgvMaxCount int
	ArgvMaxBytes int
	// Now stamps the rows; replaceable in tests.
	Now func() time.Time
}

// NewProcFS returns a ProcFS for root with the host's boot time, cgroup v2
// mount and default bounds.
func NewProcFS(root string, envNames []string) (*ProcFS, error) {
	clock, err := bpf.MeasureBootClock()
	if err != nil {
		return nil, err
	}
	p := &ProcFS{
		Root:         root,
		CgroupRoot:   findCgroup2Mount(root),
		BootTimeNs:   clock.OffsetNs,
		ClockTicks:   100,
		EnvNames:     EnvFilter(envNames),
		ArgvMaxCount: DefaultArgvMaxCount,
		ArgvMaxBytes: DefaultArgvMaxBytes,
		Now:          time.Now,
	}
	return p, nil
}

// findCgroup2Mount finds the cgroup v2 mount in /proc/self/mountinfo
// (/sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid ones).
func findCgroup2Mount(procRoot string) string {
	b, err := os.ReadFile(procRoot + "/self/mountinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		// ... mount-point ... - fstype source options
		pre, post, ok := strings.Cut(line, " - ")
		if !ok || !strings.HasPrefix(post, "cgroup2 ") {
			continue
		}
		f := strings.Fields(pre)
		if len(f) >= 5 {
			return unescapeMountinfo(f[4])
		}
	}
	return ""
}

// unescapeMountinfo undoes the octal escapes (\040 for a space) of
// mountinfo fields.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Process reads one live process (thread group pid) into a keyframe row.
// Columns that could not be read are marked null in ev.Null; a process
// that vanished returns an error wrapping fs.ErrNotExist.
func (p *ProcFS) Process(pid int32, buf []byte) (format.Event, []byte, error) {
	dir := p.Root + "/" + strconv.Itoa(int(pid))
	ev := format.Event{Kind: format.KindKeyframe, Ts: p.Now().UnixNano(), Pid: pid, Tid: pid}

	b, _, err := readBounded(dir+"/stat", buf, 4096)
	if err != nil {
		return ev, buf, fmt.Errorf("read %s/stat: %w", dir, err)
	}
	buf = b
	st, err := parseProcStat(b)
	if err != nil {
		return ev, buf, fmt.Errorf("parse %s/stat: %w", dir, err)
	}
	ev.Comm, ev.State, ev.Ppid, ev.Pgid, ev.Sid, ev.TTY = st.comm, st.state, st.ppid, st.pgrp, st.session, st.ttyNr
	ev.StartTs = p.BootTimeNs + int64(st.startTime)*(int64(time.Second)/p.ClockTicks)

	status := procStatus{}
	if b, _, err = readBounded(dir+"/status", buf, 16<<10); err == nil {
		buf = b
		status, err = parseProcStatus(b)
		if err != nil {
			return ev, buf, fmt.Errorf("parse %s/status: %w", dir, err)
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		return ev, buf, fmt.Errorf("read %s/status: %w", dir, err)
	}
	p.fillStatus(&ev, status)

	if b, _, err = readBounded(dir+"/loginuid", buf, 32); err == nil {
		buf = b
		v, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
		ev.LoginUID = uint32(v)
		if perr != nil {
			ev.Null.Add(format.ColLoginUID)
		}
	} else {
		ev.Null.Add(format.ColLoginUID)
	}

	p.fillExe(&ev, dir, status)
	if cwd, err := os.Readlink(dir + "/cwd"); err == nil {
		ev.Cwd = cwd
	}
	if b, _, err = readBounded(dir+"/cmdline", buf, p.ArgvMaxBytes+p.ArgvMaxCount); err == nil {
		buf = b
		ev.Argv = splitNul(b, p.ArgvMaxCount, p.ArgvMaxBytes)
	}
	if len(p.EnvNames) > 0 {
		if b, _, err = readBounded(dir+"/environ", buf, envMaxBytes); err == nil {
			buf = b
			ev.Env = selectEnv(b, p.EnvNames)
		} else {
			ev.Null.Add(format.ColEnv)
		}
	}
	p.fillNamespaces(&ev, dir)

	if b, _, err = readBounded(dir+"/cgroup", buf, 16<<10); err == nil {
		buf = b
		cg := parseProcCgroup(b)
		ev.CgroupPath = cg.v2
		c := cg.container()
		ev.ContainerID, ev.ContainerRuntime = c.ID, c.Runtime
		if id, ok := p.cgroupID(cg.v2); ok {
			ev.CgroupID = id
		} else {
			ev.Null.Add(format.ColCgroupID)
		}
	} else {
		ev.Null.Add(format.ColCgroupID)
	}
	// Upper/lower overlay layer and the #! interpreter are only known at
	// exec, from the kernel; /proc cannot tell them.
	ev.Null.Add(format.ColExeUpperLayer)
	ev.Null.Add(format.ColExeLowerLayer)
	ev.Null.Add(format.ColPidnsInitStartTs) // filled by Scan when the namespace's init is seen
	return ev, buf, nil
}

func (p *ProcFS) fillStatus(ev *format.Event, st procStatus) {
	ev.UID, ev.EUID, ev.GID, ev.EGID = st.uid, st.euid, st.gid, st.egid
	if st.have&statusUID == 0 {
		ev.Null.Add(format.ColUID)
		ev.Null.Add(format.ColEUID)
	}
	if st.have&statusGID == 0 {
		ev.Null.Add(format.ColGID)
		ev.Null.Add(format.ColEGID)
	}
	if n := len(st.nspid); n > 0 {
		ev.Vpid, ev.Vtid = st.nspid[n-1], st.nspid[n-1]
	} else {
		ev.Null.Add(format.ColVpid)
		ev.Null.Add(format.ColVtid)
	}
	if n := len(st.nspgid); n > 0 {
		ev.Vpgid = st.nspgid[n-1]
	} else {
		ev.Null.Add(format.ColVpgid)
	}
	ev.CapEffective, ev.CapPermitted, ev.CapInheritable = st.capEff, st.capPrm, st.capInh
	if st.have&statusCaps == 0 {
		ev.Null.Add(format.ColCapEffective)
		ev.Null.Add(format.ColCapPermitted)
		ev.Null.Add(format.ColCapInheritable)
	}
}

// fillExe sets the exe path and the identity of the file behind
// /proc/PID/exe (stat follows the link to the very inode that runs, even
// when it was deleted or replaced since).
func (p *ProcFS) fillExe(ev *format.Event, dir string, st procStatus) {
	exeCols := []format.ColumnID{format.ColExeDev, format.ColExeIno, format.ColExeCtime, format.ColExeMtime,
		format.ColExeMode, format.ColExeUID, format.ColExeGID, format.ColExeSize, format.ColExeWritable, format.ColExeFromMemfd}
	path, err := os.Readlink(dir + "/exe")
	if err != nil {
		// Kernel threads have no executable.
		for _, c := range exeCols {
			ev.Null.Add(c)
		}
		return
	}
	ev.ExePath = strings.TrimSuffix(path, " (deleted)")
	ev.ExeFromMemfd = strings.HasPrefix(path, "/memfd:")
	var s unix.Stat_t
	if err := unix.Stat(dir+"/exe", &s); err != nil {
		for _, c := range exeCols[:len(exeCols)-1] {
			ev.Null.Add(c)
		}
		return
	}
	ev.ExeDev, ev.ExeIno = s.Dev, s.Ino
	ev.ExeCtime, ev.ExeMtime = s.Ctim.Nano(), s.Mtim.Nano()
	ev.ExeMode, ev.ExeUID, ev.ExeGID, ev.ExeSize = s.Mode, s.Uid, s.Gid, s.Size
	ev.ExeWritable = writableBy(s.Mode, s.Uid, s.Gid, st.euid, st.egid, st.capEff)
}

// writableBy applies the kernel's DAC write check for a process with the
// given effective ids and capabilities (supplementary groups and
// read-only mounts are not considered).
func writableBy(mode, fileUID, fileGID, euid, egid uint32, capEff uint64) bool {
	switch {
	case capEff&capDacOverride != 0:
		return true
	case euid == fileUID:
		return mode&0o200 != 0
	case egid == fileGID:
		return mode&0o020 != 0
	default:
		return mode&0o002 != 0
	}
}

var namespaceColumns = []struct {
	name string
	col  format.ColumnID
}{
	{"mnt", format.ColMntNs}, {"pid", format.ColPidNs}, {"net", format.ColNetNs}, {"uts", format.ColUtsNs},
	{"ipc", format.ColIpcNs}, {"user", format.ColUserNs}, {"cgroup", format.ColCgroupNs},
}

func (p *ProcFS) fillNamespaces(ev *format.Event, dir string) {
	for _, ns := range namespaceColumns {
		link, err := os.Readlink(dir + "/ns/" + ns.name)
		var ino uint32
		if err == nil {
			ino, err = parseNsLink(link)
		}
		if err != nil {
			ev.Null.Add(ns.col)
			continue
		}
		switch ns.col {
		case format.ColMntNs:
			ev.MntNs = ino
		case format.ColPidNs:
			ev.PidNs = ino
		case format.ColNetNs:
			ev.NetNs = ino
		case format.ColUtsNs:
			ev.UtsNs = ino
		case format.ColIpcNs:
			ev.IpcNs = ino
		case format.ColUserNs:
			ev.UserNs = ino
		case format.ColCgroupNs:
			ev.CgroupNs = ino
		}
	}
}

// cgroupID is the inode of the cgroup's directory on the v2 mount, which
// is the id the kernel reports (bpf_get_current_cgroup_id).
func (p *ProcFS) cgroupID(path string) (uint64, bool) {
	if p.CgroupRoot == "" || path == "" {
		return 0, false
	}
	var s unix.Stat_t
	if err := unix.Stat(p.CgroupRoot+path, &s); err != nil {
		return 0, false
	}
	return s.Ino, true
}

// Scan reads every live process. Processes that exit during the scan are
// skipped; other per-process errors are returned joined, beside the rows
// that could be read.
func (p *ProcFS) Scan() ([]format.Event, error) {
	entries, err := os.ReadDir(p.Root)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", p.Root, err)
	}
	var (
		rows []format.Event
		errs []error
		buf  = make([]byte, 0, 8192)
	)
	for _, e := range entries {
		pid, err := strconv.ParseInt(e.Name(), 10, 32)
		if err != nil || !e.IsDir() {
			continue
		}
		ev, b, err := p.Process(int32(pid), buf)
		buf = b
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, unix.ESRCH) {
				errs = append(errs, err)
			}
			continue
		}
		rows = append(rows, ev)
	}
	SetPidnsInitStart(rows)
	return rows, errors.Join(errs...)
}

// SetPidnsInitStart fills pidns_init_start_ts of each row from the row of
// its pid namespace's init (vpid 1) when that row is present.
func SetPidnsInitStart(rows []format.Event) {
	inits := make(map[uint32]int64)
	for i := range rows {
		r := &rows[i]
		if r.Vpid == 1 && r.PidNs != 0 && !r.Null.Has(format.ColVpid) {
			inits[r.PidNs] = r.StartTs
		}
	}
	for i := range rows {
		r := &rows[i]
		if ts, ok := inits[r.PidNs]; ok && r.PidNs != 0 {
			r.PidnsInitStartTs = ts
			clearNull(&r.Null, format.ColPidnsInitStartTs)
		}
	}
}

// clearNull takes c out of a null set (format.ColumnSet has only Add).
func clearNull(s *format.ColumnSet, c format.ColumnID) { s[c/64] &^= 1 << (c % 64) }
