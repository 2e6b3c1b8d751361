package bpf

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCapture runs one workload under the tracer, in both dispatch modes,
// and checks the decoded events against what the workload reports.
func TestCapture(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{DispatchRaw.String(), Options{Dispatch: DispatchRaw}},
		{DispatchPerSyscall.String(), Options{Dispatch: DispatchPerSyscall}},
		// the reads kernels before 6.2 make (no bpf_rdonly_cast)
		{DispatchPerSyscall.String() + " without kfuncs", Options{Dispatch: DispatchPerSyscall, NoKfuncs: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := startTracer(t, tc.opts)
			c := collect(t, tr)
			dir, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			clock, err := MeasureBootClock()
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			// The test process is the recorder here: its own opens must
			// not show up.
			selfPath := filepath.Join(dir, "opened-by-the-recorder")
			if err := os.WriteFile(selfPath, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := runWorkload("workload", "REWIND_BPF_DIR="+dir)
			if err != nil {
				t.Fatal(err)
			}
			c.finish()
			end := time.Now()
			c.mu.Lock()
			for _, ev := range c.events {
				if ev.Path == selfPath || ev.Pid == int32(os.Getpid()) {
					t.Errorf("the recorder's own event was recorded: %s", describe(&ev))
					break
				}
			}
			c.mu.Unlock()
			if len(c.decErrs) > 0 {
				t.Errorf("decode errors: %v", c.decErrs)
			}
			evs := c.tree(int32(rep.Pid))
			if len(evs) == 0 {
				t.Fatalf("no events from helper pid %d (of %d events)", rep.Pid, len(c.events))
			}
			checkWorkload(t, evs, rep)
			for _, ev := range evs {
				ts := time.Unix(0, clock.Epoch(ev.BootNs))
				if ts.Before(start.Add(-time.Second)) || ts.After(end.Add(time.Second)) {
					t.Errorf("event time %v outside the test's %v..%v: %s", ts, start, end, describe(&ev))
					break
				}
			}
			if t.Failed() {
				for _, ev := range evs {
					t.Logf("%s", describe(&ev))
				}
			}
		})
	}
}

func describe(ev *Event) string {
	return fmt.Sprintf("%s %s pid=%d tid=%d ret=%d path=%q raw=%q target=%q file=%q exe=%q argv=%q env=%q fam=%d %v:%d->%v:%d child=%d exit=%d/%d flags=%#x ns=%#x uid=%d seq=%d cpu=%d",
		ev.Kind, ev.Syscall, ev.Pid, ev.Tid, ev.Ret, ev.Path, ev.PathRaw, ev.TargetPath, ev.Filename, ev.ExePath, ev.Argv, ev.Env,
		ev.Family, ev.Saddr, ev.Sport, ev.Daddr, ev.Dport, ev.ChildPid, ev.ExitCode, ev.ExitSignal, ev.Flags, ev.NsFlags, ev.NewUID, ev.Seq, ev.CPU)
}

// expectation is one event the workload must have produced.
type expectation struct {
	name  string
	match func(*Event) bool
}

func checkWorkload(t *testing.T, evs []Event, rep helperReport) {
	realTrue, _ := filepath.EvalSymlinks("/bin/true")
	loopback := netip.MustParseAddr("127.0.0.1")
	var trueIno, trueDev uint64
	var trueCtime, trueMtime int64
	if st, err := os.Stat("/bin/true"); err == nil {
		sys := st.Sys().(*syscall.Stat_t)
		trueIno, trueDev = sys.Ino, sys.Dev
		trueCtime, trueMtime = sys.Ctim.Nano(), sys.Mtim.Nano()
	}
	var tmpDev uint64
	if st, err := os.Stat(rep.Dir); err == nil {
		tmpDev = st.Sys().(*syscall.Stat_t).Dev
	}
	// the script file as stat(2) sees it (the test's temp directory has
	// no symlinks in its path, so the kernel's path is the same string)
	var scriptFile ScriptFile
	if st, err := os.Stat(rep.Script); err == nil {
		sys := st.Sys().(*syscall.Stat_t)
		scriptFile = ScriptFile{Path: rep.Script, Dev: sys.Dev, Ino: sys.Ino, Ctime: sys.Ctim.Nano(), Mtime: sys.Mtim.Nano(),
			Size: sys.Size, Mode: sys.Mode, UID: sys.Uid, GID: sys.Gid}
	}
	exps := []expectation{
		{"exec of /bin/true carries argv, exe identity and the selected env", func(e *Event) bool {
			return e.Kind == KindExec && e.Ret == 0 && e.Filename == "/bin/true" &&
				slices.Equal(e.Argv, []string{"/bin/true", "alpha", "beta"}) &&
				e.ExePath == realTrue && e.ExeIno == trueIno && e.ExeDev == trueDev && e.ExeSize > 0 && e.ExeMode&0o111 != 0 &&
				slices.Equal(e.Env, []string{"LD_LIBRARY_PATH=/rewind-test-lib"}) &&
				e.Cwd != "" && e.StartBootNs > 0 && e.PidnsInitStartBootNs > 0 &&
				e.ExeCtime == trueCtime && e.ExeMtime == trueMtime
		}},
		{"an argv past the bound is cut and flagged", func(e *Event) bool {
			return e.Kind == KindExec && e.Ret == 0 && e.Truncated && len(e.Argv) > 10 && len(e.Argv) < 65 &&
				e.Argv[0] == "/bin/true" && e.Argv[1] == strings.Repeat("x", 100)
		}},
		{"anonymous executable memory is recorded", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "mmap" && e.Prot&unix.PROT_EXEC != 0 &&
				e.Flags&unix.MAP_ANON != 0 && e.Len == 4096 && e.Addr != 0 && e.Ret == int64(e.Addr)
		}},
		{"mprotect to executable on anonymous memory is recorded", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "mprotect" && e.Addr == rep.AnonAddr &&
				e.Prot == unix.PROT_READ|unix.PROT_EXEC && e.Len == 4096 && e.Ret == 0
		}},
		{"socket records family and type", func(e *Event) bool {
			return e.Kind == KindNet && e.Syscall == "socket" && e.Family == unix.AF_INET && e.SockType == unix.SOCK_STREAM && e.Ret >= 0
		}},
		{"the helper forks children", func(e *Event) bool {
			return e.Kind == KindFork && e.Pid == int32(rep.Pid) && e.ChildPid > 0 && e.Ret == int64(e.ChildPid)
		}},
		{"a fork names its call and flags (Go starts a child with a vfork-style clone)", func(e *Event) bool {
			return e.Kind == KindFork && e.Pid == int32(rep.Pid) && e.Syscall == "clone" &&
				e.CloneFlags&unix.CLONE_VFORK != 0 && e.CloneFlags&unix.CLONE_VM != 0
		}},
		{"an exec names its call", func(e *Event) bool {
			return e.Kind == KindExec && e.Ret == 0 && e.Syscall == "execve" && len(e.Argv) == 3 && e.Argv[1] == "alpha"
		}},
		{"an execveat on a file descriptor is recorded as one", func(e *Event) bool {
			return e.Kind == KindExec && e.Ret == 0 && e.Syscall == "execveat" &&
				len(e.Argv) == 2 && e.Argv[1] == "rewind-execveat" && strings.HasSuffix(e.ExePath, "/true")
		}},
		{"a fork into a new namespace carries the namespace flags", func(e *Event) bool {
			return e.Kind == KindFork && e.ChildPid == int32(rep.NsChildPid) &&
				e.CloneFlags&unix.CLONE_NEWUTS != 0 && e.NsFlags == unix.CLONE_NEWUTS &&
				(e.Syscall == "clone" || e.Syscall == "clone3")
		}},
		{"sh -c 'exit 7' exits with code 7", func(e *Event) bool {
			return e.Kind == KindExit && e.Comm == "sh" && e.ExitCode == 7 && e.ExitSignal == 0 && e.GroupDead
		}},
		{"a missing executable gives a failed exec", func(e *Event) bool {
			return e.Kind == KindExec && e.Ret == -int64(unix.ENOENT) && e.Filename == "/nonexistent/rewind-missing"
		}},
		{"a #! script names the script as interpreter, with the script file's identity", func(e *Event) bool {
			return e.Kind == KindExec && e.Ret == 0 && e.Interpreter == rep.Script && e.Filename == rep.Script &&
				strings.Contains(filepath.Base(e.ExePath), "sh") && e.Script != nil && *e.Script == scriptFile
		}},
		{"open of the temp file resolves to its real path", func(e *Event) bool {
			return e.Kind == KindOpen && e.Ret >= 0 && e.Path == rep.TempFile && e.PathRaw == rep.TempFile &&
				e.Flags&unix.O_CREAT != 0 && e.Ino != 0 && e.Dev == tmpDev && e.Fd == int32(e.Ret)
		}},
		{"open of a path of short and long names resolves every name", func(e *Event) bool {
			return e.Kind == KindOpen && e.Ret >= 0 && e.Path == rep.LongNames && e.PathRaw == rep.LongNames
		}},
		{"chmod records the mode", func(e *Event) bool {
			return e.Kind == KindFile && (e.Syscall == "chmod" || e.Syscall == "fchmodat") &&
				e.Path == rep.TempFile && e.Mode == 0o600 && e.Ret == 0
		}},
		{"chown records the new owner and leaves the group unchanged", func(e *Event) bool {
			return e.Kind == KindFile && (e.Syscall == "chown" || e.Syscall == "fchownat") &&
				e.Path == rep.TempFile && e.NewUID == 65534 && e.NewGID == Unchanged && e.Ret == 0
		}},
		{"truncate records the length", func(e *Event) bool {
			return e.Kind == KindFile && e.Syscall == "truncate" && e.Path == rep.TempFile && e.Len == 10 && e.Ret == 0
		}},
		{"rename records both paths", func(e *Event) bool {
			return e.Kind == KindFile && strings.HasPrefix(e.Syscall, "rename") && e.Ret == 0 &&
				e.Path == rep.TempFile && e.TargetPath == rep.Renamed
		}},
		{"mkdir and rmdir", func(e *Event) bool {
			return e.Kind == KindFile && strings.HasPrefix(e.Syscall, "mkdir") && e.Path == filepath.Join(rep.Dir, "sub") && e.Mode == 0o700
		}},
		{"symlink with a relative link path resolves against the cwd", func(e *Event) bool {
			return e.Kind == KindFile && strings.HasPrefix(e.Syscall, "symlink") && e.PathRaw == "target-text" &&
				e.TargetPathRaw == "link" && e.TargetPath == filepath.Join(rep.Dir, "link")
		}},
		{"unlink of a relative path", func(e *Event) bool {
			return e.Kind == KindFile && strings.HasPrefix(e.Syscall, "unlink") && e.PathRaw == "link" &&
				e.Path == filepath.Join(rep.Dir, "link")
		}},
		{"connect to the loopback listener carries both ends", func(e *Event) bool {
			return e.Kind == KindNet && e.Syscall == "connect" && e.Family == unix.AF_INET && e.ProtoName() == "tcp" &&
				e.Daddr == loopback && e.Dport == uint16(rep.ListenPort) && e.Sport == uint16(rep.ClientPort) && e.Saddr == loopback
		}},
		{"accept returns the peer", func(e *Event) bool {
			return e.Kind == KindNet && strings.HasPrefix(e.Syscall, "accept") && e.Ret >= 0 &&
				e.Sport == uint16(rep.ListenPort) && e.Dport == uint16(rep.ClientPort) && e.Daddr == loopback
		}},
		{"a refused connect keeps the caller's destination", func(e *Event) bool {
			return e.Kind == KindNet && e.Syscall == "connect" && e.Ret == -int64(unix.ECONNREFUSED) &&
				e.Family == unix.AF_INET && e.Daddr == loopback && e.Dport == uint16(rep.ClosedPort)
		}},
		{"ptrace records the request and the tracee", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "ptrace" && e.Op == unix.PTRACE_ATTACH &&
				e.TargetPid == int32(rep.TracedPid) && e.Ret == 0
		}},
		{"process_vm_writev records the target and the bytes written", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "process_vm_writev" && e.TargetPid == int32(rep.Pid) &&
				e.Len == 6 && e.Ret == 6
		}},
		{"mount records source, target and type", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "mount" && e.Ret == 0 && e.PathRaw == "rewind-tmpfs" &&
				e.TargetPath == rep.MountPoint && e.FsType == "tmpfs" && e.Flags&unix.MS_NOSUID != 0
		}},
		{"umount2 records the target", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "umount2" && e.Ret == 0 && e.TargetPath == rep.MountPoint
		}},
		{"bpf records the command", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "bpf" && e.Op == unix.BPF_MAP_CREATE && e.Ret >= 0
		}},
		{"capset records the sets", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "capset" && e.Ret == 0 && e.CapEffective == rep.CapEffective &&
				rep.CapEffective != 0
		}},
		{"prctl records the option", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "prctl" && e.Op == unix.PR_SET_NAME && e.Ret == 0
		}},
		{"bind and listen on the listener port", func(e *Event) bool {
			return e.Kind == KindNet && e.Syscall == "listen" && e.Sport == uint16(rep.ListenPort)
		}},
		{"sendto carries the destination", func(e *Event) bool {
			return e.Kind == KindNet && e.Syscall == "sendto" && e.ProtoName() == "udp" && e.Ret == 4 &&
				e.Daddr == loopback && e.Dport == uint16(rep.UDPServerPort) && e.Sport == uint16(rep.UDPClientPort)
		}},
		{"recvfrom carries the sender", func(e *Event) bool {
			return e.Kind == KindNet && e.Syscall == "recvfrom" && e.ProtoName() == "udp" && e.Ret == 4 &&
				e.Daddr == loopback && e.Dport == uint16(rep.UDPClientPort) && e.Sport == uint16(rep.UDPServerPort)
		}},
		{"bind of an abstract unix socket names it with @", func(e *Event) bool {
			return e.Kind == KindNet && e.Syscall == "bind" && e.Family == unix.AF_UNIX && e.Ret == 0 &&
				e.UnixPath == rep.AbstractName && e.ProtoName() == "unix"
		}},
		{"connect to a pathname unix socket carries the path", func(e *Event) bool {
			return e.Kind == KindNet && e.Syscall == "connect" && e.Family == unix.AF_UNIX && e.Ret == 0 &&
				e.UnixPath == rep.UnixPath
		}},
		{"exec from a memfd is flagged", func(e *Event) bool {
			return e.Kind == KindExec && e.Ret == 0 && e.ExeFromMemfd && slices.Equal(e.Argv, []string{rep.MemfdExe, "from-memfd"}) &&
				strings.HasPrefix(e.ExePath, "/memfd:rewind-test")
		}},
		{"memfd_create names the memfd", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "memfd_create" && e.PathRaw == "rewind-test" && e.Ret >= 0
		}},
		{"unshare records the namespace flags", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "unshare" && e.NsFlags == unix.CLONE_NEWUTS && e.Ret == 0
		}},
		{"setns names the namespace joined", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "setns" && e.Ret == 0 && e.NsFlags == unix.CLONE_NEWUTS &&
				e.Ino == rep.UtsNsIno && e.Fd >= 0
		}},
		{"kill records target and signal", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "kill" && e.TargetPid == int32(rep.Pid) && e.Signal == 0
		}},
		{"setuid records the new uid", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "setuid" && e.NewUID == 65534 && e.Ret == 0
		}},
	}
	if rep.Listen6Port != 0 {
		loopback6 := netip.IPv6Loopback()
		exps = append(exps, expectation{"connect over IPv6 loopback", func(e *Event) bool {
			return e.Kind == KindNet && e.Syscall == "connect" && e.Family == unix.AF_INET6 &&
				e.Daddr == loopback6 && e.Saddr == loopback6 && e.Dport == uint16(rep.Listen6Port) && e.Sport != 0
		}})
	}
	// Events that must not be there.
	forbidden := []expectation{
		{"mprotect to executable on a file mapping", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "mprotect" && e.Addr == rep.FileAddr
		}},
		{"a signal to another thread of the same process (Go's preemption)", func(e *Event) bool {
			return e.Kind == KindSecurity && e.Syscall == "tgkill" && e.TargetPid == e.Pid
		}},
	}
	for _, x := range forbidden {
		for i := range evs {
			if x.match(&evs[i]) {
				t.Errorf("recorded: %s: %s", x.name, describe(&evs[i]))
				break
			}
		}
	}
	for _, x := range exps {
		found := false
		for i := range evs {
			if x.match(&evs[i]) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no event: %s", x.name)
		}
	}
	// Every event of the helper's tree has a sequence number and the
	// common process fields, and shares the test's namespaces (all but
	// uts, which the helper unshares) and login uid.
	ns := func(name string) uint32 {
		var st syscall.Stat_t
		if err := syscall.Stat("/proc/self/ns/"+name, &st); err != nil {
			t.Fatalf("stat namespace: %v", err)
		}
		return uint32(st.Ino)
	}
	want := [6]uint32{ns("mnt"), ns("pid"), ns("net"), ns("ipc"), ns("user"), ns("cgroup")}
	loginuid := uint32(0xffffffff)
	if b, err := os.ReadFile("/proc/self/loginuid"); err == nil {
		if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32); err == nil {
			loginuid = uint32(v)
		}
	}
	cgroupID := unifiedCgroupID(t)
	for _, e := range evs {
		if e.Seq == 0 || e.BootNs == 0 || e.Tid == 0 || e.Vpid != e.Pid || e.Vtid != e.Tid || e.UtsNs == 0 || e.CgroupID == 0 {
			t.Errorf("event without common fields: %s", describe(&e))
			break
		}
		if cgroupID != 0 && e.CgroupID != cgroupID {
			t.Errorf("cgroup id %d, want %d (the inode of this process's unified-hierarchy cgroup): %s", e.CgroupID, cgroupID, describe(&e))
			break
		}
		if got := [6]uint32{e.MntNs, e.PidNs, e.NetNs, e.IpcNs, e.UserNs, e.CgroupNs}; got != want {
			t.Errorf("namespaces %v, want %v: %s", got, want, describe(&e))
			break
		}
		if e.LoginUID != loginuid {
			t.Errorf("loginuid %d, want %d: %s", e.LoginUID, loginuid, describe(&e))
			break
		}
	}
}

// unifiedCgroupID is the id of this process's cgroup in the unified
// (v2) hierarchy, which is its directory's inode number there; 0 when
// no unified hierarchy is mounted.
func unifiedCgroupID(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatalf("read /proc/self/cgroup: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		rel, ok := strings.CutPrefix(line, "0::")
		if !ok {
			continue
		}
		for _, root := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
			var st syscall.Stat_t
			var fs syscall.Statfs_t
			if syscall.Statfs(root, &fs) != nil || fs.Type != unix.CGROUP2_SUPER_MAGIC {
				continue
			}
			if err := syscall.Stat(filepath.Join(root, rel), &st); err == nil {
				return st.Ino
			}
		}
	}
	return 0
}
