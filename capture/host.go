package capture

import (
	"os"
	"runtime"
	"strings"

	"github.com/rewind-sh/rewind/format"
	"golang.org/x/sys/unix"
)

// Host describes this machine for the manifest. Facts that cannot be read
// stay empty rather than failing the recording.
func Host(bootTimeNs int64, recorderVersion string, config map[string]string) format.HostInfo {
	h := format.HostInfo{
		RecorderVersion: recorderVersion,
		BootTimeNs:      bootTimeNs,
		NumCPU:          runtime.NumCPU(),
		Config:          config,
	}
	h.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		h.BootID = strings.TrimSpace(string(b))
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		h.KernelRelease = unix.ByteSliceToString(u.Release[:])
	}
	return h
}
