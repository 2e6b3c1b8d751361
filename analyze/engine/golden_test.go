package engine

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/rewind-sh/rewind/format"
	"github.com/rewind-sh/rewind/format/formattest"
)

var update = flag.Bool("update", false, "rewrite the goldens under testdata/")

// goldenBusyEvents is the size of the synthetic busy-host recording the
// golden replays: big enough for every rule the mix can trigger to fire
// many times, small enough for a unit test.
const goldenBusyEvents = 60_000

// TestStableRulesetGolden replays every committed sample recording, and
// a synthetic busy-host recording, through the upstream stable rules and
// rewind's sample rules, and compares every alert (as JSON lines) with
// testdata/stable_samples.golden. It pins the replay's results so that
// work on its speed cannot change them. The busy host raises thousands
// of alerts, so its section holds the count per rule and a SHA-256 of
// the JSON lines instead of the lines.
func TestStableRulesetGolden(t *testing.T) {
	rs, err := Load([]string{upstream(t, "falco_rules.yaml"), ourRules}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, sample := range sampleRecordings(t) {
		fmt.Fprintf(&out, "## %s\n", sample.name)
		st, err := rs.Run(sample.rec, RunOptions{}, func(a *Alert) error {
			return a.WriteJSON(&out)
		})
		if err != nil {
			t.Fatalf("%s: %v", sample.name, err)
		}
		fmt.Fprintf(&out, "rows %d, events %d, alerts %d\n", st.Rows, st.Events, st.Alerts)
	}
	writeBusyHostSection(t, rs, &out)
	compareGolden(t, "testdata/stable_samples.golden", out.Bytes())
}

func writeBusyHostSection(t *testing.T, rs *Ruleset, out *bytes.Buffer) {
	dir := filepath.Join(t.TempDir(), "busy")
	w, err := format.Create(format.WriterOptions{Dir: dir, Host: format.HostInfo{Hostname: "busy"}})
	if err != nil {
		t.Fatal(err)
	}
	g := formattest.BusyHost(1)
	var ev format.Event
	for i := 0; i < goldenBusyEvents; i++ {
		g.Next(&ev)
		if err := w.Append(&ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := format.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.New()
	st, err := rs.Run(rec, RunOptions{}, func(a *Alert) error { return a.WriteJSON(sum) })
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(out, "## busy host, %d events (formattest.BusyHost(1))\n", goldenBusyEvents)
	rules := make([]string, 0, len(st.ByRule))
	for r := range st.ByRule {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, r := range rules {
		fmt.Fprintf(out, "%d\t%s\n", st.ByRule[r], r)
	}
	fmt.Fprintf(out, "rows %d, events %d, alerts %d, sha256 of the JSON lines %x\n", st.Rows, st.Events, st.Alerts, sum.Sum(nil))
}

// compareGolden compares got with the golden file, or rewrites it with
// -update.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./analyze/engine -run %s -update to write it)", err, t.Name())
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w []byte
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if !bytes.Equal(g, w) {
			t.Fatalf("%s differs from line %d:\n got: %s\nwant: %s", path, i+1, g, w)
		}
	}
}
