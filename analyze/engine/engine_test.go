package engine

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rewind-sh/rewind/analyze/engine/enginetest"
	"github.com/rewind-sh/rewind/analyze/fields"
	"github.com/rewind-sh/rewind/format"
)

const (
	ourRules    = "../../samples/rules/rewind_rules.yaml"
	stableRules = "../../../shared/falco/rules/falco_rules.yaml"
)

// upstream returns the path of an upstream rules file, skipping the test
// when the reference material is not beside the repository.
func upstream(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join("../../../shared/falco/rules", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("upstream rules not available (%v); they live in /work/shared/falco/rules", err)
	}
	return p
}

func record(t testing.TB, scenario string) *format.Recording {
	t.Helper()
	dir := filepath.Join(t.TempDir(), scenario)
	if err := enginetest.Write(dir, scenario); err != nil {
		t.Fatal(err)
	}
	rec, err := format.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func alertRules(t *testing.T, rs *Ruleset, rec *format.Recording) []string {
	t.Helper()
	var got []string
	if _, err := rs.Run(rec, RunOptions{}, func(a *Alert) error {
		got = append(got, a.Rule)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	return got
}

func TestScenariosRaiseExactlyTheExpectedAlerts(t *testing.T) {
	rs, err := Load([]string{upstream(t, "falco_rules.yaml"), ourRules}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		scenario string
		want     []string
	}{
		{"drift", []string{"Executable changed just before it ran"}},
		{"memfd", []string{"Executable changed just before it ran", "Execution from memfd", "Fileless execution via memfd_create"}},
		{"devshm", []string{"Execution from /dev/shm", "Program run from /dev/shm"}},
		{"shadow", []string{"Read sensitive file untrusted", "Shadow file read"}},
		{"ptrace", []string{"PTRACE attached to process", "Ptrace attach"}},
		{"symlink", []string{"Create Symlink Over Sensitive Files", "Symlink into /etc or to a sensitive file"}},
		{"benign", nil},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			got := alertRules(t, rs, record(t, tt.scenario))
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("alerts = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEveryUpstreamRulesFileLoadsAndReportsUnavailableFields(t *testing.T) {
	for _, name := range []string{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"} {
		t.Run(name, func(t *testing.T) {
			path := upstream(t, name)
			rs, err := Load([]string{path}, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s := rs.Summary
			if s.Enabled+s.Disabled+len(s.Skipped) != s.Rules {
				t.Errorf("summary does not account for every rule: %s", s)
			}
			if len(s.Degraded) == 0 {
				t.Errorf("no rule reported as needing unavailable fields")
			}
			if d := DescribeNotes(s.Degraded); !strings.Contains(d, "    container.image.repository: container runtime metadata") {
				t.Errorf("the notes do not explain the missing fields:\n%s", d)
			}
			strict, err := Load([]string{path}, LoadOptions{SkipUnavailable: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(strict.Summary.Skipped) != len(s.Degraded) || strict.Summary.Enabled != s.Enabled-len(s.Degraded) {
				t.Errorf("skip mode: %s; default mode: %s", strict.Summary, s)
			}
		})
	}
}

func TestAlertsRenderAsFalcoShapedJSON(t *testing.T) {
	rs, err := Load([]string{ourRules}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var alerts []*Alert
	if _, err := rs.Run(record(t, "ptrace"), RunOptions{}, func(a *Alert) error { alerts = append(alerts, a); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 {
		t.Fatalf("got %d alerts", len(alerts))
	}
	b, err := alerts[0].JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"hostname":"sample-host","output":"03:04:05.003000000: Warning Ptrace PTRACE_ATTACH of pid 600 | process=gdb cmdline=gdb -p 600 parent=bash result=SUCCESS user=alice","output_fields":{"evt.arg.request":"PTRACE_ATTACH","evt.arg.pid":"600","proc.name":"gdb","proc.cmdline":"gdb -p 600","proc.pname":"bash","evt.res":"SUCCESS","user.name":"alice"},"priority":"Warning","rule":"Ptrace attach","source":"syscall","tags":["rewind","process","mitre_privilege_escalation"],"time":"2026-01-02T03:04:05.003000000Z"}`
	if string(b) != want {
		t.Errorf("json =\n%s\nwant\n%s", b, want)
	}
}

func TestJSONOutputFieldsKeepTheirTypes(t *testing.T) {
	a := &Alert{Rule: "r", Priority: "Notice", Source: "syscall", OutputFields: []FieldValue{
		{"proc.pid", "42", JSONNumber}, {"proc.is_exe_upper_layer", "true", JSONBool},
		{"proc.pname", "<NA>", JSONString}, {"proc.name", "1e5", JSONString}, {"user.loginuid", "-1", JSONNumber},
	}}
	b, err := a.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `"output_fields":{"proc.pid":42,"proc.is_exe_upper_layer":true,"proc.pname":null,"proc.name":"1e5","user.loginuid":-1}`
	if !strings.Contains(string(b), want) {
		t.Errorf("json = %s\nwant it to contain %s", b, want)
	}
}

func TestRulesOfOtherSourcesAreReportedAndNotRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.yaml")
	rules := "- rule: audit\n  desc: d\n  condition: evt.type=ptrace\n  output: o\n  priority: INFO\n  source: k8s_audit\n" +
		"- rule: sys\n  desc: d\n  condition: evt.type=ptrace\n  output: o\n  priority: INFO\n"
	if err := os.WriteFile(path, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := Load([]string{path}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rs.Summary.Enabled != 1 || len(rs.Summary.Skipped) != 1 || !strings.Contains(DescribeNotes(rs.Summary.Skipped), `event source "k8s_audit" is not recorded`) {
		t.Errorf("summary %s, skipped %+v", rs.Summary, rs.Summary.Skipped)
	}
	if got := alertRules(t, rs, record(t, "ptrace")); len(got) != 1 || got[0] != "sys" {
		t.Errorf("alerts = %v, want only sys", got)
	}
}

func TestSinceAndUntilBoundTheTestedEvents(t *testing.T) {
	rs, err := Load([]string{ourRules}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := record(t, "drift")
	n := 0
	st, err := rs.Run(rec, RunOptions{Until: enginetest.Base + 1}, func(*Alert) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 || st.Tested != 0 || st.Events == 0 {
		t.Errorf("a window before every event raised %d alerts, tested %d of %d events", n, st.Tested, st.Events)
	}
}

func TestTruncatedRecordingsGiveErrorsNotPanics(t *testing.T) {
	rs, err := Load([]string{ourRules}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "src")
	if err := enginetest.Write(src, "drift"); err != nil {
		t.Fatal(err)
	}
	seg := "seg-00000001.arrow"
	data, err := os.ReadFile(filepath.Join(src, seg))
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(src, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	full := 0
	for cut := len(data); cut > 0; cut -= 997 {
		dir := filepath.Join(t.TempDir(), "cut")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), manifest, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, seg), data[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		rec, err := format.Open(dir)
		if err != nil {
			continue // refused up front, with its own error
		}
		n := 0
		_, err = rs.Run(rec, RunOptions{}, func(*Alert) error { n++; return nil })
		if err != nil && !strings.Contains(err.Error(), seg) {
			t.Errorf("cut at %d: error does not name the segment: %v", cut, err)
		}
		if cut == len(data) && (err != nil || n != 1) {
			t.Errorf("the whole recording: %d alerts, %v", n, err)
		}
		if err == nil && n == 1 {
			full++
		}
	}
	if full == 0 {
		t.Errorf("no cut replayed the drift alert")
	}
}

func TestFileTablesAreKeptOnlyWhenARuleNeedsThem(t *testing.T) {
	write := func(cond string) string {
		p := filepath.Join(t.TempDir(), "r.yaml")
		if err := os.WriteFile(p, []byte("- rule: r\n  desc: d\n  condition: "+cond+"\n  output: o %fd.name\n  priority: INFO\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name  string
		files []string
		want  bool
	}{
		{"open rules read the path from their own rows", []string{write("evt.type=openat and fd.name startswith /etc")}, false},
		{"a socket rule reads addresses from its rows", []string{write("evt.type=connect and fd.sport=22")}, false},
		{"mmap names its file by descriptor only", []string{write("evt.type=mmap and fd.name startswith /tmp")}, true},
		{"a rule on every event type may meet such events", []string{write("evt.type!=openat and fd.num>=0")}, true},
		{"rewind's sample rules", []string{ourRules}, false},
	}
	if _, err := os.Stat(stableRules); err == nil {
		tests = append(tests, struct {
			name  string
			files []string
			want  bool
		}{"the upstream stable rules (their dup rule names types never recorded)", []string{stableRules}, false})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Load(tt.files, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rs.trackFiles != tt.want {
				t.Errorf("trackFiles = %v, want %v", rs.trackFiles, tt.want)
			}
		})
	}
}

func TestHashesRecordedAfterTheExecEnrichItsAlert(t *testing.T) {
	rs, err := Load([]string{ourRules}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if _, err := rs.Run(record(t, "drift"), RunOptions{}, func(a *Alert) error {
		v, _ := a.Field("proc.exe.sha256")
		got = append(got, v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "3c8727e019a42b444667a587b6001251becadabbb36bfed8087a92c18882d111" {
		t.Errorf("sha256 in the drift alert = %q", got)
	}
}

// TestHashPrescanOnlyWhenAHashIsRead checks which rule sets make a run
// load the exe_hash rows beforehand.
func TestHashPrescanOnlyWhenAHashIsRead(t *testing.T) {
	tests := []struct {
		name      string
		condition string
		output    string
		want      bool
	}{
		{"condition on the hash", "evt.type=execve and proc.exe.sha256 != x", "o", true},
		{"hash in the output", "evt.type=execve", "o %proc.exe.hash_source", true},
		{"hash inside a transformer", "evt.type=execve and toupper(proc.exe.hash_error) = X", "o", true},
		{"no hash field", "evt.type=execve and proc.name=sh", "o %proc.exepath %proc.exe.size", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "rules.yaml")
			text := "- rule: r\n  desc: d\n  condition: " + tt.condition + "\n  output: " + tt.output + "\n  priority: INFO\n"
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			rs, err := Load([]string{p}, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rs.readsHashes != tt.want {
				t.Errorf("readsHashes = %v, want %v", rs.readsHashes, tt.want)
			}
		})
	}
}

// TestSkippedColumnsChangeNoField replays recordings once per catalog
// field, with a rule that prints the field on every event, reading the
// columns the rule set needs and then every column: the outputs must be
// equal. Event arguments are probed one parameter at a time, and
// evt.args one event type at a time. A field or parameter that starts
// reading a column of optionalColumns without being listed there or in
// fields.ArgColumns fails here (where the recordings hold a value in
// that column).
func TestSkippedColumnsChangeNoField(t *testing.T) {
	var recs []*format.Recording
	for _, s := range enginetest.Scenarios() {
		recs = append(recs, record(t, s))
	}
	for _, name := range []string{"container", "setuid", "drift"} {
		if rec, err := format.Open(filepath.Join("../../samples/recordings", name)); err == nil {
			recs = append(recs, rec)
		}
	}
	outputs := func(t *testing.T, rs *Ruleset, rec *format.Recording) string {
		var b strings.Builder
		if _, err := rs.Run(rec, RunOptions{}, func(a *Alert) error {
			b.WriteString(a.Output)
			b.WriteByte('\n')
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	dir := t.TempDir()
	type probe struct{ name, condition, field string }
	var probes []probe
	for _, f := range fields.Default().Fields() {
		if !f.Available() || f.FilterOnly {
			continue
		}
		field := f.Name
		switch f.Arg {
		case fields.ArgIndexRequired:
			field += "[1]"
		case fields.ArgNameRequired:
			continue // evt.arg.NAME and evt.rawarg.NAME: below, one per parameter
		}
		probes = append(probes, probe{field, "evt.num > 0", field})
	}
	// Event arguments read the columns fields.ArgColumns lists for each
	// parameter, and evt.args those of the rule's event types.
	for _, name := range fields.ArgNames() {
		probes = append(probes, probe{"evt.arg." + name, "evt.num > 0", "evt.arg." + name})
		probes = append(probes, probe{"evt.rawarg." + name, "evt.num > 0", "evt.rawarg." + name})
	}
	for _, n := range []string{"0", "1", "2", "3", "4", "5"} {
		probes = append(probes, probe{"evt.arg[" + n + "]", "evt.num > 0", "evt.arg[" + n + "]"})
	}
	for _, typ := range fields.EventTypes() {
		probes = append(probes, probe{"evt.args of " + typ, "evt.type = " + typ, "evt.args"})
	}
	for _, pr := range probes {
		t.Run(pr.name, func(t *testing.T) {
			t.Parallel() // the rule sets and recordings are read-only
			p := filepath.Join(dir, strings.NewReplacer("[", "_", "]", "_", " ", "_").Replace(pr.name)+".yaml")
			text := "- rule: r\n  desc: d\n  condition: " + pr.condition + "\n  output: \"%" + pr.field + "\"\n  priority: INFO\n"
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			rs, err := Load([]string{p}, LoadOptions{})
			if err != nil {
				if strings.HasPrefix(pr.name, "evt.rawarg.") && strings.Contains(err.Error(), "no raw numeric value") {
					return // a parameter without a raw numeric form
				}
				t.Fatal(err)
			}
			all := *rs
			all.columns = nil // read everything
			for _, rec := range recs {
				if got, want := outputs(t, rs, rec), outputs(t, &all, rec); got != want {
					t.Errorf("%s: outputs differ when the replay skips columns %v", rec.Dir, skipped(rs.columns))
				}
			}
		})
	}
}

func skipped(cols []format.ColumnID) []string {
	in := map[format.ColumnID]bool{}
	for _, c := range cols {
		in[c] = true
	}
	var out []string
	for c := format.ColumnID(0); c < format.NumColumns; c++ {
		if !in[c] {
			out = append(out, format.Columns[c].Name)
		}
	}
	return out
}
