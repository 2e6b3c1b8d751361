package bpf

import (
	"os/exec"
	"syscall"
	"testing"
)

// TestExecInANewPidNamespace runs /bin/true as the init of a new pid
// namespace and checks its namespace-relative ids, its pid namespace and
// the namespace init's start time, which here is its own.
func TestExecInANewPidNamespace(t *testing.T) {
	requireRoot(t)
	var self syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/pid", &self); err != nil {
		t.Fatal(err)
	}
	tr := startTracer(t, Options{})
	c := collect(t, tr)
	cmd := exec.Command("/bin/true", "in-a-pid-namespace")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	if err := cmd.Run(); err != nil {
		t.Skipf("skipped: cannot make a pid namespace here: %v", err)
	}
	c.finish()
	pid := int32(cmd.Process.Pid)
	for _, ev := range c.tree(pid) {
		if ev.Kind != KindExec || ev.Ret != 0 {
			continue
		}
		if ev.Pid != pid || ev.Vpid != 1 || ev.Vtid != 1 {
			t.Errorf("pid %d vpid %d vtid %d, want %d, 1, 1", ev.Pid, ev.Vpid, ev.Vtid, pid)
		}
		if ev.PidNs == 0 || ev.PidNs == uint32(self.Ino) {
			t.Errorf("pid namespace %d, want a new one (the test's is %d)", ev.PidNs, self.Ino)
		}
		if ev.PidnsInitStartBootNs == 0 || ev.PidnsInitStartBootNs != ev.StartBootNs {
			t.Errorf("namespace init start %d, want the process's own start %d", ev.PidnsInitStartBootNs, ev.StartBootNs)
		}
		return
	}
	t.Errorf("no exec event from pid %d", pid)
}
