package cond

import (
	"sort"

	"github.com/rewind-sh/rewind/analyze/rule"
)

// TypeSet is a set of evt.type names, either finite (Names) or
// co-finite (every type except Names, when Except is true). The zero
// value is the empty set.
type TypeSet struct {
	Except bool
	Names  map[string]struct{}
}

// AllTypes is the set of every event type.
func AllTypes() TypeSet { return TypeSet{Except: true} }

// TypesOf is the finite set of the given names.
func TypesOf(names ...string) TypeSet {
	s := TypeSet{Names: map[string]struct{}{}}
	for _, n := range names {
		s.Names[n] = struct{}{}
	}
	return s
}

// Has reports whether name is in the set.
func (s TypeSet) Has(name string) bool {
	_, in := s.Names[name]
	return in != s.Except
}

// IsAll reports whether the set holds every type.
func (s TypeSet) IsAll() bool { return s.Except && len(s.Names) == 0 }

// IsEmpty reports whether the set can match nothing.
func (s TypeSet) IsEmpty() bool { return !s.Except && len(s.Names) == 0 }

// Sorted lists Names in order (the members, or the excluded types).
func (s TypeSet) Sorted() []string {
	out := make([]string, 0, len(s.Names))
	for n := range s.Names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Size is the number of members among universe (all names a recording can
// have); for a co-finite set without a universe it is -1.
func (s TypeSet) Size(universe []string) int {
	if !s.Except {
		return len(s.Names)
	}
	if universe == nil {
		return -1
	}
	n := 0
	for _, u := range universe {
		if s.Has(u) {
			n++
		}
	}
	return n
}

func (s TypeSet) complement() TypeSet { return TypeSet{Except: !s.Except, Names: s.Names} }

func union(a, b TypeSet) TypeSet {
	switch {
	case !a.Except && !b.Except: // A ∪ B
		return TypesOf(append(keys(a.Names), keys(b.Names)...)...)
	case a.Except && b.Except: // ¬A ∪ ¬B = ¬(A ∩ B)
		return intersectNames(a.Names, b.Names, true)
	case a.Except: // ¬A ∪ B = ¬(A \ B)
		return minusNames(a.Names, b.Names, true)
	default:
		return minusNames(b.Names, a.Names, true)
	}
}

func intersect(a, b TypeSet) TypeSet {
	return union(a.complement(), b.complement()).complement()
}

func keys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func intersectNames(a, b map[string]struct{}, except bool) TypeSet {
	s := TypeSet{Except: except, Names: map[string]struct{}{}}
	for k := range a {
		if _, ok := b[k]; ok {
			s.Names[k] = struct{}{}
		}
	}
	return s
}

func minusNames(a, b map[string]struct{}, except bool) TypeSet {
	s := TypeSet{Except: except, Names: map[string]struct{}{}}
	for k := range a {
		if _, ok := b[k]; !ok {
			s.Names[k] = struct{}{}
		}
	}
	return s
}

// InferTypes computes the evt.type values a condition can match, as Falco
// does: "and" intersects, "or" unites, "not" is pushed to the checks with
// De Morgan's laws, and only =, == , != and in on evt.type restrict the set
// (evt.num=0, upstream's never_true, matches nothing). Every other check
// may hold for any type.
func InferTypes(e rule.Expr) TypeSet {
	in := inferrer{memo: map[memoKey]TypeSet{}}
	return in.infer(e, false)
}

// inferrer memoizes macros: a macro used twice by the macro after it, and
// so on, would otherwise cost time exponential in the chain length.
type inferrer struct {
	memo map[memoKey]TypeSet
}

type memoKey struct {
	e       rule.Expr
	negated bool
}

func (in *inferrer) infer(e rule.Expr, negated bool) TypeSet {
	switch e := e.(type) {
	case *rule.AndExpr:
		return in.fold(e.Children, negated, !negated)
	case *rule.OrExpr:
		return in.fold(e.Children, negated, negated)
	case *rule.NotExpr:
		return in.infer(e.X, !negated)
	case *rule.MacroRef:
		if e.Resolved == nil {
			return AllTypes()
		}
		k := memoKey{e.Resolved, negated}
		if s, ok := in.memo[k]; ok {
			return s
		}
		s := in.infer(e.Resolved, negated)
		in.memo[k] = s
		return s
	case *rule.Check:
		s, restricts := checkTypes(e)
		if !restricts {
			return AllTypes()
		}
		if negated {
			return s.complement()
		}
		return s
	}
	return AllTypes()
}

// fold combines children with intersection (and) or union (or).
func (in *inferrer) fold(children []rule.Expr, negated, intersection bool) TypeSet {
	var acc TypeSet
	for i, c := range children {
		s := in.infer(c, negated)
		switch {
		case i == 0:
			acc = s
		case intersection:
			acc = intersect(acc, s)
		default:
			acc = union(acc, s)
		}
	}
	return acc
}

// checkTypes is the set a single check restricts to, and whether it
// restricts at all (a check that does not may hold for any type, and so
// may its negation).
func checkTypes(c *rule.Check) (TypeSet, bool) {
	f, ok := c.Left.(*rule.FieldRef)
	if !ok || f.HasArg {
		return TypeSet{}, false
	}
	switch f.Name {
	case "evt.type":
		if c.Op == "exists" { // every event has a type, so "not evt.type exists" has none
			return AllTypes(), true
		}
		var names []string
		switch v := c.Right.(type) {
		case *rule.StringValue:
			names = []string{v.Text}
		case *rule.ListValue:
			for _, it := range v.Items {
				names = append(names, it.Text)
			}
		default:
			return TypeSet{}, false
		}
		switch c.Op {
		case "=", "==", "in":
			return TypesOf(names...), true
		case "!=":
			return TypesOf(names...).complement(), true
		}
	case "evt.num":
		if v, ok := c.Right.(*rule.StringValue); ok && (c.Op == "=" || c.Op == "==") && v.Text == "0" {
			return TypesOf(), true
		}
	}
	return TypeSet{}, false
}
