//go:build duckdb_arrow

package queries

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// samplesDir holds the recordings of the scripted scenarios, made by
// rewind-record on a real kernel (samples/make-samples.sh), each with a
// truth file of what the script did.
const samplesDir = "../samples/recordings"

type sampleTruth struct {
	ScriptPid int64 `json:"script_pid"`
	Execs     []struct {
		Pid     int64  `json:"pid"`
		ExePath string `json:"exe_path"`
		Exe     struct {
			Sha256 string `json:"sha256"`
		} `json:"exe"`
	} `json:"execs"`
}

func readTruth(t *testing.T, scenario string) sampleTruth {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, scenario+".truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr sampleTruth
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatalf("%s.truth.json: %v", scenario, err)
	}
	return tr
}

func openScenario(t *testing.T, scenario string) *Runner {
	t.Helper()
	r, _, err := Open(filepath.Join(samplesDir, scenario), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// TestNamedQueriesOnTheSampleRecordings runs each named query on the
// recording of the scenario it is about and compares the answer with a
// golden file (rewritten with -update).
func TestNamedQueriesOnTheSampleRecordings(t *testing.T) {
	drift := readTruth(t, "drift")
	script := strconv.FormatInt(drift.ScriptPid, 10)
	cases := []struct {
		scenario, query string
		params          map[string]string
	}{
		{"drift", "drift", nil},
		{"container", "drift", nil},
		{"memfd-exec", "drift", nil},
		{"shm-exec", "drift", nil},
		{"persistence", "persistence", nil},
		{"shadow-read", "sensitive-reads", nil},
		{"setuid", "privilege-changes", nil},
		{"unshare", "privilege-changes", nil},
		{"loopback-connect", "outbound-connections", nil},
		{"drift", "first-seen-binaries", nil},
		{"drift", "process-tree", map[string]string{"pid": script}},
		{"drift", "timeline", map[string]string{"pid": script}},
		{"benign", "drops", nil},
	}
	for _, c := range cases {
		t.Run(c.scenario+"/"+c.query, func(t *testing.T) {
			r := openScenario(t, c.scenario)
			got := runNamed(t, r, c.query, c.params, OutputCSV)
			checkSampleGolden(t, c.scenario, filepath.Join("samples", c.scenario+"."+c.query+".csv"), got)
		})
	}
}

// checkSampleGolden is checkGolden for a sample recording: the golden
// file's first line names the sha256 of the recording's manifest it was
// written from. The samples are re-recorded as the recorder improves
// (new pids and times); a golden of an older recording is skipped with
// the command that rewrites it, while the truth checks below still run.
func checkSampleGolden(t *testing.T, scenario, name string, got []byte) {
	t.Helper()
	m, err := os.ReadFile(filepath.Join(samplesDir, scenario, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	header := fmt.Sprintf("# recording manifest sha256 %x\n", sha256.Sum256(m))
	path := filepath.Join("testdata", "golden", name)
	if !*update {
		want, err := os.ReadFile(path)
		if err == nil && !bytes.HasPrefix(want, []byte(header)) {
			t.Skipf("samples/recordings/%s changed since %s was written; run go test -tags duckdb_arrow ./queries -update", scenario, path)
		}
	}
	checkGolden(t, name, append([]byte(header), got...))
}

// TestDriftFindsTheScenarioPayload checks the drift query against the
// drift scenario's truth, independently of the golden file: the dropped
// payload's exec is reported, with the hash the scenario computed.
func TestDriftFindsTheScenarioPayload(t *testing.T) {
	tr := readTruth(t, "drift")
	r := openScenario(t, "drift")
	q, _ := Named("drift")
	args, _ := q.Bind(nil)
	c := &collectSink{}
	if err := r.Query(context.Background(), q.Name, q.SQL, c, args...); err != nil {
		t.Fatal(err)
	}
	for _, e := range tr.Execs {
		found := false
		for _, row := range c.rows {
			if toInt(row[c.index["pid"]]) == e.Pid && str(row[c.index["sha256"]]) == e.Exe.Sha256 &&
				strings.Contains(str(row[c.index["reasons"]]), "written") {
				found = true
			}
		}
		if !found {
			var buf bytes.Buffer
			for _, row := range c.rows {
				buf.WriteString(str(row[c.index["exe_path"]]) + "\n")
			}
			t.Errorf("drift did not report pid %d %s (sha256 %s); it reported:\n%s", e.Pid, e.ExePath, e.Exe.Sha256, buf.String())
		}
	}
}

// TestTreeOfTheScenarioScriptHoldsItsExecs checks that every exec of the
// drift scenario is in the tree under the script's process.
func TestTreeOfTheScenarioScriptHoldsItsExecs(t *testing.T) {
	tr := readTruth(t, "drift")
	r := openScenario(t, "drift")
	roots, err := r.Tree(context.Background(), TreeOptions{Pid: tr.ScriptPid})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]string{}
	var walk func([]*TreeNode)
	walk = func(ns []*TreeNode) {
		for _, n := range ns {
			seen[n.Pid] = n.Sha256
			walk(n.Children)
		}
	}
	walk(roots)
	if len(roots) != 1 || roots[0].Pid != tr.ScriptPid {
		t.Fatalf("tree roots %v, want the script %d alone", len(roots), tr.ScriptPid)
	}
	for _, e := range tr.Execs {
		if sha, ok := seen[e.Pid]; !ok || sha != e.Exe.Sha256 {
			t.Errorf("pid %d (%s): in tree %v with sha256 %q, want %q", e.Pid, e.ExePath, ok, sha, e.Exe.Sha256)
		}
	}
}
