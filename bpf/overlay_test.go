package bpf

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestOverlayExecLayers execs one binary from the lower and one from the
// upper layer of an overlayfs and checks the layer flags of both execs.
func TestOverlayExecLayers(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"lower/lower-true", "upper/upper-true"} {
		if err := os.WriteFile(filepath.Join(dir, f), bin, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(dir, "merged")
	opts := "lowerdir=" + filepath.Join(dir, "lower") + ",upperdir=" + filepath.Join(dir, "upper") + ",workdir=" + filepath.Join(dir, "work")
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		t.Skipf("skipped: cannot mount an overlayfs here: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(merged, unix.MNT_DETACH) })

	// stat(2) before the exec: on kernels with multigrain timestamps this
	// leaves a flag in the inode's ctime that the kernel side must mask.
	ctimes := map[string]int64{}
	for _, name := range []string{"lower-true", "upper-true"} {
		var st unix.Stat_t
		if err := unix.Stat(filepath.Join(merged, name), &st); err != nil {
			t.Fatal(err)
		}
		ctimes[filepath.Join(merged, name)] = st.Ctim.Nano()
	}
	tr := startTracer(t, Options{})
	c := collect(t, tr)
	for _, name := range []string{"lower-true", "upper-true"} {
		if err := exec.Command(filepath.Join(merged, name)).Run(); err != nil {
			t.Fatalf("run %s: %v", name, err)
		}
	}
	c.finish()

	want := map[string][2]bool{ // upper, lower
		filepath.Join(merged, "lower-true"): {false, true},
		filepath.Join(merged, "upper-true"): {true, false},
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range c.events {
		w, ok := want[ev.Filename]
		if ev.Kind != KindExec || !ok {
			continue
		}
		if ev.ExeUpperLayer != w[0] || ev.ExeLowerLayer != w[1] {
			t.Errorf("%s: upper=%v lower=%v, want upper=%v lower=%v", ev.Filename, ev.ExeUpperLayer, ev.ExeLowerLayer, w[0], w[1])
		}
		if ev.ExeCtime != ctimes[ev.Filename] {
			t.Errorf("%s: exe ctime %d, stat(2) says %d", ev.Filename, ev.ExeCtime, ctimes[ev.Filename])
		}
		if ev.ExePath != ev.Filename {
			t.Errorf("%s: exe path %q", ev.Filename, ev.ExePath)
		}
		delete(want, ev.Filename)
	}
	for f := range want {
		t.Errorf("no exec event for %s", f)
	}
}
