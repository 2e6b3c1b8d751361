package cond

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rewind-sh/rewind/analyze/rule"
)

// benchEvent is a struct-backed event, closer to the real catalog's cost
// than the map-backed fakeEvent.
type benchEvent struct {
	evtType, procName, pname, cmdline, fdName, typechar, userName string
	fdNum                                                         int64
	isOpenRead                                                    bool
	anames                                                        []string
}

// benchCatalog serves the fields of benchEvent; every other field the
// fake catalog knows resolves with its type but is always missing.
type benchCatalog struct{}

func (benchCatalog) EventTypes() []string { return fakeEventTypes }

func (benchCatalog) Lookup(name, arg string, hasArg bool) (Extractor, FieldSpec, error) {
	str := func(f func(*benchEvent) string) (Extractor, FieldSpec, error) {
		return Extractor{String: func(ev Event) (string, bool) { return f(ev.(*benchEvent)), true }}, FieldSpec{Name: name, Type: TypeString}, nil
	}
	switch {
	case name == "evt.type":
		return str(func(e *benchEvent) string { return e.evtType })
	case name == "proc.name":
		return str(func(e *benchEvent) string { return e.procName })
	case name == "proc.pname":
		return str(func(e *benchEvent) string { return e.pname })
	case name == "proc.cmdline":
		return str(func(e *benchEvent) string { return e.cmdline })
	case name == "fd.name":
		return str(func(e *benchEvent) string { return e.fdName })
	case name == "fd.typechar":
		return str(func(e *benchEvent) string { return e.typechar })
	case name == "user.name":
		return str(func(e *benchEvent) string { return e.userName })
	case name == "fd.num":
		return Extractor{Int64: func(ev Event) (int64, bool) { return ev.(*benchEvent).fdNum, true }}, FieldSpec{Name: name, Type: TypeInt64}, nil
	case name == "evt.is_open_read":
		return Extractor{Bool: func(ev Event) (bool, bool) { return ev.(*benchEvent).isOpenRead, true }}, FieldSpec{Name: name, Type: TypeBool}, nil
	case name == "proc.aname" && !hasArg:
		return Extractor{StringAt: func(ev Event, i int) (string, bool) {
			a := ev.(*benchEvent).anames
			if i < len(a) {
				return a[i], true
			}
			return "", false
		}}, FieldSpec{Name: name, Type: TypeString, IsList: true, AnyElement: true}, nil
	}
	ex, spec, err := fakeCatalog{}.Lookup(name, arg, hasArg)
	if err != nil {
		return ex, spec, err
	}
	return missingExtractor(spec), spec, nil
}

func missingExtractor(spec FieldSpec) Extractor {
	var ex Extractor
	if spec.IsList {
		ex.StringAt = func(Event, int) (string, bool) { return "", false }
		return ex
	}
	switch familyOf(spec.Type) {
	case famString:
		ex.String = func(Event) (string, bool) { return "", false }
	case famInt:
		ex.Int64 = func(Event) (int64, bool) { return 0, false }
	case famUint:
		ex.Uint64 = func(Event) (uint64, bool) { return 0, false }
	case famBool:
		ex.Bool = func(Event) (bool, bool) { return false, false }
	case famAddr:
		ex.Addr = func(Event) (netip.Addr, bool) { return netip.Addr{}, false }
	case famBytes:
		ex.Bytes = func(Event) ([]byte, bool) { return nil, false }
	}
	return ex
}

// benchCondition is in the style of the upstream "read sensitive file"
// rules, lists already expanded.
const benchCondition = `evt.type in (open, openat, openat2) and evt.is_open_read=true and fd.typechar='f' and fd.num>=0
  and (fd.name startswith /etc/shadow or fd.name in (/etc/sudoers, /etc/pam.conf, /etc/security/pwquality.conf))
  and not proc.name in (ash, bash, csh, ksh, sh, tcsh, zsh, dash, sshd, sudo, su, passwd, chage, login)
  and not proc.cmdline contains "linux-bench"`

var benchEvents = []*benchEvent{
	{evtType: "openat", procName: "cat", pname: "bash", cmdline: "cat /etc/shadow", fdName: "/etc/shadow", typechar: "f", fdNum: 3, isOpenRead: true, userName: "root", anames: []string{"bash", "sshd", "systemd"}},
	{evtType: "openat", procName: "nginx", pname: "nginx", cmdline: "nginx: worker", fdName: "/var/www/index.html", typechar: "f", fdNum: 7, isOpenRead: true, userName: "www", anames: []string{"nginx", "systemd"}},
	{evtType: "execve", procName: "bash", pname: "sshd", cmdline: "bash", typechar: "", fdNum: -1, userName: "alice", anames: []string{"sshd", "systemd"}},
	{evtType: "open", procName: "sshd", pname: "systemd", cmdline: "sshd -D", fdName: "/etc/shadow", typechar: "f", fdNum: 4, isOpenRead: true, userName: "root", anames: []string{"systemd"}},
}

// baselineCondition is benchCondition written by hand in Go.
func baselineCondition(e *benchEvent) bool {
	switch e.evtType {
	case "open", "openat", "openat2":
	default:
		return false
	}
	if !e.isOpenRead || e.typechar != "f" || e.fdNum < 0 {
		return false
	}
	if !strings.HasPrefix(e.fdName, "/etc/shadow") {
		switch e.fdName {
		case "/etc/sudoers", "/etc/pam.conf", "/etc/security/pwquality.conf":
		default:
			return false
		}
	}
	switch e.procName {
	case "ash", "bash", "csh", "ksh", "sh", "tcsh", "zsh", "dash", "sshd", "sudo", "su", "passwd", "chage", "login":
		return false
	}
	return !strings.Contains(e.cmdline, "linux-bench")
}

func TestBenchConditionAgreesWithBaseline(t *testing.T) {
	e, _ := rule.ParseString("bench", benchCondition)
	c, err := NewCompiler(benchCatalog{}).Compile(e)
	if err != nil {
		t.Fatal(err)
	}
	matched := 0
	for i, ev := range benchEvents {
		if got, want := c.Match(ev), baselineCondition(ev); got != want {
			t.Errorf("event %d: compiled %v, baseline %v", i, got, want)
		}
		if c.Match(ev) {
			matched++
		}
	}
	if matched != 1 {
		t.Errorf("%d events match, want 1 (the benchmark must exercise both outcomes)", matched)
	}
}

func BenchmarkCompiledCondition(b *testing.B) {
	e, _ := rule.ParseString("bench", benchCondition)
	c, err := NewCompiler(benchCatalog{}).Compile(e)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if c.Match(benchEvents[i%len(benchEvents)]) {
			n++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkBaseline(b *testing.B) {
	n := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if baselineCondition(benchEvents[i%len(benchEvents)]) {
			n++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkStableRuleset runs every event through all candidate rules of
// upstream falco_rules.yaml (evt.type index included).
func BenchmarkStableRuleset(b *testing.B) {
	path := filepath.Join(upstreamDir, "falco_rules.yaml")
	rs, err := rule.LoadFiles(path)
	if err != nil {
		b.Skipf("upstream rules not loadable (%v); skipping", err)
	}
	p, _, err := CompileRules(rs, benchCatalog{})
	if err != nil {
		b.Fatal(err)
	}
	cands := make([][]*CompiledRule, len(benchEvents))
	for i, ev := range benchEvents {
		cands[i] = p.Candidates(ev.evtType)
	}
	tested := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := i % len(benchEvents)
		ev := benchEvents[k]
		for _, r := range cands[k] {
			tested++
			r.Condition.Match(ev)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(tested)/float64(b.N), "rules/event")
}
