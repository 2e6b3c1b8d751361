package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rewind-sh/rewind/format"
)

// drainPause lets the last events of a scenario reach the recorder's
// ring buffer reader before it is told to stop. It is not a timing
// assertion: a slow machine only makes the wait relatively shorter, and
// the recorder drains its buffers on SIGINT anyway.
const drainPause = 300 * time.Millisecond

// TestScenariosAreRecordedAsTheyHappened records each scenario of
// samples/scenarios and checks the recording against the scenario's own
// ground truth.
func TestScenariosAreRecordedAsTheyHappened(t *testing.T) {
	RequireRoot(t)
	for _, name := range scenarioNames(t) {
		t.Run(name, func(t *testing.T) {
			work := t.TempDir()
			dir := filepath.Join(work, "rec")
			rec := startRecorder(t, dir)
			truthPath := runScenario(t, name, work)
			time.Sleep(drainPause)
			rec.stop(t)
			checkRecording(t, dir, truthPath)
		})
	}
}

// checkRecording opens a recording and reports every difference from the
// truth as a test error.
func checkRecording(t *testing.T, dir, truthPath string) *Rows {
	t.Helper()
	tr, err := LoadTruth(truthPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, rec, err := LoadRows(dir, tr.Pids())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range rec.Warnings {
		t.Logf("recording warning: %s", w)
	}
	problems := Check(tr, rows)
	for _, p := range problems {
		t.Errorf("%s: %s", tr.Scenario, p)
	}
	if len(problems) > 0 {
		t.Logf("%s: %d rows in the recording, %d of them for the scenario's %d pids; %d heartbeats, last one counting %d kernel and %d user-space drops",
			tr.Scenario, rows.Total, countRows(rows), len(tr.Pids()), rows.Heartbeats, rows.KernelDrops, rows.UserDrops)
		if keep := os.Getenv("REWIND_E2E_KEEP"); keep != "" {
			t.Logf("keeping the recording: %s", keepCopy(t, keep, dir, truthPath, tr.Scenario))
		}
	}
	return rows
}

func countRows(r *Rows) int {
	n := 0
	for _, evs := range r.ByPid {
		n += len(evs)
	}
	return n
}

// keepCopy copies a failing recording and its truth under keep/ so it can
// be inspected after the test's temp dir is gone.
func keepCopy(t *testing.T, keep, dir, truthPath, scenario string) string {
	dst := filepath.Join(keep, scenario)
	if err := os.RemoveAll(dst); err != nil {
		t.Logf("keep: %v", err)
	}
	if err := os.CopyFS(dst, os.DirFS(dir)); err != nil {
		t.Logf("keep: %v", err)
	}
	if data, err := os.ReadFile(truthPath); err == nil {
		_ = os.WriteFile(filepath.Join(dst, "truth.json"), data, 0o644)
	}
	return dst
}

// TestKilledRecorderLosesAtMostTheBatchInFlight kills rewind-record with
// SIGKILL well after a scenario ran: the recording must still open, say
// that its last segment was not finished, and hold the scenario's rows
// (they were flushed long before the kill, since a batch is at most 1 s
// old) and heartbeats.
func TestKilledRecorderLosesAtMostTheBatchInFlight(t *testing.T) {
	RequireRoot(t)
	work := t.TempDir()
	dir := filepath.Join(work, "rec")
	rec := startRecorder(t, dir)
	truthPath := runScenario(t, "benign", work)
	// Two batch ages and more: the batch holding the scenario is on disk.
	time.Sleep(2500 * time.Millisecond)
	rec.kill9(t)

	r, err := format.Open(dir)
	if err != nil {
		t.Fatalf("a recording whose recorder was killed must open: %v", err)
	}
	unfinished := false
	for _, w := range r.Warnings {
		if strings.Contains(w, "no file footer") || strings.Contains(w, "not yet sealed") {
			unfinished = true
		}
	}
	if !unfinished {
		t.Errorf("want a warning about the unfinished segment, got %q", r.Warnings)
	}
	checkRecording(t, dir, truthPath)

	heartbeats := 0
	err = r.Scan(format.ScanOptions{Kinds: format.SetOf(format.KindHeartbeat)}, func(b *format.Batch) error {
		for i := 0; i < b.Len(); i++ {
			var ev format.Event
			b.Event(i, &ev)
			if ev.Kind == format.KindHeartbeat {
				heartbeats++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan killed recording: %v", err)
	}
	if heartbeats == 0 {
		t.Errorf("want heartbeat rows in a recording that ran 2.5 s, got none")
	}

	// The recording replays: rewind-replay summarises it and runs the
	// sample rules over it (exit 1 means alerts, which is fine here).
	replay := builtReplay(t)
	rules := filepath.Join(repoRoot, "samples/rules/rewind_rules.yaml")
	for _, args := range [][]string{{"info", dir}, {"rules", "-r", rules, dir}} {
		out, err := exec.Command(replay, args...).CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
			t.Errorf("rewind-replay %s on the killed recording: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
