package capture

import (
	"os"
	"regexp"
	"runtime"
	"testing"
)

func TestHostDescribesThisMachine(t *testing.T) {
	h := Host(123, "v9", map[string]string{"k": "v"})
	name, _ := os.Hostname()
	if h.Hostname != name || h.BootTimeNs != 123 || h.RecorderVersion != "v9" || h.Config["k"] != "v" || h.NumCPU != runtime.NumCPU() {
		t.Fatalf("host %+v", h)
	}
	if h.KernelRelease == "" {
		t.Error("no kernel release")
	}
	if _, err := os.Stat("/proc/sys/kernel/random/boot_id"); err == nil &&
		!regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(h.BootID) {
		t.Errorf("boot id %q is not a UUID", h.BootID)
	}
}
