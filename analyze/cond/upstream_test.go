package cond

import (
	"os"
	"path/filepath"
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
