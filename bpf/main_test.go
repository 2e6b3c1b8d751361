package bpf

import (
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
)

// TestMain runs workload scenarios when the test binary is re-executed as
// a helper (see runHelper), and otherwise checks that the tests leaked no
// file descriptor (every map, program and link is one).
func TestMain(m *testing.M) {
	if scenario := os.Getenv(helperEnv); scenario != "" {
		os.Exit(runHelper(scenario))
	}
	// The runtime's netpoller keeps an epoll fd and an eventfd once used:
	// start it before counting.
	if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		l.Close()
	}
	before := countFds()
	code := m.Run()
	if after := countFds(); code == 0 && after > before {
		fmt.Fprintf(os.Stderr, "leaked %d file descriptors (%d before the tests, %d after)\n", after-before, before, after)
		code = 1
	}
	os.Exit(code)
}

func countFds() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(ents)
}

// requireRoot skips a test that loads programs when not running as root.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: loading eBPF programs needs root (run the tests as root, as CI does)")
	}
}

// startTracer loads and attaches the programs and releases them when the
// test ends.
func startTracer(t testing.TB, opts Options) *Tracer {
	t.Helper()
	requireRoot(t)
	tr, err := Load(opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() {
		if err := tr.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := tr.Attach(); errors.Is(err, ErrNotSupported) {
		t.Skipf("skipped: %v", err)
	} else if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	return tr
}
