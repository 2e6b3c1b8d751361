package cond

import (
	"fmt"
	"sort"

	"github.com/rewind-sh/rewind/analyze/rule"
)

// Unavailable records a field a condition needs that recordings cannot
// provide.
type Unavailable struct {
	Field  string
	Reason string
	Pos    rule.Pos
}

// Condition is a compiled condition. It is immutable and safe for
// concurrent use when the catalog's extractors are.
type Condition struct {
	match func(Event) bool
	// Types is the set of evt.type values the condition can match.
	Types TypeSet
	// Fields lists the fields the condition reads, as written.
	Fields []string
}

// Match evaluates the condition on ev.
func (c *Condition) Match(ev Event) bool { return c.match(ev) }

// CompileError is returned when a condition cannot be compiled. Errors
// holds positioned problems; Unavailable the fields recordings lack (the
// rule is then to be skipped rather than rejected); UnknownField is set
// when one error is an unknown field name.
type CompileError struct {
	Errors       rule.ErrorList
	Unavailable  []Unavailable
	UnknownField bool
}

func (e *CompileError) Error() string {
	if len(e.Errors) > 0 {
		return e.Errors.Error()
	}
	if len(e.Unavailable) > 0 {
		u := e.Unavailable[0]
		return fmt.Sprintf("%s: field %s is not available: %s", u.Pos.Position(), u.Field, u.Reason)
	}
	return "invalid condition"
}

// Compiler compiles conditions against one catalog. It caches compiled
// macros, which rules share. It is not safe for concurrent use.
type Compiler struct {
	cat    Catalog
	macros map[rule.Expr]*macroResult
	lister EventTypeLister
	// memoSlots numbers the memoized macros of this compiler (see Memo).
	memoSlots int
}

type macroResult struct {
	pred        func(Event) bool
	errs        rule.ErrorList
	unavailable []Unavailable
	unknown     bool
	fields      []string
}

// NewCompiler returns a compiler for cat.
func NewCompiler(cat Catalog) *Compiler {
	c := &Compiler{cat: cat, macros: map[rule.Expr]*macroResult{}}
	c.lister, _ = cat.(EventTypeLister)
	return c
}

// Compile checks and compiles a parsed condition (macros resolved). On
// failure it returns a *CompileError.
func (cc *Compiler) Compile(e rule.Expr) (*Condition, error) {
	c := cc.newUnit()
	p := c.expr(e)
	if len(c.errs) > 0 || len(c.unavailable) > 0 {
		return nil, &CompileError{Errors: c.errs, Unavailable: c.unavailable, UnknownField: c.unknownField}
	}
	fields := make([]string, 0, len(c.fields))
	for f := range c.fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	return &Condition{match: p, Types: InferTypes(e), Fields: fields}, nil
}

// compiler is the state of one Compile call.
type compiler struct {
	*Compiler
	errs         rule.ErrorList
	unavailable  []Unavailable
	unknownField bool
	fields       map[string]bool
}

func (cc *Compiler) newUnit() *compiler {
	return &compiler{Compiler: cc, fields: map[string]bool{}}
}

func (c *compiler) errorf(p rule.Pos, format string, args ...any) {
	if len(c.errs) < rule.MaxErrors {
		c.errs = append(c.errs, rule.Errorf(p, format, args...))
	}
}

func never(Event) bool { return false }

func (c *compiler) expr(e rule.Expr) func(Event) bool {
	switch e := e.(type) {
	case *rule.AndExpr:
		return andOf(c.exprs(e.Children))
	case *rule.OrExpr:
		return orOf(c.exprs(e.Children))
	case *rule.NotExpr:
		x := c.expr(e.X)
		return func(ev Event) bool { return !x(ev) }
	case *rule.MacroRef:
		if e.Resolved == nil {
			c.errorf(e.At, "undefined macro %q", e.Name)
			return never
		}
		return c.macro(e.Resolved)
	case *rule.Check:
		if p := c.check(e); p != nil {
			return p
		}
		return never
	}
	return never
}

// macro compiles a macro body once and shares the closure between rules.
func (c *compiler) macro(e rule.Expr) func(Event) bool {
	r, ok := c.macros[e]
	if !ok {
		sub := c.newUnit()
		pred := sub.expr(e)
		if _, single := e.(*rule.Check); !single {
			// A lone check costs about what the memo does.
			pred = memoized(c.Compiler, c.memoSlots, pred)
			c.memoSlots++
		}
		r = &macroResult{pred: pred, errs: sub.errs, unavailable: sub.unavailable, unknown: sub.unknownField}
		for f := range sub.fields {
			r.fields = append(r.fields, f)
		}
		c.macros[e] = r
	}
	c.errs = append(c.errs, r.errs...)
	c.unavailable = append(c.unavailable, r.unavailable...)
	c.unknownField = c.unknownField || r.unknown
	for _, f := range r.fields {
		c.fields[f] = true
	}
	return r.pred
}

func (c *compiler) exprs(list []rule.Expr) []func(Event) bool {
	out := make([]func(Event) bool, len(list))
	for i, e := range list {
		out[i] = c.expr(e)
	}
	return out
}

func andOf(ps []func(Event) bool) func(Event) bool {
	switch len(ps) {
	case 1:
		return ps[0]
	case 2:
		a, b := ps[0], ps[1]
		return func(ev Event) bool { return a(ev) && b(ev) }
	case 3:
		a, b, d := ps[0], ps[1], ps[2]
		return func(ev Event) bool { return a(ev) && b(ev) && d(ev) }
	}
	return func(ev Event) bool {
		for _, p := range ps {
			if !p(ev) {
				return false
			}
		}
		return true
	}
}

func orOf(ps []func(Event) bool) func(Event) bool {
	switch len(ps) {
	case 1:
		return ps[0]
	case 2:
		a, b := ps[0], ps[1]
		return func(ev Event) bool { return a(ev) || b(ev) }
	case 3:
		a, b, d := ps[0], ps[1], ps[2]
		return func(ev Event) bool { return a(ev) || b(ev) || d(ev) }
	}
	return func(ev Event) bool {
		for _, p := range ps {
			if p(ev) {
				return true
			}
		}
		return false
	}
}
