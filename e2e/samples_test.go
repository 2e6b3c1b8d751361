package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommittedSamplesMatchTheirTruth checks each committed recording in
// samples/recordings against the truth its scenario wrote when it was
// recorded. It needs no root: this is what keeps the committed samples
// honest in every CI run, and it fails when a format change makes them
// unreadable (run `make samples` as root to regenerate them).
func TestCommittedSamplesMatchTheirTruth(t *testing.T) {
	// samples/recordings/<scenario>/ is the recording and
	// samples/recordings/<scenario>.truth.json its truth.
	truths, err := filepath.Glob(filepath.Join(repoRoot, "samples/recordings/*.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(truths) == 0 {
		t.Skip("skipped: no samples/recordings/*.truth.json yet (make samples, as root, records them)")
	}
	for _, truth := range truths {
		name := strings.TrimSuffix(filepath.Base(truth), ".truth.json")
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(filepath.Dir(truth), name)
			if _, err := os.Stat(dir); err != nil {
				t.Fatalf("truth %s has no recording beside it: %v", truth, err)
			}
			checkRecording(t, dir, truth)
		})
	}
}
