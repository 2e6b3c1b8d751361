package rule

import (
	"strings"
	"testing"
)

func TestMalformedRulesFiles(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"invalid YAML", "- rule: [\n", "f1.yaml:1:1: invalid YAML: did not find expected node content\n\t- rule: [\n\t^"},
		{"a mapping at the top", "rule: x\n",
			"f1.yaml:1:1: a rules file must be a sequence of items (- rule:, - macro:, - list:), not a mapping\n\trule: x\n\t^"},
		{"an item that is not a mapping", "- just text\n",
			"f1.yaml:1:3: an item must be a mapping, not a scalar\n\t- just text\n\t  ^"},
		{"a rule without output", "- rule: R\n  desc: d\n  condition: a.b=1\n  priority: info\n",
			"f1.yaml:1:3: rule \"R\" has no output key\n\t- rule: R\n\t  ^"},
		{"a bad priority", "- rule: R\n  desc: d\n  condition: a.b=1\n  output: o\n  priority: loud\n",
			"f1.yaml:5:13: rule \"R\": unknown priority \"loud\" (want one of emergency, alert, critical, error, warning, notice, informational, info, debug)\n\t  priority: loud\n\t            ^"},
		{"enabled that is not a boolean", "- rule: R\n  desc: d\n  condition: a.b=1\n  output: o\n  priority: info\n  enabled: maybe\n",
			"f1.yaml:6:12: enabled must be true or false, not \"maybe\"\n\t  enabled: maybe\n\t           ^"},
		{"a duplicate key", "- macro: m\n  condition: a.b=1\n  condition: a.b=2\n",
			"f1.yaml:3:3: duplicate key \"condition\" in an item\n\t  condition: a.b=2\n\t  ^"},
		{"list items that are not a sequence", "- list: l\n  items: a\n",
			"f1.yaml:2:10: items must be a sequence, not a scalar\n\t  items: a\n\t         ^"},
		{"a nested mapping as list item", "- list: l\n  items: [a, {b: c}]\n",
			"f1.yaml:2:14: items entries must be strings, not a mapping\n\t  items: [a, {b: c}]\n\t             ^"},
		{"append to a missing rule", "- rule: R\n  condition: and x.y=1\n  append: true\n",
			"f1.yaml:1:3: rule \"R\" has append: true but no rule by that name is defined before it\n\t- rule: R\n\t  ^"},
		{"append to a missing list", "- list: l\n  items: [a]\n  append: true\n",
			"f1.yaml:1:3: list \"l\" has append: true but no list by that name is defined before it\n\t- list: l\n\t  ^"},
		{"override of a key that is absent", baseRules + "- rule: Shell\n  override:\n    output: replace\n",
			"f1.yaml:16:5: override lists \"output\" but the item has no \"output\" key\n\t    output: replace\n\t    ^"},
		{"a key missing from override", baseRules + "- rule: Shell\n  output: x\n  desc: y\n  override:\n    output: replace\n",
			"f1.yaml:16:3: key \"desc\" must be listed in override: (append or replace)\n\t  desc: y\n\t  ^"},
		{"an override mode that does not exist", baseRules + "- rule: Shell\n  output: x\n  override:\n    output: merge\n",
			"f1.yaml:17:13: override mode for \"output\" must be append or replace, not \"merge\"\n\t    output: merge\n\t            ^"},
		{"append and override together", baseRules + "- rule: Shell\n  output: x\n  append: true\n  override:\n    output: append\n",
			"f1.yaml:17:3: rule \"Shell\" uses both append and override; use only override\n\t  override:\n\t  ^"},
		{"an append with nothing to append", baseRules + "- rule: Shell\n  append: true\n",
			"f1.yaml:14:3: rule \"Shell\" has append: true but neither a condition nor exceptions to append\n\t- rule: Shell\n\t  ^"},
		{"an empty override", baseRules + "- rule: Shell\n  override: {}\n",
			"f1.yaml:15:13: override lists no key to append or replace\n\t  override: {}\n\t            ^"},
		{"a new exception appended without values", baseRules + "- rule: Shell\n  exceptions:\n  - name: e\n    fields: [proc.name]\n  append: true\n",
			"f1.yaml:16:5: new exception \"e\" appended to rule \"Shell\" needs fields and values\n\t  - name: e\n\t    ^"},
		{"a list name with a blank", "- list: my list\n  items: [a]\n",
			"f1.yaml:1:9: list name \"my list\" must be a bare word (no blanks, quotes, parentheses, commas or '=')\n\t- list: my list\n\t        ^"},
		{"a macro name that is not an identifier", "- macro: my.macro\n  condition: a.b=1\n",
			"f1.yaml:1:10: macro name \"my.macro\" is not an identifier ([a-zA-Z][a-zA-Z0-9_]*)\n\t- macro: my.macro\n\t         ^"},
		{"exception tuples of the wrong length", "- rule: R\n  desc: d\n  condition: a.b=1\n  output: o\n  priority: info\n  exceptions:\n  - name: e\n    fields: [a.b, c.d]\n    values: [[x]]\n",
			"f1.yaml:9:15: exception \"e\" has 2 fields but a value tuple has 1 values\n\t    values: [[x]]\n\t              ^"},
		{"an exception with a non-list comp on one field", "- rule: R\n  desc: d\n  condition: a.b=1\n  output: o\n  priority: info\n  exceptions:\n  - name: e\n    fields: a.b\n    comps: startswith\n    values: [x]\n",
			"f1.yaml:7:5: exception \"e\" of rule \"R\": with a single field the comp must be a list operator (in, intersects, pmatch or '<op> oneof|anyof|allof'), not \"startswith\"\n\t  - name: e\n\t    ^"},
		{"an exception without a name", "- rule: R\n  desc: d\n  condition: a.b=1\n  output: o\n  priority: info\n  exceptions:\n  - fields: a.b\n",
			"f1.yaml:7:5: exception name must be a string, not nothing\n\t  - fields: a.b\n\t    ^"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.in)
			if err == nil {
				t.Fatalf("loaded without error, want:\n%s", tt.want)
			}
			if got := detail(err); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestErrorsAreCappedPerFile(t *testing.T) {
	var b strings.Builder
	for i := 0; i < MaxErrors+20; i++ {
		b.WriteString("- 1\n")
	}
	_, err := load(t, b.String())
	list := err.(ErrorList)
	if len(list) != MaxErrors+1 {
		t.Fatalf("got %d errors, want %d (the cap and a final note)", len(list), MaxErrors+1)
	}
	if last := list[len(list)-1].Error(); last != "f1.yaml: too many errors (50), skipping the rest of the file" {
		t.Errorf("last error %q", last)
	}
}

func TestWarnings(t *testing.T) {
	rs := mustLoad(t, `
- list: unused_list
  items: [a]
- macro: unused_macro
  condition: a.b = c
- rule: R
  desc: d
  condition: a.b = c
  output: o
  priority: info
  colour: blue
- something_else: 1
`)
	var got []string
	for _, w := range rs.Warnings {
		got = append(got, w.Error())
	}
	want := []string{
		`f1.yaml:11:3: warning: unknown key "colour" in a rule ignored`,
		`f1.yaml:12:3: warning: unknown item "something_else" ignored (expected rule, macro, list, required_engine_version or required_plugin_versions)`,
		`f1.yaml:4:3: warning: macro "unused_macro" is not used`,
		`f1.yaml:2:3: warning: list "unused_list" is not used`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAppendTrueWarnsAboutWhatItIgnores(t *testing.T) {
	rs := mustLoad(t, baseRules, "- rule: Shell\n  condition: or proc.name = x\n  priority: debug\n  output: more\n  append: true\n")
	var got []string
	for _, w := range rs.Warnings {
		got = append(got, w.Error())
	}
	want := `f2.yaml:5:3: warning: rule "Shell": append: true is deprecated; use override: {condition: append}
f2.yaml:3:3: warning: rule "Shell": key "priority" is ignored with append: true; use override: {priority: append|replace}
f2.yaml:4:3: warning: rule "Shell": key "output" is ignored with append: true; use override: {output: append|replace}`
	if strings.Join(got, "\n") != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	r := rs.Rule("Shell")
	if r.Priority != PriorityWarning || r.Output != "shell %proc.name" || !strings.HasSuffix(Format(r.Expr), "or proc.name = x)") {
		t.Errorf("rule after append: priority %v output %q condition %s", r.Priority, r.Output, Format(r.Expr))
	}
}

func TestOutputsAreTrimmed(t *testing.T) {
	rs := mustLoad(t, "- rule: R\n  desc: d\n  condition: a\n  output: >\n    text %proc.name\n  priority: info\n- macro: a\n  condition: x.y = 1\n")
	if got := rs.Rule("R").Output; got != "text %proc.name" {
		t.Errorf("output %q", got)
	}
	if p := rs.Rule("R").OutputSrc.Position(0); p.Line != 5 || p.Col != 5 {
		t.Errorf("output starts at %v, want line 5 column 5", p)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(baseRules)
	f.Add("- rule: R\n  desc: d\n  condition: a.b=1\n  output: o\n  priority: info\n  exceptions:\n  - name: e\n    fields: [a.b, c.d]\n    values: [[x, [y]]]\n")
	f.Add("- list: l\n  items: [a, l]\n- list: l\n  items: [b]\n  override: {items: append}\n")
	f.Add("- required_engine_version: 7\n- required_plugin_versions: [{name: x, version: 1, alternatives: [{name: y, version: 2}]}]\n")
	f.Add("--- \n- macro: &a m\n  condition: *a\n---\n[]\n")
	f.Fuzz(func(t *testing.T, data string) {
		l := NewLoader()
		l.Load("fuzz.yaml", []byte(data))
		rs, err := l.Build()
		if err != nil {
			_ = detail(err)
		}
		if rs == nil {
			t.Fatal("Build returned no rule set")
		}
		for _, r := range rs.Rules {
			if r.Expr == nil {
				t.Fatalf("rule %q in the set without a condition", r.Name)
			}
		}
	})
}

func TestConditionErrorsAreCappedPerFile(t *testing.T) {
	var b strings.Builder
	for i := 0; i < MaxErrors+5; i++ {
		b.WriteString("- macro: m" + strings.Repeat("x", i) + "\n  condition: a.b =\n")
	}
	_, err := load(t, b.String())
	list := err.(ErrorList)
	if len(list) != MaxErrors+1 || list[MaxErrors].Error() != "f1.yaml: more than 50 errors in conditions, the rest are not shown" {
		t.Fatalf("got %d errors, last %q", len(list), list[len(list)-1].Error())
	}
}
