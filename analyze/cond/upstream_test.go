package cond

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rewind-sh/rewind/analyze/rule"
)

// upstreamDir holds Falco's rule files, relative to this package.
const upstreamDir = "../../../shared/falco/rules"

func upstreamFiles(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(upstreamDir, "*.yaml"))
	if len(files) == 0 {
		if _, err := os.Stat(upstreamDir); err != nil {
			t.Skipf("upstream Falco rules not found at %s (%v); skipping", upstreamDir, err)
		}
		t.Skipf("no *.yaml in %s; skipping", upstreamDir)
	}
	return files
}

func TestUpstreamRulesCompileAgainstTheFakeCatalog(t *testing.T) {
	for _, f := range upstreamFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			rs, err := rule.LoadFiles(f)
			if err != nil {
				t.Fatalf("load: %s", err.(rule.ErrorList).Detail())
			}
			p, sum, err := CompileRules(rs, fakeCatalog{})
			if err != nil {
				t.Fatalf("compile: %s", err.(rule.ErrorList).Detail())
			}
			t.Logf("%s; %d warnings", sum, len(sum.Warnings))
			for _, s := range sum.Skipped {
				if len(s.Unavailable) == 0 {
					t.Errorf("rule %q skipped without an unavailable field: %s", s.Rule.Name, s.Reason)
				}
			}
			if len(p.Rules) != sum.Loaded || sum.Loaded == 0 {
				t.Errorf("program has %d rules, summary says %d loaded", len(p.Rules), sum.Loaded)
			}
		})
	}
}

// TestUpstreamEventTypesMatchTheReference compares the evt.type set
// inferred for each stable rule with the one listed in
// shared/falco/rules-usage.md (section 8), which was computed with Falco's
// own inference.
func TestUpstreamEventTypesMatchTheReference(t *testing.T) {
	files := upstreamFiles(t)
	ref, err := os.ReadFile(filepath.Join(upstreamDir, "..", "rules-usage.md"))
	if err != nil {
		t.Skipf("reference rules-usage.md not readable (%v); skipping", err)
	}
	want := map[string]string{}
	name := ""
	for _, line := range strings.Split(string(ref), "\n") {
		switch {
		case strings.HasPrefix(line, "### "):
			name = strings.TrimPrefix(line, "### ")
		case strings.HasPrefix(line, "- evt.type: ") && name != "":
			want[name] = strings.TrimPrefix(line, "- evt.type: ")
		}
	}
	var stable string
	for _, f := range files {
		if filepath.Base(f) == "falco_rules.yaml" {
			stable = f
		}
	}
	if stable == "" || len(want) == 0 {
		t.Skip("falco_rules.yaml or its reference types not found; skipping")
	}
	rs, err := rule.LoadFiles(stable)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, r := range rs.Rules {
		w, ok := want[r.Name]
		if !ok {
			continue
		}
		checked++
		s := InferTypes(r.Expr)
		if s.Except {
			t.Errorf("rule %q: inferred all types except %v, want %s", r.Name, s.Sorted(), w)
			continue
		}
		if got := strings.Join(s.Sorted(), ", "); got != w {
			t.Errorf("rule %q: inferred %s, want %s", r.Name, got, w)
		}
	}
	if checked != len(rs.Rules) {
		t.Errorf("checked %d of %d rules against the reference", checked, len(rs.Rules))
	}
}
