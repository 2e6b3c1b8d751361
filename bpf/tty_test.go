package bpf

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestExecOnATerminalRecordsTTYAndSession runs /bin/true as a session
// leader on a fresh pseudo-terminal and checks the exec's tty, session
// and process group.
func TestExecOnATerminalRecordsTTYAndSession(t *testing.T) {
	requireRoot(t)
	pts, rdev, err := openPTY(t)
	if err != nil {
		t.Skipf("skipped: no pseudo-terminal here: %v", err)
	}
	tr := startTracer(t, Options{})
	c := collect(t, tr)
	cmd := exec.Command("/bin/true", "on-a-tty")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pts, pts, pts
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Run(); err != nil {
		t.Fatalf("run: %v", err)
	}
	c.finish()
	pid := int32(cmd.Process.Pid)
	for _, ev := range c.tree(pid) {
		if ev.Kind != KindExec || ev.Ret != 0 {
			continue
		}
		if ev.TTY != uint32(rdev) || ev.Sid != pid || ev.Pgid != pid || ev.Vpgid != pid {
			t.Errorf("tty %#x sid %d pgid %d vpgid %d, want tty %#x and %d for the rest", ev.TTY, ev.Sid, ev.Pgid, ev.Vpgid, rdev, pid)
		}
		return
	}
	t.Errorf("no exec event from pid %d", pid)
}

// openPTY opens a new pseudo-terminal and returns its terminal side and
// that side's device number.
func openPTY(t *testing.T) (*os.File, uint64, error) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, 0, err
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		return nil, 0, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		return nil, 0, fmt.Errorf("pty number: %w", err)
	}
	name := fmt.Sprintf("/dev/pts/%d", n)
	pts, err := os.OpenFile(name, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, 0, err
	}
	t.Cleanup(func() { pts.Close() })
	var st unix.Stat_t
	if err := unix.Fstat(int(pts.Fd()), &st); err != nil {
		return nil, 0, err
	}
	return pts, st.Rdev, nil
}
