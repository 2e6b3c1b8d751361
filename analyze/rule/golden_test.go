package rule

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestUpstreamGolden renders every macro and rule condition of the
// upstream files (lists substituted, exceptions applied) and compares the
// result with testdata/<file>.golden.
func TestUpstreamGolden(t *testing.T) {
	if _, err := os.Stat(upstreamDir); err != nil {
		t.Skipf("upstream Falco rules not found at %s (%v); skipping", upstreamDir, err)
	}
	for _, name := range []string{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(upstreamDir, name))
			if err != nil {
				t.Fatal(err)
			}
			l := NewLoader()
			l.Load(name, data) // named without directory so the golden file does not depend on it
			rs, err := l.Build()
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			var b strings.Builder
			for _, m := range rs.Macros {
				fmt.Fprintf(&b, "macro %s (%s)\n\t%s\n", m.Name, m.At.Position(), Format(m.Expr))
			}
			for _, r := range rs.Rules {
				fmt.Fprintf(&b, "rule %q (%s) priority=%s enabled=%v tags=%s\n\t%s\n", r.Name, r.At.Position(), r.Priority, r.Enabled, strings.Join(r.Tags, ","), Format(r.Expr))
			}
			golden := filepath.Join("testdata", strings.TrimSuffix(name, ".yaml")+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update to create it): %v", err)
			}
			if b.String() != string(want) {
				t.Errorf("rendering differs from %s (run go test -run TestUpstreamGolden -update and review the diff)", golden)
			}
		})
	}
}
