package cond

import (
	"fmt"
	"strings"

	"github.com/rewind-sh/rewind/analyze/rule"
)

// CompiledRule is a rule ready to run.
type CompiledRule struct {
	Rule      *rule.Rule
	Condition *Condition
	Output    *Formatter
	// Order is the rule's position among compiled rules; alerts for one
	// event are produced in this order.
	Order int
}

// SkippedRule is a rule that was not compiled, and why.
type SkippedRule struct {
	Rule   *rule.Rule
	Reason string
	// Unavailable lists the fields recordings lack, when that is the reason.
	Unavailable []Unavailable
}

// Summary says what happened to every rule of a Ruleset.
type Summary struct {
	Loaded   int // rules compiled and enabled
	Disabled int // valid rules with enabled: false (disabled rules are still checked)
	Skipped  []SkippedRule
	Invalid  int // rules with errors
	// Errors are rules that are invalid (bad operator, unknown field, bad
	// literal). Those rules are not in the program.
	Errors rule.ErrorList
	// Warnings: outputs printing unavailable fields, rules matching too
	// many event types, evt.type values no recording has.
	Warnings rule.ErrorList
}

// String is a one-line account, e.g. "25 rules: 18 loaded, 0 disabled, 7 skipped, 0 invalid".
func (s *Summary) String() string {
	total := s.Loaded + s.Disabled + len(s.Skipped) + s.Invalid
	return fmt.Sprintf("%d rules: %d loaded, %d disabled, %d skipped, %d invalid", total, s.Loaded, s.Disabled, len(s.Skipped), s.Invalid)
}

// withRule copies e (which may be shared by the rules using one macro)
// with the rule's name in front of the message.
func withRule(e *rule.Error, name, what string) *rule.Error {
	ne := *e
	ne.Msg = fmt.Sprintf("rule %q: %s%s", name, what, e.Msg)
	return &ne
}

// Program is a compiled, indexed rule set. It is immutable and safe for
// concurrent use when the catalog's extractors are.
type Program struct {
	// Rules are the enabled compiled rules in order.
	Rules []*CompiledRule
	// byType lists, for every evt.type named by some rule, the rules that
	// can match it; other types use otherTypes.
	byType     map[string][]*CompiledRule
	otherTypes []*CompiledRule
}

// MaxEventTypes is the size of an event-type set above which a rule gets
// a warning (it is tested on nearly every event).
const MaxEventTypes = 100

// CompileRules compiles every enabled rule of rs. A rule needing a field
// recordings cannot provide is skipped (also when its only unknown field
// is allowed by skip-if-unknown-filter); an invalid rule is reported in
// the summary's errors. The error is non-nil only when some rule is
// invalid; the program still holds every valid rule.
func CompileRules(rs *rule.Ruleset, cat Catalog) (*Program, *Summary, error) {
	cc := NewCompiler(cat)
	sum := &Summary{}
	p := &Program{byType: map[string][]*CompiledRule{}}
	var universe []string
	if cc.lister != nil {
		universe = cc.lister.EventTypes()
	}
	for _, r := range rs.Rules {
		if r.Source != "" && r.Source != "syscall" {
			sum.Skipped = append(sum.Skipped, SkippedRule{Rule: r, Reason: fmt.Sprintf("event source %q is not recorded (only syscall events are)", r.Source)})
			continue
		}
		cond, err := cc.Compile(r.Expr)
		if !r.Enabled {
			// Disabled rules are still checked, as Falco does, so a typo
			// shows before someone enables the rule.
			if ce, ok := err.(*CompileError); ok && len(ce.Errors) > 0 && !(r.SkipIfUnknownFilter && onlyUnknown(ce)) {
				sum.Invalid++
				for _, e := range ce.Errors {
					sum.Errors = append(sum.Errors, withRule(e, r.Name, ""))
				}
				continue
			}
			sum.Disabled++
			continue
		}
		if err != nil {
			ce, ok := err.(*CompileError)
			switch {
			case !ok:
				sum.Invalid++
				sum.Errors = append(sum.Errors, rule.Errorf(r.At, "rule %q: %v", r.Name, err))
			case len(ce.Errors) == 0:
				sum.Skipped = append(sum.Skipped, SkippedRule{Rule: r, Reason: unavailableReason(ce.Unavailable), Unavailable: ce.Unavailable})
			case r.SkipIfUnknownFilter && onlyUnknown(ce):
				sum.Skipped = append(sum.Skipped, SkippedRule{Rule: r, Reason: "unknown field (skip-if-unknown-filter): " + ce.Errors[0].Msg, Unavailable: ce.Unavailable})
			default:
				sum.Invalid++
				for _, e := range ce.Errors {
					sum.Errors = append(sum.Errors, withRule(e, r.Name, ""))
				}
			}
			continue
		}
		out, warns, err := cc.CompileOutput(outputSource(r))
		if err != nil {
			if list, ok := err.(rule.ErrorList); ok && r.SkipIfUnknownFilter && allUnknownOutputFields(list) {
				sum.Skipped = append(sum.Skipped, SkippedRule{Rule: r, Reason: "unknown output field (skip-if-unknown-filter): " + list[0].Msg})
				continue
			}
			sum.Invalid++
			if list, ok := err.(rule.ErrorList); ok {
				for _, e := range list {
					sum.Errors = append(sum.Errors, withRule(e, r.Name, "output: "))
				}
			} else {
				sum.Errors = append(sum.Errors, rule.Errorf(r.At, "rule %q: output: %v", r.Name, err))
			}
			continue
		}
		for _, w := range warns {
			e := rule.Errorf(w.Pos, "rule %q: output field %s is not available (%s); it prints as <NA>", r.Name, w.Field, w.Reason)
			e.Severity = rule.SeverityWarning
			sum.Warnings = append(sum.Warnings, e)
		}
		if r.WarnEvtypes {
			// A co-finite set means "(almost) every type", whatever the size
			// of the universe: Falco's libs know far more than 100 types.
			if cond.Types.Except || cond.Types.Size(universe) > MaxEventTypes {
				e := rule.Errorf(r.At, "rule %q matches too many evt.type values; it is tested on every event", r.Name)
				e.Severity = rule.SeverityWarning
				sum.Warnings = append(sum.Warnings, e)
			} else if cond.Types.IsEmpty() {
				e := rule.Errorf(r.At, "rule %q matches no evt.type value; it can never fire", r.Name)
				e.Severity = rule.SeverityWarning
				sum.Warnings = append(sum.Warnings, e)
			}
		}
		if universe != nil && !cond.Types.Except {
			if missing := absentTypes(cond.Types, universe); len(missing) > 0 {
				e := rule.Errorf(r.At, "rule %q: evt.type %s never occurs in recordings", r.Name, strings.Join(missing, ", "))
				e.Severity = rule.SeverityWarning
				sum.Warnings = append(sum.Warnings, e)
			}
		}
		cr := &CompiledRule{Rule: r, Condition: cond, Output: out, Order: len(p.Rules)}
		p.Rules = append(p.Rules, cr)
		sum.Loaded++
	}
	p.index()
	if len(sum.Errors) > 0 {
		return p, sum, sum.Errors
	}
	return p, sum, nil
}

// absentTypes lists the members of s that universe lacks, sorted.
func absentTypes(s TypeSet, universe []string) []string {
	known := make(map[string]bool, len(universe))
	for _, u := range universe {
		known[u] = true
	}
	var out []string
	for _, n := range s.Sorted() {
		if !known[n] {
			out = append(out, n)
		}
	}
	return out
}

func allUnknownOutputFields(list rule.ErrorList) bool {
	for _, e := range list {
		if !strings.HasPrefix(e.Msg, "unknown field ") {
			return false
		}
	}
	return len(list) > 0
}

func onlyUnknown(ce *CompileError) bool {
	for _, e := range ce.Errors {
		if !strings.HasPrefix(e.Msg, "unknown field ") {
			return false
		}
	}
	return true
}

func unavailableReason(us []Unavailable) string {
	seen := map[string]bool{}
	var parts []string
	for _, u := range us {
		if seen[u.Field] {
			continue
		}
		seen[u.Field] = true
		parts = append(parts, u.Field+": "+u.Reason)
	}
	return "needs unavailable fields (" + strings.Join(parts, "; ") + ")"
}

func outputSource(r *rule.Rule) *rule.Source {
	if r.OutputSrc != nil {
		return r.OutputSrc
	}
	return rule.NewSource(nil, 0, r.Output)
}

// index builds the evt.type index: each named type gets the rules whose
// set includes it, in rule order; all other types get the rules with
// co-finite sets.
func (p *Program) index() {
	named := map[string]bool{}
	for _, r := range p.Rules {
		for n := range r.Condition.Types.Names {
			named[n] = true
		}
	}
	for n := range named {
		var list []*CompiledRule
		for _, r := range p.Rules {
			if r.Condition.Types.Has(n) {
				list = append(list, r)
			}
		}
		p.byType[n] = list
	}
	for _, r := range p.Rules {
		if r.Condition.Types.Except {
			p.otherTypes = append(p.otherTypes, r)
		}
	}
}

// Candidates returns the rules that can match an event of type evtType,
// in rule order. The slice must not be modified.
func (p *Program) Candidates(evtType string) []*CompiledRule {
	if list, ok := p.byType[evtType]; ok {
		return list
	}
	return p.otherTypes
}

// Eval tests ev (of type evtType) against the candidate rules and calls fn
// for each rule that matches, in rule order.
func (p *Program) Eval(evtType string, ev Event, fn func(*CompiledRule)) {
	for _, r := range p.Candidates(evtType) {
		if r.Condition.match(ev) {
			fn(r)
		}
	}
}
