package rule

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const upstreamDir = "../../../shared/falco/rules"

func TestUpstreamFilesLoad(t *testing.T) {
	if _, err := os.Stat(upstreamDir); err != nil {
		t.Skipf("upstream Falco rules not found at %s (%v); skipping", upstreamDir, err)
	}
	tests := []struct {
		file                 string
		rules, macros, lists int
	}{
		// Counts from rules-usage.md for the stable file; the others as loaded.
		{"falco_rules.yaml", 25, 87, 49},
		{"falco-incubating_rules.yaml", 31, 82, 54},
		{"falco-sandbox_rules.yaml", 37, 183, 60},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rs, err := LoadFiles(filepath.Join(upstreamDir, tt.file))
			if err != nil {
				t.Fatalf("load: %s", err.(ErrorList).Detail())
			}
			if len(rs.Rules) != tt.rules || len(rs.Macros) != tt.macros || len(rs.Lists) != tt.lists {
				t.Errorf("got %d rules, %d macros, %d lists; want %d, %d, %d",
					len(rs.Rules), len(rs.Macros), len(rs.Lists), tt.rules, tt.macros, tt.lists)
			}
			for _, m := range rs.Macros {
				if m.Expr == nil {
					t.Errorf("macro %s did not parse", m.Name)
				}
			}
			for _, r := range rs.Rules {
				if r.Expr == nil {
					t.Errorf("rule %s did not parse", r.Name)
				}
			}
			if rs.RequiredEngineVersion != "0.57.0" {
				t.Errorf("required engine version %q, want 0.57.0", rs.RequiredEngineVersion)
			}
			if len(rs.RequiredPlugins) != 1 || rs.RequiredPlugins[0].Name != "container" {
				t.Errorf("required plugins %+v, want container", rs.RequiredPlugins)
			}
		})
	}
}

func TestAllUpstreamFilesLoadTogether(t *testing.T) {
	if _, err := os.Stat(upstreamDir); err != nil {
		t.Skipf("upstream Falco rules not found at %s (%v); skipping", upstreamDir, err)
	}
	// Loaded in order the later files redefine items of the earlier ones.
	rs, err := LoadFiles(filepath.Join(upstreamDir, "falco_rules.yaml"),
		filepath.Join(upstreamDir, "falco-incubating_rules.yaml"), filepath.Join(upstreamDir, "falco-sandbox_rules.yaml"))
	if err != nil {
		t.Fatalf("load: %s", err.(ErrorList).Detail())
	}
	if len(rs.Rules) != 25+31+37 {
		t.Errorf("got %d rules, want %d", len(rs.Rules), 25+31+37)
	}
}

func load(t *testing.T, files ...string) (*Ruleset, error) {
	t.Helper()
	l := NewLoader()
	for i, f := range files {
		l.Load("f"+string(rune('1'+i))+".yaml", []byte(f))
	}
	return l.Build()
}

func mustLoad(t *testing.T, files ...string) *Ruleset {
	t.Helper()
	rs, err := load(t, files...)
	if err != nil {
		t.Fatalf("load: %s", err.(ErrorList).Detail())
	}
	return rs
}

func cond(t *testing.T, rs *Ruleset, name string) string {
	t.Helper()
	r := rs.Rule(name)
	if r == nil {
		t.Fatalf("rule %q not loaded", name)
	}
	return Format(r.Expr)
}

const baseRules = `
- list: shells
  items: [bash, sh]
- list: more_shells
  items: [shells, zsh, "fish shell"]
- macro: spawned
  condition: evt.type in (execve, execveat)
- rule: Shell
  desc: a shell ran
  condition: spawned and proc.name in (more_shells)
  output: shell %proc.name
  priority: warning
  tags: [a]
`

func TestListsAreFlattenedAndSubstituted(t *testing.T) {
	rs := mustLoad(t, baseRules)
	got := cond(t, rs, "Shell")
	want := `(spawned and proc.name in (bash, sh, zsh, "fish shell"))`
	if got != want {
		t.Errorf("condition %s, want %s", got, want)
	}
	if Format(rs.Macros[0].Expr) != "evt.type in (execve, execveat)" {
		t.Errorf("macro %s", Format(rs.Macros[0].Expr))
	}
}

func TestListsAreFlattenedOneLevelLikeFalco(t *testing.T) {
	rs := mustLoad(t, `
- list: a
  items: [x]
- list: b
  items: [a, y]
- list: c
  items: [b, z]
- rule: R
  desc: d
  condition: proc.name in (c)
  output: o
  priority: info
`)
	if got, want := cond(t, rs, "R"), `proc.name in (a, y, z)`; got != want {
		t.Errorf("condition %s, want %s", got, want)
	}
	if len(rs.Warnings) != 1 || rs.Warnings[0].Error() != `f1.yaml:7:11: warning: list "c": item "b" names list "b", whose item "a" names list "a"; Falco expands only one level, so "a" stays a plain value` {
		t.Errorf("warnings %v", rs.Warnings)
	}
}

func TestListsNamingLaterListsAreExpandedInTurn(t *testing.T) {
	rs := mustLoad(t, `
- list: first
  items: [a, second, third]
- list: second
  items: [b, first]
- list: third
  items: []
- rule: R
  desc: d
  condition: proc.name in (first)
  output: o
  priority: info
`)
	// second was flattened to [b, a, second, third] (first is earlier).
	// Substituting first, then second, then third in order: second's name
	// inside first is replaced, the name inside second's own items is not
	// (its turn is over), and the empty third disappears with its comma.
	if got, want := cond(t, rs, "R"), `proc.name in (a, b, a, second)`; got != want {
		t.Errorf("condition %s, want %s", got, want)
	}
}

func TestListSubstitutionDetails(t *testing.T) {
	rs := mustLoad(t, `
- list: empty
  items: []
- list: ports
  items: [80, 0x1bb]
- list: nets
  items: ['"10.0.0.0/8"', '"192.168.0.0/16"']
- rule: R
  desc: d
  condition: proc.name in (a, empty, b) and fd.sport in (ports) and fd.snet in (nets) and proc.name in (empty) and fd.name = "ports"
  output: o
  priority: info
`)
	want := `(proc.name in (a, b) and fd.sport in (80, 443) and fd.snet in ("10.0.0.0/8", "192.168.0.0/16") and proc.name in () and fd.name = "ports")`
	if got := cond(t, rs, "R"); got != want {
		t.Errorf("condition\n %s\nwant\n %s", got, want)
	}
}

func TestAppendAndOverride(t *testing.T) {
	rs := mustLoad(t, baseRules, `
- list: shells
  items: [ksh]
  append: true
- macro: spawned
  condition: and proc.pid > 0
  append: true
- rule: Shell
  condition: and not user.name = root
  tags: [b]
  override:
    condition: append
    tags: append
- rule: Shell
  desc: new description
  priority: critical
  enabled: false
  override:
    desc: replace
    priority: replace
    enabled: replace
`)
	r := rs.Rule("Shell")
	if got, want := Format(r.Expr), `(spawned and proc.name in (bash, sh, ksh, zsh, "fish shell") and not user.name = root)`; got != want {
		t.Errorf("condition %s, want %s", got, want)
	}
	if got, want := Format(rs.Macros[0].Expr), `(evt.type in (execve, execveat) and proc.pid > 0)`; got != want {
		t.Errorf("macro %s, want %s", got, want)
	}
	if r.Desc != "new description" || r.Priority != PriorityCritical || r.Enabled || strings.Join(r.Tags, ",") != "a,b" {
		t.Errorf("rule after override: desc %q priority %v enabled %v tags %v", r.Desc, r.Priority, r.Enabled, r.Tags)
	}
}

func TestOverrideReplaceCondition(t *testing.T) {
	rs := mustLoad(t, baseRules, `
- macro: spawned
  condition: evt.type = execve
  override:
    condition: replace
- rule: Shell
  condition: spawned
  output: new %proc.pid
  override:
    condition: replace
    output: append
`)
	if got := cond(t, rs, "Shell"); got != "spawned" {
		t.Errorf("condition %s", got)
	}
	if got := rs.Rule("Shell").Output; got != "shell %proc.name new %proc.pid" {
		t.Errorf("output %q", got)
	}
}

func TestExceptionsBecomeConditions(t *testing.T) {
	rs := mustLoad(t, `
- list: trusted
  items: [/usr/bin/a, /usr/bin/b]
- rule: R
  desc: d
  condition: evt.type = open
  output: o
  priority: notice
  exceptions:
    - name: by_name
      fields: proc.name
      values: [cron, "my daemon"]
    - name: by_pair
      fields: [proc.name, fd.directory]
      comps: [=, in]
      values:
        - [sshd, [/etc, /var/lib]]
        - [nginx, trusted]
    - name: by_prefix
      fields: [fd.name]
      comps: [startswith]
      values: [["/tmp/x y"]]
    - name: no_values
      fields: [proc.name]
- rule: R
  exceptions:
    - name: by_name
      values: [atd]
  append: true
`)
	want := `(evt.type = open and not proc.name in (cron, "my daemon", atd) and not ((proc.name = sshd and fd.directory in (/etc, /var/lib)) or (proc.name = nginx and fd.directory in (/usr/bin/a, /usr/bin/b))) and not fd.name startswith "/tmp/x y")`
	if got := cond(t, rs, "R"); got != want {
		t.Errorf("condition\n %s\nwant\n %s", got, want)
	}
}

func TestMacroVisibility(t *testing.T) {
	_, err := load(t, `
- macro: a
  condition: b
- macro: b
  condition: proc.name = x
- rule: R
  desc: d
  condition: a or b or c
  output: o
  priority: debug
`)
	want := "f1.yaml:3:14: macro \"b\" is defined after this macro (a macro may only use macros defined before it, or before its latest append or override)\n" +
		"\t  condition: b\n\t             ^\n" +
		"f1.yaml:8:14: macro \"a\" has errors\n\t  condition: a or b or c\n\t             ^\n" +
		"f1.yaml:8:24: undefined macro \"c\"\n\t  condition: a or b or c\n\t                       ^"
	if err == nil || err.(ErrorList).Detail() != want {
		t.Fatalf("got\n%v\nwant\n%s", detail(err), want)
	}
}

func TestRulesMaySeeMacrosDefinedLaterAndInLaterFiles(t *testing.T) {
	rs := mustLoad(t, `
- rule: R
  desc: d
  condition: later
  output: o
  priority: info
`, `
- macro: later
  condition: proc.name = x
`)
	if rs.Rule("R").Expr.(*MacroRef).Resolved == nil {
		t.Fatal("macro not resolved")
	}
}

func detail(err error) string {
	if err == nil {
		return "<nil>"
	}
	if l, ok := err.(ErrorList); ok {
		return l.Detail()
	}
	return err.Error()
}

func TestConditionErrorsPointIntoTheFile(t *testing.T) {
	_, err := load(t, `- rule: R
  desc: d
  condition: >
    evt.type = open
    and proc.name in (a, b
  output: o
  priority: info
- rule: S
  desc: d
  condition: "proc.name = \"x\" and fd.name bad"
  output: o
  priority: info
`)
	want := "f1.yaml:5:27: unexpected end of condition in the list opened at column 22, expecting ',' or ')'\n" +
		"\t    and proc.name in (a, b\n\t                          ^\n" +
		"f1.yaml:10:45: unexpected 'bad' after fd.name, expecting an operator\n" +
		"\t  condition: \"proc.name = \\\"x\\\" and fd.name bad\"\n\t                                            ^"
	if got := detail(err); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestErrorsInAppendedConditionsPointIntoTheirFile(t *testing.T) {
	_, err := load(t, baseRules, "- rule: Shell\n  condition: and proc.name in (a,\n  append: true\n")
	want := "f2.yaml:2:34: unexpected end of condition in a list, expecting a value\n" +
		"\t  condition: and proc.name in (a,\n\t                                 ^"
	if got := detail(err); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSharedMacroChainsLoadInLinearTime(t *testing.T) {
	var b strings.Builder
	b.WriteString("- macro: m0\n  condition: evt.type = open\n")
	for i := 1; i < 200; i++ {
		fmt.Fprintf(&b, "- macro: m%d\n  condition: m%d and m%d\n", i, i-1, i-1)
	}
	b.WriteString("- rule: R\n  desc: d\n  condition: m199\n  output: o\n  priority: info\n")
	rs := mustLoad(t, b.String())
	if rs.Rule("R").Expr == nil {
		t.Fatal("rule not built")
	}
}

func TestAppendingToAMacroLetsItSeeLaterMacros(t *testing.T) {
	// As in Falco, an append or override moves the macro's visibility to
	// the append's position, so a user file can refer to macros that the
	// main file defines after the macro being changed.
	rs := mustLoad(t, `
- macro: a
  condition: proc.name = x
- macro: b
  condition: proc.name = y
- rule: R
  desc: d
  condition: a
  output: o
  priority: info
`, `
- macro: a
  condition: or b
  append: true
- list: l1
  items: [p]
- list: l2
  items: [q]
- list: l1
  items: [l2]
  override:
    items: append
- rule: S
  desc: d
  condition: proc.name in (l1)
  output: o
  priority: info
`)
	if got := Format(rs.Rule("R").Expr.(*MacroRef).Resolved); got != "(proc.name = x or b)" {
		t.Errorf("macro a: %s", got)
	}
	if got := cond(t, rs, "S"); got != "proc.name in (p, q)" {
		t.Errorf("rule S: %s", got)
	}
}

func TestRedefiningARuleWithAnotherSourceIsAnError(t *testing.T) {
	_, err := load(t, baseRules, "- rule: Shell\n  desc: d\n  condition: a\n  output: o\n  priority: info\n  source: k8s_audit\n")
	if got := detail(err); !strings.HasPrefix(got, `f2.yaml:1:3: rule "Shell" is redefined with a different source (k8s_audit, was syscall)`) {
		t.Errorf("got %s", got)
	}
}

// TestUpstreamFieldsMatchTheReference compares, for each stable rule, the
// fields reached through its condition and macros with the list in
// shared/falco/rules-usage.md (section 8), which Falco's parser produced.
func TestUpstreamFieldsMatchTheReference(t *testing.T) {
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
		case strings.HasPrefix(line, "- fields (transitive): ") && name != "":
			want[name] = strings.ReplaceAll(strings.TrimPrefix(line, "- fields (transitive): "), "`", "")
		}
	}
	rs, err := LoadFiles(filepath.Join(upstreamDir, "falco_rules.yaml"))
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
		seen := map[string]bool{}
		Walk(r.Expr, func(e Expr) bool {
			if c, ok := e.(*Check); ok {
				if f, ok := c.Left.(*FieldRef); ok {
					seen[f.String()] = true
				}
			}
			return true
		})
		var got []string
		for f := range seen {
			got = append(got, f)
		}
		sort.Strings(got)
		if strings.Join(got, ", ") != w {
			t.Errorf("rule %q reaches\n %s\nwant\n %s", r.Name, strings.Join(got, ", "), w)
		}
	}
	if checked != len(rs.Rules) {
		t.Errorf("checked %d of %d rules against the reference", checked, len(rs.Rules))
	}
}

// TestUpstreamOperatorCountsMatchTheReference counts the operators of all
// macro and rule conditions of each upstream file (each counted once,
// lists expanded) and compares them with section 4 and appendix A of
// shared/falco/rules-usage.md.
func TestUpstreamOperatorCountsMatchTheReference(t *testing.T) {
	if _, err := os.Stat(upstreamDir); err != nil {
		t.Skipf("upstream Falco rules not found at %s (%v); skipping", upstreamDir, err)
	}
	tests := []struct {
		file string
		want map[string]int
	}{
		{"falco_rules.yaml", map[string]int{"=": 68, "in": 50, "contains": 43, "startswith": 38, "endswith": 18,
			"icontains": 14, "!=": 7, ">=": 3, "glob": 2, "exists": 2, "<=": 1}},
		{"falco-incubating_rules.yaml", map[string]int{"=": 95, "in": 56, "startswith": 39, "endswith": 37, "contains": 32,
			"!=": 7, ">=": 5, "glob": 2, "icontains": 2, "intersects": 1, "exists": 1}},
		{"falco-sandbox_rules.yaml", map[string]int{"=": 182, "startswith": 167, "in": 113, "contains": 57, "!=": 15,
			">=": 9, "endswith": 9, "pmatch": 5, "glob": 1, "exists": 1, "<=": 1, "bcontains": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rs, err := LoadFiles(filepath.Join(upstreamDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			var count func(e Expr)
			count = func(e Expr) {
				switch e := e.(type) {
				case *AndExpr:
					for _, c := range e.Children {
						count(c)
					}
				case *OrExpr:
					for _, c := range e.Children {
						count(c)
					}
				case *NotExpr:
					count(e.X)
				case *Check:
					counts[e.Op]++
				}
			}
			for _, m := range rs.Macros {
				count(m.Expr)
			}
			for _, r := range rs.Rules {
				count(r.Expr)
			}
			if fmt.Sprint(counts) != fmt.Sprint(tt.want) {
				t.Errorf("operator counts\n %v\nwant\n %v", counts, tt.want)
			}
		})
	}
}
