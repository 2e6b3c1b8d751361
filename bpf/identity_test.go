package bpf

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestExecIdentityMatchesStat execs a fresh copy of /bin/true that was
// stat'ed just before (which, on kernels with multigrain timestamps,
// leaves a flag bit in the inode's ctime) and checks that the kernel's
// exe identity equals what stat(2) reports.
func TestExecIdentityMatchesStat(t *testing.T) {
	requireRoot(t)
	bin, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fresh-true")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	tr := startTracer(t, Options{})
	c := collect(t, tr)
	if err := exec.Command(path).Run(); err != nil {
		t.Fatalf("run %s: %v", path, err)
	}
	c.finish()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range c.events {
		if ev.Kind != KindExec || ev.Filename != path {
			continue
		}
		type identity struct {
			Dev, Ino     uint64
			Ctime, Mtime int64
			Size         int64
			Mode         uint32
			UID, GID     uint32
		}
		got := identity{ev.ExeDev, ev.ExeIno, ev.ExeCtime, ev.ExeMtime, ev.ExeSize, ev.ExeMode, ev.ExeUID, ev.ExeGID}
		want := identity{st.Dev, st.Ino, st.Ctim.Nano(), st.Mtim.Nano(), st.Size, st.Mode, st.Uid, st.Gid}
		if got != want {
			t.Errorf("kernel identity %+v, stat(2) says %+v", got, want)
		}
		return
	}
	t.Errorf("no exec event for %s", path)
}
