package cond

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rewind-sh/rewind/analyze/rule"
)

func loadRules(t *testing.T, yaml string) *rule.Ruleset {
	t.Helper()
	l := rule.NewLoader()
	l.Load("r.yaml", []byte(yaml))
	rs, err := l.Build()
	if err != nil {
		t.Fatalf("load: %s", err.(rule.ErrorList).Detail())
	}
	return rs
}

const programRules = `
- macro: spawned
  condition: evt.type in (execve, execveat)
- rule: Shell
  desc: d
  condition: spawned and proc.name = bash
  output: shell %proc.name
  priority: notice
- rule: Any bash
  desc: d
  condition: proc.name = bash and evt.type != open
  output: any %evt.type
  priority: info
- rule: K8s
  desc: d
  condition: spawned and k8s.ns.name = default
  output: k8s
  priority: info
- rule: Off
  desc: d
  condition: spawned
  output: off
  priority: info
  enabled: false
- rule: Bad
  desc: d
  condition: spawned and fd.num = x
  output: bad
  priority: info
- rule: Off and broken
  desc: d
  condition: spawned and fd.num = y
  output: off
  priority: info
  enabled: false
- rule: Audit
  desc: d
  condition: ka.verb = create
  output: audit
  priority: info
  source: k8s_audit
- rule: Unknown output tolerated
  desc: d
  condition: spawned
  output: "%nosuch.field"
  priority: info
  skip-if-unknown-filter: true
- rule: Unknown but tolerated
  desc: d
  condition: spawned and nosuch.field = 1
  output: u
  priority: info
  skip-if-unknown-filter: true
`

func TestCompileRulesSummaryAndIndex(t *testing.T) {
	rs := loadRules(t, programRules)
	p, sum, err := CompileRules(rs, fakeCatalog{})
	if err == nil {
		t.Fatal("want an error for rule Bad")
	}
	if got := sum.String(); got != "9 rules: 2 loaded, 1 disabled, 4 skipped, 2 invalid" {
		t.Errorf("summary %q", got)
	}
	if got := err.(rule.ErrorList).Detail(); got != "r.yaml:27:35: rule \"Bad\": value for int64 field fd.num: \"x\" is not a valid integer\n"+
		"\t  condition: spawned and fd.num = x\n\t                                  ^\n"+
		"r.yaml:32:35: rule \"Off and broken\": value for int64 field fd.num: \"y\" is not a valid integer\n"+
		"\t  condition: spawned and fd.num = y\n\t                                  ^" {
		t.Errorf("error %q", got)
	}
	var reasons []string
	for _, s := range sum.Skipped {
		reasons = append(reasons, s.Rule.Name+": "+s.Reason)
	}
	want := "K8s: needs unavailable fields (k8s.ns.name: kubernetes metadata is not recorded)\n" +
		"Audit: event source \"k8s_audit\" is not recorded (only syscall events are)\n" +
		"Unknown output tolerated: unknown output field (skip-if-unknown-filter): unknown field nosuch.field in output\n" +
		"Unknown but tolerated: unknown field (skip-if-unknown-filter): unknown field nosuch.field"
	if strings.Join(reasons, "\n") != want {
		t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(reasons, "\n"), want)
	}
	names := func(list []*CompiledRule) string {
		var s []string
		for _, r := range list {
			s = append(s, r.Rule.Name)
		}
		return strings.Join(s, ",")
	}
	for typ, want := range map[string]string{"execve": "Shell,Any bash", "open": "", "connect": "Any bash"} {
		if got := names(p.Candidates(typ)); got != want {
			t.Errorf("candidates for %s: %q, want %q", typ, got, want)
		}
	}
	var fired []string
	ev := fakeEvent{"evt.type": "execve", "proc.name": "bash"}
	p.Eval("execve", ev, func(r *CompiledRule) { fired = append(fired, r.Rule.Name+": "+r.Output.Format(ev)) })
	if got := strings.Join(fired, "; "); got != "Shell: shell bash; Any bash: any execve" {
		t.Errorf("fired %q", got)
	}
}

func TestWarningsForEventTypesNoRecordingHas(t *testing.T) {
	rs := loadRules(t, `
- rule: R
  desc: d
  condition: evt.type in (execve, vfork_bogus, sendmmsg)
  output: o
  priority: info
`)
	_, sum, err := CompileRules(rs, fakeCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Warnings) != 1 || sum.Warnings[0].Error() != `r.yaml:2:3: warning: rule "R": evt.type sendmmsg, vfork_bogus never occurs in recordings` {
		t.Errorf("warnings %v", sum.Warnings)
	}
}

func TestSharedMacroChainsCompileInLinearTime(t *testing.T) {
	var b strings.Builder
	b.WriteString("- macro: m0\n  condition: evt.type = open\n")
	for i := 1; i < 200; i++ {
		fmt.Fprintf(&b, "- macro: m%d\n  condition: m%d and not m%d\n", i, i-1, i-1)
	}
	b.WriteString("- rule: R\n  desc: d\n  condition: m199 or proc.name = x\n  output: o\n  priority: info\n")
	rs := loadRules(t, b.String())
	if _, _, err := CompileRules(rs, fakeCatalog{}); err != nil {
		t.Fatal(err)
	}
}

// Run with -race: a compiled program is shared by goroutines.
func TestProgramIsSafeForConcurrentUse(t *testing.T) {
	rs := loadRules(t, `
- rule: R
  desc: d
  condition: evt.type = execve and (proc.name glob 'b*' or fd.name pmatch (/tmp) or proc.aname in (sshd) or proc.cmdline icontains X)
  output: "%proc.name %proc.aname"
  priority: info
`)
	p, _, err := CompileRules(rs, fakeCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	ev := fakeEvent{"evt.type": "execve"}
	for k, v := range ev1 {
		ev[k] = v
	}
	done := make(chan int)
	for g := 0; g < 4; g++ {
		go func() {
			n := 0
			for i := 0; i < 200; i++ {
				p.Eval("execve", ev, func(r *CompiledRule) { n += len(r.Output.Format(ev)) })
			}
			done <- n
		}()
	}
	for g := 0; g < 4; g++ {
		if n := <-done; n != 200*len("bash sshd systemd") {
			t.Errorf("goroutine rendered %d bytes", n)
		}
	}
}

func TestRulesWithoutAnEventTypeGetAWarning(t *testing.T) {
	rs := loadRules(t, `
- rule: Everything
  desc: d
  condition: proc.name = bash
  output: o
  priority: info
- rule: Never
  desc: d
  condition: evt.type = open and evt.type = close
  output: o
  priority: info
- rule: Quiet
  desc: d
  condition: evt.type != open
  output: o
  priority: info
  warn_evttypes: false
`)
	_, sum, err := CompileRules(rs, fakeCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Warnings) != 2 || sum.Warnings[0].Error() != `r.yaml:2:3: warning: rule "Everything" matches too many evt.type values; it is tested on every event` ||
		sum.Warnings[1].Error() != `r.yaml:7:3: warning: rule "Never" matches no evt.type value; it can never fire` {
		t.Errorf("warnings %v", sum.Warnings)
	}
}
