package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rewind-sh/rewind/format"
)

// TestArgumentsOfFileAndSecurityCallsAreRecorded makes calls whose
// arguments once went missing (truncate lengths, the namespace setns
// joins, the sets capset installs) or were recorded as 0 where the call
// takes no descriptor, and compares their rows with what the test did
// and saw: stat(2) of the namespace file, capget(2).
func TestArgumentsOfFileAndSecurityCallsAreRecorded(t *testing.T) {
	RequireRoot(t)
	dir := t.TempDir()
	rec := startRecorder(t, filepath.Join(dir, "rec"))

	path := filepath.Join(dir, "file")
	writeFile(t, path, "some bytes")
	if err := os.Truncate(path, 12345); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(777); err != nil {
		t.Fatal(err)
	}
	ftruncFd := int32(f.Fd())
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}

	// setns and capset act on the calling thread: join the namespace the
	// thread is already in, and install the sets it already has.
	runtime.LockOSThread()
	nsFile, err := os.Open("/proc/thread-self/ns/uts")
	if err != nil {
		t.Fatal(err)
	}
	var nsStat unix.Stat_t
	if err := unix.Fstat(int(nsFile.Fd()), &nsStat); err != nil {
		t.Fatal(err)
	}
	nsFd := int32(nsFile.Fd())
	if err := unix.Setns(int(nsFd), 0); err != nil {
		t.Fatal(err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var caps [2]unix.CapUserData
	if err := unix.Capget(&hdr, &caps[0]); err != nil {
		t.Fatal(err)
	}
	if err := unix.Capset(&hdr, &caps[0]); err != nil {
		t.Fatal(err)
	}
	runtime.UnlockOSThread()
	nsFile.Close()
	f.Close()
	rec.stop(t)

	pid := int32(os.Getpid())
	rows, _, err := LoadRows(rec.dir, map[int32]bool{pid: true})
	if err != nil {
		t.Fatal(err)
	}
	find := func(kind format.Kind, syscall string, match func(*format.Event) bool) *format.Event {
		t.Helper()
		for _, ev := range rows.of(pid, kind) {
			if ev.Syscall == syscall && (match == nil || match(ev)) {
				return ev
			}
		}
		t.Errorf("no %s row of pid %d in the recording", syscall, pid)
		return nil
	}
	isNull := func(ev *format.Event, c format.ColumnID) bool { return ev.Null.Has(c) }

	if ev := find(format.KindFile, "truncate", func(ev *format.Event) bool { return ev.Path == path }); ev != nil {
		if isNull(ev, format.ColLen) || ev.Len != 12345 {
			t.Errorf("truncate: len %d (null %v), want 12345", ev.Len, isNull(ev, format.ColLen))
		}
		if !isNull(ev, format.ColFd) {
			t.Errorf("truncate: fd %d, want null (the call takes a path)", ev.Fd)
		}
	}
	if ev := find(format.KindFile, "ftruncate", func(ev *format.Event) bool { return ev.Fd == ftruncFd }); ev != nil {
		if isNull(ev, format.ColLen) || ev.Len != 777 {
			t.Errorf("ftruncate: len %d (null %v), want 777", ev.Len, isNull(ev, format.ColLen))
		}
	}
	if ev := find(format.KindFile, "unlinkat", func(ev *format.Event) bool { return ev.Path == path }); ev != nil {
		if !isNull(ev, format.ColFd) || !isNull(ev, format.ColLen) {
			t.Errorf("unlinkat: fd %d len %d, want both null", ev.Fd, ev.Len)
		}
	}
	if ev := find(format.KindSecurity, "setns", nil); ev != nil {
		if ev.Fd != nsFd || isNull(ev, format.ColFd) {
			t.Errorf("setns: fd %d, want %d", ev.Fd, nsFd)
		}
		if ev.Ino != nsStat.Ino || isNull(ev, format.ColIno) {
			t.Errorf("setns: ino %d, want the namespace file's %d", ev.Ino, nsStat.Ino)
		}
		if ev.NsFlags != unix.CLONE_NEWUTS {
			t.Errorf("setns: ns_flags %#x, want CLONE_NEWUTS %#x although the caller passed 0", ev.NsFlags, unix.CLONE_NEWUTS)
		}
		if ev.Ret != 0 {
			t.Errorf("setns: ret %d", ev.Ret)
		}
	}
	if ev := find(format.KindSecurity, "capset", nil); ev != nil {
		eff := uint64(caps[0].Effective) | uint64(caps[1].Effective)<<32
		prm := uint64(caps[0].Permitted) | uint64(caps[1].Permitted)<<32
		if isNull(ev, format.ColCapEffective) || ev.CapEffective != eff {
			t.Errorf("capset: cap_effective %#x (null %v), want %#x", ev.CapEffective, isNull(ev, format.ColCapEffective), eff)
		}
		if isNull(ev, format.ColCapPermitted) || ev.CapPermitted != prm {
			t.Errorf("capset: cap_permitted %#x, want %#x", ev.CapPermitted, prm)
		}
		if !isNull(ev, format.ColFd) || !isNull(ev, format.ColIno) {
			t.Errorf("capset: fd %d ino %d, want both null", ev.Fd, ev.Ino)
		}
	}
}

// TestCutArgumentsAreFlaggedTruncated runs one exec whose argv is past the
// kernel-side bound and one that fits: only the first row says truncated,
// and its argv is a prefix of what was passed.
func TestCutArgumentsAreFlaggedTruncated(t *testing.T) {
	RequireRoot(t)
	rec := startRecorder(t, filepath.Join(t.TempDir(), "rec"))
	long := []string{"/bin/true"}
	for i := 0; i < 200; i++ {
		long = append(long, strings.Repeat("x", 100))
	}
	var longPid, shortPid int32
	for _, argv := range [][]string{long, {"/bin/true", "short"}} {
		cmd := exec.Command(argv[0], argv[1:]...)
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		if len(argv) > 2 {
			longPid = int32(cmd.Process.Pid)
		} else {
			shortPid = int32(cmd.Process.Pid)
		}
	}
	rec.stop(t)

	rows, _, err := LoadRows(rec.dir, map[int32]bool{longPid: true, shortPid: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		pid           int32
		argv          []string
		wantTruncated bool
	}{{longPid, long, true}, {shortPid, []string{"/bin/true", "short"}, false}} {
		var found bool
		for _, ev := range rows.of(tt.pid, format.KindExec) {
			if ev.Filename != "/bin/true" {
				continue
			}
			found = true
			if ev.Null.Has(format.ColTruncated) || ev.Truncated != tt.wantTruncated {
				t.Errorf("exec of %d args: truncated %v (null %v), want %v", len(tt.argv), ev.Truncated, ev.Null.Has(format.ColTruncated), tt.wantTruncated)
			}
			// A cut argv ends inside an argument: the last one kept
			// may itself be a prefix.
			n := len(ev.Argv)
			if n == 0 || n > len(tt.argv) || !slices.Equal(ev.Argv[:n-1], tt.argv[:n-1]) || !strings.HasPrefix(tt.argv[n-1], ev.Argv[n-1]) {
				t.Errorf("exec of %d args: argv of %d is not a prefix of what was passed", len(tt.argv), n)
			}
			if !tt.wantTruncated && len(ev.Argv) != len(tt.argv) {
				t.Errorf("exec of %d args: %d recorded", len(tt.argv), len(ev.Argv))
			}
		}
		if !found {
			t.Errorf("no exec row of pid %d", tt.pid)
		}
	}
}

// TestScriptsAreIdentifiedAndHashed runs a #! script, and one that
// deletes itself as it starts: the exec row names the script file the
// kernel opened, with the identity stat(2) gives, and the script that
// stays gets an exe_hash row of that identity with the file's sha256 (the
// interpreter's own hash is the exe's). The self-deleting one is
// identified, and its hash row says the file is gone, never another
// file's hash.
func TestScriptsAreIdentifiedAndHashed(t *testing.T) {
	RequireRoot(t)
	dir := t.TempDir()
	// kept stays; held deletes itself and runs on (the shell holds it
	// open: the recorder pins it through its path or that descriptor);
	// gone deletes itself and exits at once, before or after the
	// recorder could pin it.
	kept := filepath.Join(dir, "kept.sh")
	held := filepath.Join(dir, "held.sh")
	gone := filepath.Join(dir, "gone.sh")
	stats, shas := map[string]*unix.Stat_t{}, map[string]string{}
	for path, body := range map[string]string{
		kept: "#!/bin/sh\n# rewind e2e: a script that stays\nexit 0\n",
		held: "#!/bin/sh\nrm -f \"$0\"\nsleep 1\n",
		gone: "#!/bin/sh\nrm -f \"$0\"\n",
	} {
		if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(body))
		stats[path], shas[path] = &st, hex.EncodeToString(sum[:])
	}

	rec := startRecorder(t, filepath.Join(t.TempDir(), "rec"))
	pids := map[int32]bool{}
	for _, path := range []string{kept, held, gone} {
		cmd := exec.Command(path)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", path, err, out)
		}
		pids[int32(cmd.Process.Pid)] = true
	}
	rec.stop(t)
	rows, _, err := LoadRows(rec.dir, pids)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path string
		st   *unix.Stat_t
		sha  string
		must bool // false: the row may also say the file was gone, but never give another sha256
	}{{kept, stats[kept], shas[kept], true}, {held, stats[held], shas[held], true}, {gone, stats[gone], shas[gone], false}} {
		var ev *format.Event
		for pid := range pids {
			for _, e := range rows.of(pid, format.KindExec) {
				if e.Filename == tt.path {
					ev = e
				}
			}
		}
		if ev == nil {
			t.Errorf("%s: no exec row", tt.path)
			continue
		}
		want := format.Event{ScriptPath: tt.path, ScriptDev: tt.st.Dev, ScriptIno: tt.st.Ino,
			ScriptCtime: tt.st.Ctim.Nano(), ScriptMtime: tt.st.Mtim.Nano(), ScriptSize: tt.st.Size}
		if ev.Interpreter != tt.path || ev.ScriptPath != want.ScriptPath || ev.ScriptDev != want.ScriptDev || ev.ScriptIno != want.ScriptIno ||
			ev.ScriptCtime != want.ScriptCtime || ev.ScriptMtime != want.ScriptMtime || ev.ScriptSize != want.ScriptSize {
			t.Errorf("%s: exec row script %q %d:%d ctime %d mtime %d size %d (interpreter %q), want %q %d:%d ctime %d mtime %d size %d",
				tt.path, ev.ScriptPath, ev.ScriptDev, ev.ScriptIno, ev.ScriptCtime, ev.ScriptMtime, ev.ScriptSize, ev.Interpreter,
				want.ScriptPath, want.ScriptDev, want.ScriptIno, want.ScriptCtime, want.ScriptMtime, want.ScriptSize)
			continue
		}
		var hash *format.Event
		for _, h := range rows.Hashes {
			if h.ExeDev == ev.ScriptDev && h.ExeIno == ev.ScriptIno && h.ExeCtime == ev.ScriptCtime && h.ExeMtime == ev.ScriptMtime && h.ExeSize == ev.ScriptSize {
				hash = h
			}
		}
		switch {
		case hash == nil:
			t.Errorf("%s: no exe_hash row for the script's identity", tt.path)
		case hash.Sha256 != tt.sha && (tt.must || hash.Sha256 != ""):
			t.Errorf("%s: script sha256 %q (%s %s), want %s", tt.path, hash.Sha256, hash.HashSource, hash.HashError, tt.sha)
		default:
			t.Logf("%s: sha256 %q from %s %s", tt.path, hash.Sha256, hash.HashSource, hash.HashError)
		}
	}
}
