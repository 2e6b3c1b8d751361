package formattest

import (
	"fmt"
	"math/rand/v2"

	"github.com/rewind-sh/rewind/format"
)

// The mix: about 70% file opens over ~2k paths, 20% network, 10% process
// lifecycle (exec, fork, exit), from ~50 live processes on 2 CPUs.
const (
	numProcs   = 50
	numPaths   = 2000
	numAddrs   = 200
	numCPU     = 2
	bootTimeNs = int64(1_763_900_000_000_000_000) // a fixed epoch, so runs compare
)

type binary struct {
	comm, exe string
	dev, ino  uint64
	uid       uint32
}

var binaries = []binary{
	{"nginx", "/usr/sbin/nginx", 2049, 131_101, 33},
	{"postgres", "/usr/lib/postgresql/16/bin/postgres", 2049, 140_222, 112},
	{"python3", "/usr/bin/python3.12", 2049, 130_017, 1000},
	{"node", "/usr/local/bin/node", 2049, 150_330, 1000},
	{"sshd", "/usr/sbin/sshd", 2049, 131_555, 0},
	{"bash", "/usr/bin/bash", 2049, 130_001, 1000},
	{"cron", "/usr/sbin/cron", 2049, 131_600, 0},
	{"systemd-journal", "/usr/lib/systemd/systemd-journald", 2049, 132_010, 0},
	{"containerd", "/usr/bin/containerd", 2049, 133_300, 0},
	{"java", "/usr/lib/jvm/java-21/bin/java", 2049, 160_444, 998},
	{"redis-server", "/usr/bin/redis-server", 2049, 134_777, 110},
	{"git", "/usr/bin/git", 2049, 130_500, 1000},
	{"curl", "/usr/bin/curl", 2049, 130_600, 1000},
	{"sh", "/usr/bin/dash", 2049, 130_002, 0},
}

type process struct {
	pid, ppid int32
	bin       *binary
	mntNs     uint32
	netNs     uint32
	pidNs     uint32
	container string
	cgroupID  uint64
}

// Generator fills events with the busy-host mix. It is deterministic for
// a seed and not safe for concurrent use.
type Generator struct {
	rng     *rand.Rand
	ts      int64
	seq     [numCPU]uint64
	nextPid int32
	procs   []process
	running [numCPU]int // index in procs of the task each CPU runs
	paths   []string
	addrs   []string
	argv    [][]string
}

// BusyHost returns a generator seeded with seed.
func BusyHost(seed int64) *Generator {
	g := &Generator{
		rng:     rand.New(rand.NewPCG(uint64(seed), 0x5eed)),
		ts:      bootTimeNs,
		nextPid: 1000,
	}
	dirs := []string{"/etc", "/usr/lib/x86_64-linux-gnu", "/var/log", "/var/lib/postgresql/16/main/base/16384", "/proc/self", "/tmp", "/home/app/src", "/usr/share/zoneinfo", "/srv/www/static", "/var/lib/redis"}
	for i := 0; i < numPaths; i++ {
		g.paths = append(g.paths, fmt.Sprintf("%s/file-%04d.%s", dirs[i%len(dirs)], i, []string{"conf", "so", "log", "dat", "js"}[i%5]))
	}
	for i := 0; i < numAddrs; i++ {
		if i%10 == 0 {
			g.addrs = append(g.addrs, fmt.Sprintf("2001:db8::%x", i))
		} else {
			g.addrs = append(g.addrs, fmt.Sprintf("10.%d.%d.%d", i%4, i/4%250, i%250+1))
		}
	}
	for i := range binaries {
		g.argv = append(g.argv, []string{binaries[i].exe, "--config", "/etc/" + binaries[i].comm + ".conf"})
	}
	for i := 0; i < numProcs; i++ {
		g.procs = append(g.procs, g.newProcess(1))
	}
	return g
}

func (g *Generator) newProcess(ppid int32) process {
	g.nextPid += int32(1 + g.rng.IntN(7))
	p := process{pid: g.nextPid, ppid: ppid, bin: &binaries[g.rng.IntN(len(binaries))], mntNs: 4026531841, netNs: 4026531840, pidNs: 4026531836, cgroupID: 1234}
	if g.rng.IntN(4) == 0 { // a quarter of the processes run in containers
		c := g.rng.IntN(3)
		p.mntNs, p.netNs, p.pidNs = 4026532200+uint32(c), 4026532300+uint32(c), 4026532400+uint32(c)
		p.container = []string{"3f2a9c1b7d4e", "a81c0e55f902", "77d0b3e1c6aa"}[c]
		p.cgroupID = 5000 + uint64(c)
	}
	return p
}

// Next overwrites ev with the next event.
func (g *Generator) Next(ev *format.Event) {
	*ev = format.Event{}
	g.ts += 2000 + int64(g.rng.IntN(16000)) // ~100k events/s with jitter
	cpu := g.rng.IntN(numCPU)
	g.seq[cpu]++
	// A CPU runs one task for a while: events come in runs from the same
	// process, as on a real host, until the scheduler switches.
	if g.rng.IntN(4) == 0 {
		g.running[cpu] = g.rng.IntN(len(g.procs))
	}
	pi := g.running[cpu]
	p := &g.procs[pi]
	ev.Ts, ev.CPU, ev.Seq = g.ts, uint16(cpu), g.seq[cpu]
	g.fillProcess(ev, p)

	switch r := g.rng.IntN(100); {
	case r < 70:
		ev.Kind, ev.Syscall = format.KindOpen, "openat"
		pathIdx := g.pathIndex()
		ev.Path = g.paths[pathIdx]
		ev.PathRaw = ev.Path
		ev.Flags = []uint64{0, 0o2, 0o1101, 0o2000000}[g.rng.IntN(4)]
		ev.Fd = int32(3 + g.rng.IntN(16))
		ev.Ret = int64(ev.Fd)
		if g.rng.IntN(20) == 0 {
			ev.Fd, ev.Ret = -1, -2 // ENOENT
		}
		ev.Dev, ev.Ino = 2049, 200_000+uint64(pathIdx)*7 // a path keeps its inode
	case r < 90:
		ev.Kind = format.KindNet
		ev.Syscall = []string{"connect", "accept4", "sendto", "bind"}[g.rng.IntN(4)]
		addr := g.addrs[g.rng.IntN(len(g.addrs))]
		ev.Family, ev.SockType, ev.Proto = 2, 1, "tcp"
		if addr[0] == '2' {
			ev.Family = 10
		}
		if g.rng.IntN(5) == 0 {
			ev.SockType, ev.Proto = 2, "udp"
		}
		ev.Saddr, ev.Sport = "10.0.0.5", uint16(32768+g.rng.IntN(28000))
		ev.Daddr, ev.Dport = addr, []uint16{443, 80, 5432, 6379, 53}[g.rng.IntN(5)]
		ev.Fd = int32(3 + g.rng.IntN(16))
	case r < 94:
		ev.Kind, ev.Syscall = format.KindExec, "execve"
		bi := g.rng.IntN(len(binaries))
		p.bin = &binaries[bi]
		g.fillProcess(ev, p)
		ev.Filename, ev.Argv, ev.Cwd = p.bin.exe, g.argv[bi], "/"
		ev.ExeCtime, ev.ExeMtime = bootTimeNs-86400e9, bootTimeNs-86400e9
		ev.ExeMode, ev.ExeSize = 0o100755, 1<<20+int64(bi)*4096
		ev.StartTs, ev.Sid, ev.Pgid, ev.Vpgid = g.ts-1e6, p.pid, p.pid, p.pid
		ev.CgroupPath = "/system.slice/" + p.bin.comm + ".service"
	case r < 97:
		ev.Kind, ev.Syscall = format.KindFork, "clone"
		child := g.newProcess(p.pid)
		child.bin = p.bin
		ev.ChildPid, ev.ChildTid, ev.CloneFlags = child.pid, child.pid, 0x11
		g.procs[g.rng.IntN(len(g.procs))] = child
	default:
		ev.Kind, ev.Syscall = format.KindExit, "sched_process_exit"
		ev.ExitCode = int32(g.rng.IntN(2))
		g.procs[pi] = g.newProcess(1)
	}
}

// pathIndex favours a hot set: most opens hit a few hundred paths.
func (g *Generator) pathIndex() int {
	if g.rng.IntN(10) < 8 {
		return g.rng.IntN(numPaths / 8)
	}
	return g.rng.IntN(numPaths)
}

func (g *Generator) fillProcess(ev *format.Event, p *process) {
	ev.Pid, ev.Tid, ev.Ppid, ev.Vpid, ev.Vtid = p.pid, p.pid, p.ppid, p.pid, p.pid
	ev.UID, ev.GID, ev.EUID, ev.EGID = p.bin.uid, p.bin.uid, p.bin.uid, p.bin.uid
	ev.LoginUID = 4294967295
	ev.Comm, ev.ExePath, ev.ExeDev, ev.ExeIno = p.bin.comm, p.bin.exe, p.bin.dev, p.bin.ino
	ev.MntNs, ev.PidNs, ev.NetNs = p.mntNs, p.pidNs, p.netNs
	ev.UtsNs, ev.IpcNs, ev.UserNs, ev.CgroupNs = 4026531838, 4026531839, 4026531837, 4026531835
	ev.CgroupID, ev.ContainerID = p.cgroupID, p.container
}

// Events returns n events of the mix.
func Events(seed int64, n int) []format.Event {
	g := BusyHost(seed)
	out := make([]format.Event, n)
	for i := range out {
		g.Next(&out[i])
	}
	return out
}

// AppendLooped passes n events to appendFn, cycling through events:
// each lap after the first is moved forward in time by the span of the
// events, so that time keeps increasing. Benchmarks use it to append
// more events than they pre-generate.
func AppendLooped(events []format.Event, n int, appendFn func(*format.Event) error) error {
	span := events[len(events)-1].Ts - events[0].Ts
	var shift int64
	for i := 0; i < n; i++ {
		j := i % len(events)
		if j == 0 && i > 0 {
			shift += span
		}
		ev := &events[j]
		ev.Ts += shift
		err := appendFn(ev)
		ev.Ts -= shift
		if err != nil {
			return err
		}
	}
	return nil
}
