package capture

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rewind-sh/rewind/format"
	"golang.org/x/sys/unix"
)

func newTestProcFS(t *testing.T) *ProcFS {
	t.Helper()
	p, err := NewProcFS("/proc", []string{"REWIND_TEST_ENV", "PATH"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProcessReadsTheTestsOwnProcess(t *testing.T) {
	p := newTestProcFS(t)
	t.Setenv("REWIND_TEST_ENV", "on")
	// The environment of /proc/self is the one at exec; start a child that
	// has the variable from birth.
	cmd := exec.Command("sleep", "5")
	cmd.Env = append(os.Environ(), "REWIND_TEST_ENV=on")
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	time.Sleep(50 * time.Millisecond)
	pid := int32(cmd.Process.Pid)

	ev, _, err := p.Process(pid, nil)
	if err != nil {
		t.Fatal(err)
	}
	sleepPath, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	realSleep, _ := filepath.EvalSymlinks(sleepPath)
	var st unix.Stat_t
	if err := unix.Stat(realSleep, &st); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"kind", ev.Kind, format.KindKeyframe},
		{"pid", ev.Pid, pid},
		{"tid equals pid", ev.Tid, pid},
		{"ppid is the test", ev.Ppid, int32(os.Getpid())},
		{"uid", ev.UID, uint32(os.Getuid())},
		{"euid", ev.EUID, uint32(os.Geteuid())},
		{"gid", ev.GID, uint32(os.Getgid())},
		{"comm", ev.Comm, "sleep"},
		{"exe path", ev.ExePath, realSleep},
		{"exe ino", ev.ExeIno, st.Ino},
		{"exe dev", ev.ExeDev, st.Dev},
		{"exe ctime", ev.ExeCtime, st.Ctim.Nano()},
		{"exe mtime", ev.ExeMtime, st.Mtim.Nano()},
		{"exe size", ev.ExeSize, st.Size},
		{"exe mode", ev.ExeMode, st.Mode},
		{"cwd", ev.Cwd, cmd.Dir},
		{"argv", strings.Join(ev.Argv, " "), "sleep 5"},
		{"selected env", strings.Contains(strings.Join(ev.Env, "\n"), "REWIND_TEST_ENV=on"), true},
		{"unselected env is absent", strings.Contains(strings.Join(ev.Env, "\n"), "HOME="), false},
		{"pgid follows the parent", ev.Pgid, int32(unix.Getpgrp())},
		{"vpid in the initial namespace is the pid", ev.Vpid, pid},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if ev.State == "" {
		t.Error("state is empty")
	}
	if ev.MntNs == 0 || ev.PidNs == 0 || ev.NetNs == 0 || ev.UserNs == 0 {
		t.Errorf("namespaces not read: %+v", ev)
	}
	var self unix.Stat_t
	if err := unix.Stat("/proc/self/ns/mnt", &self); err != nil {
		t.Fatal(err)
	}
	if uint64(ev.MntNs) != self.Ino {
		t.Errorf("mnt ns = %d, want the test's %d", ev.MntNs, self.Ino)
	}
	now := time.Now().UnixNano()
	if ev.StartTs > now || now-ev.StartTs > int64(10*time.Second) {
		t.Errorf("start ts %v is not within 10 s before now", time.Unix(0, ev.StartTs))
	}
	if p.CgroupRoot != "" && ev.Null.Has(format.ColCgroupID) {
		t.Errorf("cgroup id not resolved under %s for path %q", p.CgroupRoot, ev.CgroupPath)
	}
}

func TestProcessOfAMissingPidIsNotExist(t *testing.T) {
	p := newTestProcFS(t)
	_, _, err := p.Process(1<<30, nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want not-exist", err)
	}
}

func TestScanFindsTheTestAndPidOne(t *testing.T) {
	p := newTestProcFS(t)
	rows, err := p.Scan()
	if err != nil {
		t.Logf("scan reported: %v", err)
	}
	var self, init *format.Event
	for i := range rows {
		switch rows[i].Pid {
		case int32(os.Getpid()):
			self = &rows[i]
		case 1:
			init = &rows[i]
		}
	}
	if self == nil || init == nil {
		t.Fatalf("scan of %d rows: test process found %v, pid 1 found %v", len(rows), self != nil, init != nil)
	}
	// Sandboxes may hide pid 1's namespace links; check the join only
	// when pid 1 is visibly the init of the test's pid namespace.
	if init.PidNs != 0 && init.PidNs == self.PidNs && init.Vpid == 1 && self.PidnsInitStartTs != init.StartTs {
		t.Errorf("pidns_init_start_ts = %d, want pid 1's start %d", self.PidnsInitStartTs, init.StartTs)
	}
}

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    procStat
		wantErr string
	}{
		{"a plain line", "42 (bash) S 1 42 42 34816 42 4194304 0 0 0 0 0 0 0 0 20 0 1 0 12345 0 0",
			procStat{comm: "bash", state: "S", ppid: 1, pgrp: 42, session: 42, ttyNr: 34816, startTime: 12345}, ""},
		{"a comm with spaces and parentheses", "7 (a) b (c)) R 2 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0",
			procStat{comm: "a) b (c)", state: "R", ppid: 2, startTime: 99}, ""},
		{"no comm", "7 R 2", procStat{}, "no (comm) field"},
		{"truncated", "7 (x) R 2 3", procStat{}, "3 fields after comm, want at least 20"},
		{"a bad ppid", "7 (x) R z 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0", procStat{}, `field ppid: strconv.ParseInt: parsing "z": invalid syntax`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestSplitNulBoundsArgv(t *testing.T) {
	tests := []struct {
		name            string
		in              string
		count, maxBytes int
		want            []string
	}{
		{"a trailing nul is not an empty argument", "a\x00bb\x00", 10, 100, []string{"a", "bb"}},
		{"empty input is nil", "", 10, 100, nil},
		{"the count bound keeps the first arguments", "a\x00b\x00c\x00", 2, 100, []string{"a", "b"}},
		{"the byte bound cuts the last argument", "abcd\x00efgh\x00", 10, 6, []string{"abcd", "ef"}},
		{"empty arguments are kept", "a\x00\x00b", 10, 100, []string{"a", "", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitNul([]byte(tt.in), tt.count, tt.maxBytes)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSelectEnv(t *testing.T) {
	env := []byte("PATH=/bin\x00LD_PRELOAD=/x.so\x00LD_AUDIT=a\x00SSH_CONNECTION=1 2 3 4\x00NOEQUALS\x00=v\x00")
	tests := []struct {
		name   string
		filter EnvFilter
		want   string
	}{
		{"exact names", EnvFilter{"PATH", "LD_AUDIT"}, "PATH=/bin|LD_AUDIT=a"},
		{"a prefix with a star", EnvFilter{"LD_*"}, "LD_PRELOAD=/x.so|LD_AUDIT=a"},
		{"an empty filter keeps nothing", nil, ""},
		{"entries without a name are skipped", EnvFilter{"*"}, "PATH=/bin|LD_PRELOAD=/x.so|LD_AUDIT=a|SSH_CONNECTION=1 2 3 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(selectEnv(env, tt.filter), "|"); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWritableBy(t *testing.T) {
	tests := []struct {
		name            string
		mode, fuid, gid uint32
		euid, egid      uint32
		caps            uint64
		want            bool
	}{
		{"the owner with the owner write bit", 0o755, 1000, 1000, 1000, 1000, 0, true},
		{"another user without the other write bit", 0o755, 0, 0, 1000, 1000, 0, false},
		{"another user with the other write bit", 0o757, 0, 0, 1000, 1000, 0, true},
		{"a group member with the group write bit", 0o775, 0, 50, 1000, 50, 0, true},
		{"the owner bit wins over the other bit", 0o557, 1000, 0, 1000, 1000, 0, false},
		{"CAP_DAC_OVERRIDE writes anything", 0o555, 0, 0, 0, 0, capDacOverride, true},
		{"root without capabilities obeys the bits", 0o555, 0, 0, 0, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := writableBy(tt.mode, tt.fuid, tt.gid, tt.euid, tt.egid, tt.caps); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzParseProcStatus(f *testing.F) {
	b, _ := os.ReadFile("/proc/self/status")
	f.Add(b)
	f.Add([]byte("Uid:\t1\nGid:\nNSpid: 1 x\nCapEff: zz\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = parseProcStatus(in)
		_, _ = parseProcStat(in)
		_ = parseProcCgroup(in).container()
	})
}

// FuzzProcessFromHostileProc reads a made-up /proc whose files hold
// arbitrary bytes: Process must return a row or an error naming the
// file, never panic.
func FuzzProcessFromHostileProc(f *testing.F) {
	f.Add([]byte("1 (x) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0"), []byte("Uid:\t0\t0\t0\t0\nNSpid:\t1\n"), []byte("0::/docker/"+idA+"\n"), []byte("a\x00b\x00"))
	f.Add([]byte("(((("), []byte("CapEff:\tzz\n"), []byte("::::"), []byte{0, 0, 0})
	root := f.TempDir() // one per fuzzing process, rewritten by each input
	dir := filepath.Join(root, "7")
	if err := os.Mkdir(dir, 0o700); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, stat, status, cgroup, cmdline []byte) {
		for name, data := range map[string][]byte{"stat": stat, "status": status, "cgroup": cgroup, "cmdline": cmdline, "environ": cmdline, "loginuid": status} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		p := &ProcFS{Root: root, ClockTicks: 100, EnvNames: EnvFilter{"*"}, ArgvMaxCount: 4, ArgvMaxBytes: 64, Now: time.Now}
		ev, _, err := p.Process(7, nil)
		if err != nil {
			if !strings.Contains(err.Error(), dir) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if ev.Pid != 7 || len(ev.Argv) > 4 {
			t.Fatalf("row %+v", ev)
		}
	})
}
