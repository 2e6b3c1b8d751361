package bpf

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// TestLoadAsNonRootSaysSo expects ErrNotRoot's one-line message from Load
// when not root: directly when the tests run unprivileged, and as root in
// a copy of the test binary run as the user nobody.
func TestLoadAsNonRootSaysSo(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("skipped: Load refuses this architecture before it looks at privileges")
	}
	if os.Geteuid() != 0 {
		tr, err := Load(Options{})
		if err == nil {
			tr.Close()
			t.Fatal("Load succeeded without root")
		}
		if !errors.Is(err, ErrNotRoot) || err.Error() != ErrNotRoot.Error() {
			t.Errorf("got %q, want %q", err, ErrNotRoot)
		}
		return
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// t.TempDir makes a private per-test parent directory too; open it,
	// and nothing above it.
	if parent := filepath.Dir(dir); parent != filepath.Clean(os.TempDir()) {
		if err := os.Chmod(parent, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "bpf.test")
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = []string{helperEnv + "=load"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("helper as nobody: %v, output %q", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), ErrNotRoot.Error(); got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
