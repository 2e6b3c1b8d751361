package storm

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestOpenStormCountsOpens(t *testing.T) {
	p := stormFile(t)
	r, err := Open(p, 50*time.Millisecond, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops == 0 || r.PerSec <= 0 {
		t.Fatalf("open storm did nothing: %+v", r)
	}
}

func TestOpenStormPacesToRate(t *testing.T) {
	p := stormFile(t)
	// 20k/s for 100ms is ~2000 opens; pacing in 256-op chunks may overshoot
	// by one chunk but must stay far below a flat-out run.
	r, err := Open(p, 100*time.Millisecond, -1, 20000)
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops > 5000 {
		t.Fatalf("paced storm ran %d opens, want about 2000", r.Ops)
	}
}

func TestOpenStormReportsMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing"), time.Millisecond, -1, 0)
	if err == nil {
		t.Fatal("want an error for a missing file")
	}
}

func TestExecStormRunsTrue(t *testing.T) {
	r, err := Exec("/bin/true", 50*time.Millisecond, -1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops == 0 || r.PerSec <= 0 {
		t.Fatalf("exec storm did nothing: %+v", r)
	}
	// Each exec is a process whose CPU time (at least a tick's worth of
	// page faults and loading, summed over the children) is counted.
	if r.CPUTime <= 0 {
		t.Fatalf("exec storm counted no CPU time: %+v", r)
	}
	if _, err := Exec("/bin/false", time.Millisecond, -1); err == nil {
		t.Fatal("want an error when the program fails")
	}
}

func TestOpenStormCountsItsCPUTime(t *testing.T) {
	p := stormFile(t)
	r, err := Open(p, 50*time.Millisecond, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A flat-out storm runs on a CPU for most of its time.
	if r.CPUTime <= 0 || r.CPUTime > r.Elapsed+10*time.Millisecond {
		t.Fatalf("CPU time %v for a storm of %v", r.CPUTime, r.Elapsed)
	}
}

// stormFile makes the empty file an open storm opens.
func stormFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
