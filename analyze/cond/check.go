package cond

import (
	"bytes"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/rewind-sh/rewind/analyze/rule"
)

// literal is one right-hand-side value as written.
type literal struct {
	text string
	pos  rule.Pos
}

var listOps = map[string]bool{"in": true, "intersects": true, "pmatch": true}

// check compiles one check; nil after an error.
func (c *compiler) check(ch *rule.Check) func(Event) bool {
	left := c.compileOperand(ch.Left)
	if left == nil {
		return nil
	}
	op := ch.Op
	if op == "==" {
		op = "="
	}
	if op == "exists" {
		return presence(left)
	}
	switch rv := ch.Right.(type) {
	case *rule.FieldValue:
		if rhs := c.compileField(rv.Field); rhs != nil {
			if rhs.spec.NoRHS {
				c.errorf(rv.At, "field %s cannot be used inside val()", rhs.text)
				return nil
			}
			return c.fieldCompare(ch, op, left, rhs)
		}
		return nil
	case *rule.TransformValue:
		if rhs := c.compileTransform(rv.Transform); rhs != nil {
			return c.fieldCompare(ch, op, left, rhs)
		}
		return nil
	}
	var lits []literal
	switch rv := ch.Right.(type) {
	case *rule.StringValue:
		lits = []literal{{rv.Text, rv.At}}
	case *rule.NumberValue:
		lits = []literal{{rv.Text, rv.At}}
	case *rule.ListValue:
		for _, it := range rv.Items {
			lits = append(lits, literal{it.Text, it.At})
		}
	}
	if familyOf(left.spec.Type) != famBytes {
		for _, l := range lits {
			if strings.IndexByte(l.text, 0) >= 0 {
				c.errorf(l.pos, "value contains a NUL byte, which only byte-buffer fields accept")
				return nil
			}
		}
	}
	if left.spec.IsList && !left.spec.AnyElement && op != "in" && op != "intersects" {
		c.errorf(ch.OpPos, "operator %s cannot be used on list field %s (use in or intersects)", ch.Op, left.text)
		return nil
	}
	every := op == "in" // libs: on a list field, in needs every value in the set
	if ch.Modifier != "" {
		return c.modifierPred(ch, op, left, lits)
	}
	switch familyOf(left.spec.Type) {
	case famString:
		return c.stringCheck(ch, op, left, lits, every)
	case famInt:
		return numCheck(c, ch, op, left, lits, every, parseInt64, left.ex.Int64, left.ex.Int64At)
	case famUint:
		parse := parseUint64
		if left.spec.Type == TypePort {
			parse = parsePort
		}
		return numCheck(c, ch, op, left, lits, every, parse, left.ex.Uint64, left.ex.Uint64At)
	case famBool:
		return c.boolCheck(ch, op, left, lits)
	case famAddr:
		return c.addrCheck(ch, op, left, lits, every)
	case famBytes:
		return c.bytesCheck(ch, op, left, lits)
	}
	c.errorf(ch.At, "field %s has an unsupported type %s", left.text, left.spec.Type)
	return nil
}

func (c *compiler) badOp(ch *rule.Check, left *operand) func(Event) bool {
	c.errorf(ch.OpPos, "operator %s cannot be used on %s field %s", ch.Op, left.spec.Type, left.text)
	return nil
}

// stringValuePred builds the value test of op against one literal. It
// returns nil after recording an error.
func (c *compiler) stringValuePred(ch *rule.Check, op string, lit literal) func(string) bool {
	v := lit.text
	switch op {
	case "=":
		return func(s string) bool { return s == v }
	case "!=":
		return func(s string) bool { return s != v }
	case "<":
		return func(s string) bool { return s < v }
	case "<=":
		return func(s string) bool { return s <= v }
	case ">":
		return func(s string) bool { return s > v }
	case ">=":
		return func(s string) bool { return s >= v }
	case "contains":
		return func(s string) bool { return strings.Contains(s, v) }
	case "icontains":
		lv := lowerASCII(v)
		return func(s string) bool { return containsFoldASCII(s, lv) }
	case "startswith":
		return func(s string) bool { return strings.HasPrefix(s, v) }
	case "endswith":
		return func(s string) bool { return strings.HasSuffix(s, v) }
	case "bcontains", "bstartswith":
		b, err := parseHexBytes(v)
		if err != nil {
			c.errorf(lit.pos, "%s: %v", op, err)
			return nil
		}
		bs := string(b)
		if op == "bcontains" {
			return func(s string) bool { return strings.Contains(s, bs) }
		}
		return func(s string) bool { return strings.HasPrefix(s, bs) }
	case "glob", "iglob":
		g := newGlob(v, op == "iglob")
		return g.match
	case "regex":
		re, err := compileAnchoredRegex(v)
		if err != nil {
			c.errorf(lit.pos, "invalid regex: %v", err)
			return nil
		}
		return re.MatchString
	}
	c.errorf(ch.OpPos, "operator %s cannot be used on string values", ch.Op)
	return nil
}

// compileAnchoredRegex compiles a POSIX-syntax regex that must match the
// whole value.
func compileAnchoredRegex(expr string) (*regexp.Regexp, error) {
	parsed, err := syntax.Parse(expr, syntax.POSIX)
	if err != nil {
		return nil, err
	}
	return regexp.Compile(`\A(?:` + parsed.String() + `)\z`)
}

func (c *compiler) stringCheck(ch *rule.Check, op string, left *operand, lits []literal, every bool) func(Event) bool {
	get, at := left.ex.String, left.ex.StringAt
	var p func(string) bool
	switch op {
	case "in", "intersects":
		items := make([]string, len(lits))
		for i, l := range lits {
			items[i] = l.text
		}
		set := newStrSet(items)
		if !left.spec.IsList {
			return func(ev Event) bool { s, ok := get(ev); return ok && set.has(s) }
		}
		p = set.has
	case "pmatch":
		items := make([]string, len(lits))
		for i, l := range lits {
			items[i] = l.text
		}
		p = newPathMatcher(items).match
	default:
		if len(lits) != 1 {
			c.errorf(ch.OpPos, "operator %s takes one value", ch.Op)
			return nil
		}
		if !left.spec.IsList { // the common cases without a second call
			v := lits[0].text
			switch op {
			case "=":
				return func(ev Event) bool { s, ok := get(ev); return ok && s == v }
			case "!=":
				return func(ev Event) bool { s, ok := get(ev); return ok && s != v }
			case "contains":
				return func(ev Event) bool { s, ok := get(ev); return ok && strings.Contains(s, v) }
			case "startswith":
				return func(ev Event) bool { s, ok := get(ev); return ok && strings.HasPrefix(s, v) }
			case "endswith":
				return func(ev Event) bool { s, ok := get(ev); return ok && strings.HasSuffix(s, v) }
			}
		}
		if p = c.stringValuePred(ch, op, lits[0]); p == nil {
			return nil
		}
	}
	return lift(left, get, at, every, p)
}

type number interface{ ~int64 | ~uint64 }

func numValuePred[T number](op string, v T) func(T) bool {
	switch op {
	case "=":
		return func(x T) bool { return x == v }
	case "!=":
		return func(x T) bool { return x != v }
	case "<":
		return func(x T) bool { return x < v }
	case "<=":
		return func(x T) bool { return x <= v }
	case ">":
		return func(x T) bool { return x > v }
	case ">=":
		return func(x T) bool { return x >= v }
	}
	return nil
}

func numCheck[T number](c *compiler, ch *rule.Check, op string, left *operand, lits []literal, every bool,
	parse func(string) (T, error), get func(Event) (T, bool), at func(Event, int) (T, bool)) func(Event) bool {
	switch op {
	case "in", "intersects", "=", "!=", "<", "<=", ">", ">=":
	default:
		return c.badOp(ch, left)
	}
	vals := make([]T, 0, len(lits))
	for _, l := range lits {
		v, err := parse(l.text)
		if err != nil {
			c.errorf(l.pos, "value for %s field %s: %v", left.spec.Type, left.text, err)
			return nil
		}
		vals = append(vals, v)
	}
	var p func(T) bool
	switch op {
	case "in", "intersects":
		set := make(map[T]struct{}, len(vals))
		for _, v := range vals {
			set[v] = struct{}{}
		}
		if len(vals) == 1 {
			v := vals[0]
			p = func(x T) bool { return x == v }
		} else {
			p = func(x T) bool { _, ok := set[x]; return ok }
		}
	case "=", "!=", "<", "<=", ">", ">=":
		if len(vals) != 1 {
			c.errorf(ch.OpPos, "operator %s takes one value", ch.Op)
			return nil
		}
		v := vals[0]
		if !left.spec.IsList {
			switch op {
			case "=":
				return func(ev Event) bool { x, ok := get(ev); return ok && x == v }
			case "!=":
				return func(ev Event) bool { x, ok := get(ev); return ok && x != v }
			case ">=":
				return func(ev Event) bool { x, ok := get(ev); return ok && x >= v }
			case "<=":
				return func(ev Event) bool { x, ok := get(ev); return ok && x <= v }
			}
		}
		p = numValuePred(op, v)
	default:
		return c.badOp(ch, left)
	}
	return lift(left, get, at, every, p)
}

func (c *compiler) boolCheck(ch *rule.Check, op string, left *operand, lits []literal) func(Event) bool {
	switch op {
	case "=", "!=", "in", "intersects":
	default:
		return c.badOp(ch, left)
	}
	vals := make([]bool, 0, len(lits))
	for _, l := range lits {
		v, err := parseBool(l.text)
		if err != nil {
			c.errorf(l.pos, "value for bool field %s: %v", left.text, err)
			return nil
		}
		vals = append(vals, v)
	}
	get := left.ex.Bool
	switch op {
	case "=", "!=":
		if len(vals) != 1 {
			c.errorf(ch.OpPos, "operator %s takes one value", ch.Op)
			return nil
		}
		want := vals[0] == (op == "=")
		return func(ev Event) bool { b, ok := get(ev); return ok && b == want }
	case "in", "intersects":
		var t, f bool
		for _, v := range vals {
			t, f = t || v, f || !v
		}
		return func(ev Event) bool { b, ok := get(ev); return ok && (b && t || !b && f) }
	}
	return c.badOp(ch, left)
}

func (c *compiler) addrCheck(ch *rule.Check, op string, left *operand, lits []literal, every bool) func(Event) bool {
	switch op {
	case "=", "!=", "in", "intersects":
	default:
		return c.badOp(ch, left)
	}
	ms := make([]addrMatcher, 0, len(lits))
	for _, l := range lits {
		m, err := parseAddrLiteral(l.text)
		if err != nil {
			c.errorf(l.pos, "value for %s field %s: %v", left.spec.Type, left.text, err)
			return nil
		}
		ms = append(ms, m)
	}
	var p func(netip.Addr) bool
	switch op {
	case "=", "!=":
		if len(ms) != 1 {
			c.errorf(ch.OpPos, "operator %s takes one value", ch.Op)
			return nil
		}
		m := ms[0]
		if op == "=" {
			p = m.contains
		} else {
			p = func(a netip.Addr) bool { return !m.contains(a) }
		}
	case "in", "intersects":
		p = newAddrSet(ms).has
	default:
		return c.badOp(ch, left)
	}
	return lift(left, left.ex.Addr, left.ex.AddrAt, every, p)
}

func (c *compiler) bytesCheck(ch *rule.Check, op string, left *operand, lits []literal) func(Event) bool {
	if len(lits) != 1 || listOps[op] {
		return c.badOp(ch, left)
	}
	v := []byte(lits[0].text)
	if op == "bcontains" || op == "bstartswith" {
		b, err := parseHexBytes(lits[0].text)
		if err != nil {
			c.errorf(lits[0].pos, "%s: %v", op, err)
			return nil
		}
		v = b
	}
	var p func([]byte) bool
	switch op {
	case "=":
		p = func(b []byte) bool { return bytes.Equal(b, v) }
	case "!=":
		p = func(b []byte) bool { return !bytes.Equal(b, v) }
	case "contains", "bcontains":
		p = func(b []byte) bool { return bytes.Contains(b, v) }
	case "startswith", "bstartswith":
		p = func(b []byte) bool { return bytes.HasPrefix(b, v) }
	case "endswith":
		p = func(b []byte) bool { return bytes.HasSuffix(b, v) }
	default:
		return c.badOp(ch, left)
	}
	return scalarPred(left.ex.Bytes, p)
}
