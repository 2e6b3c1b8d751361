package capture

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMain fails the run when a test leaves a file descriptor open: the
// hasher pins executables and the cgroup resolver holds the mount, and
// both must let go.
func TestMain(m *testing.M) {
	before := openFDs()
	code := m.Run()
	var leaked []string
	for fd, target := range openFDs() {
		if _, ok := before[fd]; !ok {
			leaked = append(leaked, fmt.Sprintf("fd %s -> %s", fd, target))
		}
	}
	if code == 0 && len(leaked) > 0 {
		fmt.Fprintf(os.Stderr, "capture: file descriptors leaked: %s\n", strings.Join(leaked, ", "))
		code = 1
	}
	os.Exit(code)
}

// openFDs maps open descriptors to their targets, leaving out anonymous
// inodes (the Go runtime's poller, and kernel objects that tests release
// through the bpf package).
func openFDs() map[string]string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil || strings.HasPrefix(target, "anon_inode:") {
			continue
		}
		out[e.Name()] = target
	}
	return out
}
