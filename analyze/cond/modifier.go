package cond

import (
	"net/netip"
	"strings"

	"github.com/rewind-sh/rewind/analyze/rule"
)

// combine joins per-value tests under a modifier: anyof (at least one
// holds), allof (all hold) or oneof (exactly one holds).
func combine[T any](mod string, ps []func(T) bool) func(T) bool {
	switch mod {
	case "anyof":
		return func(v T) bool {
			for _, p := range ps {
				if p(v) {
					return true
				}
			}
			return false
		}
	case "allof":
		return func(v T) bool {
			for _, p := range ps {
				if !p(v) {
					return false
				}
			}
			return true
		}
	}
	return func(v T) bool {
		n := 0
		for _, p := range ps {
			if p(v) {
				n++
				if n > 1 {
					return false
				}
			}
		}
		return n == 1
	}
}

// modifierPred compiles "<op> oneof|anyof|allof (values)".
func (c *compiler) modifierPred(ch *rule.Check, op string, left *operand, lits []literal) func(Event) bool {
	switch familyOf(left.spec.Type) {
	case famString:
		if op == "=" && ch.Modifier == "anyof" {
			return c.stringCheck(ch, "in", left, lits, false)
		}
		ps := make([]func(string) bool, 0, len(lits))
		for _, l := range lits {
			p := c.stringValuePred(ch, op, l)
			if p == nil {
				return nil
			}
			ps = append(ps, p)
		}
		return lift(left, left.ex.String, left.ex.StringAt, false, combine(ch.Modifier, ps))
	case famInt:
		return modNum(c, ch, op, left, lits, parseInt64, left.ex.Int64, left.ex.Int64At)
	case famUint:
		parse := parseUint64
		if left.spec.Type == TypePort {
			parse = parsePort
		}
		return modNum(c, ch, op, left, lits, parse, left.ex.Uint64, left.ex.Uint64At)
	}
	c.errorf(ch.OpPos, "modifier %s cannot be used on %s field %s", ch.Modifier, left.spec.Type, left.text)
	return nil
}

func modNum[T number](c *compiler, ch *rule.Check, op string, left *operand, lits []literal,
	parse func(string) (T, error), get func(Event) (T, bool), at func(Event, int) (T, bool)) func(Event) bool {
	ps := make([]func(T) bool, 0, len(lits))
	for _, l := range lits {
		v, err := parse(l.text)
		if err != nil {
			c.errorf(l.pos, "value for %s field %s: %v", left.spec.Type, left.text, err)
			return nil
		}
		p := numValuePred(op, v)
		if p == nil {
			return c.badOp(ch, left)
		}
		ps = append(ps, p)
	}
	return lift(left, get, at, false, combine(ch.Modifier, ps))
}

// fieldCompare compiles a check whose right side is another field or a
// transformer (val(...)). Both sides must have a value for it to hold.
func (c *compiler) fieldCompare(ch *rule.Check, op string, left, right *operand) func(Event) bool {
	lf, rf := familyOf(left.spec.Type), familyOf(right.spec.Type)
	if lf != rf {
		c.errorf(ch.At, "cannot compare %s field %s with %s value %s", left.spec.Type, left.text, right.spec.Type, right.text)
		return nil
	}
	if left.spec.IsList || right.spec.IsList {
		c.errorf(ch.At, "list fields cannot be compared with val() or transformers (%s %s %s)", left.text, ch.Op, right.text)
		return nil
	}
	if ch.Modifier != "" {
		c.errorf(ch.OpPos, "modifier %s needs a list of values", ch.Modifier)
		return nil
	}
	if op == "in" || op == "intersects" {
		op = "="
	}
	switch lf {
	case famString:
		var cmp func(a, b string) bool
		switch op {
		case "=":
			cmp = func(a, b string) bool { return a == b }
		case "!=":
			cmp = func(a, b string) bool { return a != b }
		case "<":
			cmp = func(a, b string) bool { return a < b }
		case "<=":
			cmp = func(a, b string) bool { return a <= b }
		case ">":
			cmp = func(a, b string) bool { return a > b }
		case ">=":
			cmp = func(a, b string) bool { return a >= b }
		case "contains":
			cmp = strings.Contains
		case "icontains":
			cmp = func(a, b string) bool { return containsFoldASCII(a, lowerASCII(b)) }
		case "startswith":
			cmp = strings.HasPrefix
		case "endswith":
			cmp = strings.HasSuffix
		default:
			c.errorf(ch.OpPos, "operator %s needs a constant value, not %s", ch.Op, right.text)
			return nil
		}
		return pair(left.ex.String, right.ex.String, cmp)
	case famInt:
		if cmp := numPair[int64](op); cmp != nil {
			return pair(left.ex.Int64, right.ex.Int64, cmp)
		}
	case famUint:
		if cmp := numPair[uint64](op); cmp != nil {
			return pair(left.ex.Uint64, right.ex.Uint64, cmp)
		}
	case famBool:
		switch op {
		case "=":
			return pair(left.ex.Bool, right.ex.Bool, func(a, b bool) bool { return a == b })
		case "!=":
			return pair(left.ex.Bool, right.ex.Bool, func(a, b bool) bool { return a != b })
		}
	case famAddr:
		switch op {
		case "=":
			return pair(left.ex.Addr, right.ex.Addr, func(a, b netip.Addr) bool { return a.Unmap() == b.Unmap() })
		case "!=":
			return pair(left.ex.Addr, right.ex.Addr, func(a, b netip.Addr) bool { return a.Unmap() != b.Unmap() })
		}
	case famBytes:
		switch op {
		case "=":
			return pair(left.ex.Bytes, right.ex.Bytes, func(a, b []byte) bool { return string(a) == string(b) })
		case "!=":
			return pair(left.ex.Bytes, right.ex.Bytes, func(a, b []byte) bool { return string(a) != string(b) })
		}
	}
	return c.badOp(ch, left)
}

func numPair[T number](op string) func(a, b T) bool {
	switch op {
	case "=":
		return func(a, b T) bool { return a == b }
	case "!=":
		return func(a, b T) bool { return a != b }
	case "<":
		return func(a, b T) bool { return a < b }
	case "<=":
		return func(a, b T) bool { return a <= b }
	case ">":
		return func(a, b T) bool { return a > b }
	case ">=":
		return func(a, b T) bool { return a >= b }
	}
	return nil
}

func pair[T any](l, r func(Event) (T, bool), cmp func(a, b T) bool) func(Event) bool {
	return func(ev Event) bool {
		a, ok := l(ev)
		if !ok {
			return false
		}
		b, ok := r(ev)
		return ok && cmp(a, b)
	}
}
