package e2e

import (
	"os"
	"testing"
)

// RequireRoot skips a test that needs root (eBPF, namespaces, /etc),
// saying why; as root the test runs for real.
func RequireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root to load eBPF programs and run the scenarios (run as root, as CI does)")
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
