package cond

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/rewind-sh/rewind/analyze/rule"
)

// compileTransform compiles tolower(), toupper(), b64(), basename(),
// len(), join(), concat() and getopt() into an operand with its own
// extractor.
func (c *compiler) compileTransform(t *rule.Transform) *operand {
	switch t.Name {
	case "tolower", "toupper", "b64", "basename", "len":
		if len(t.Args) != 1 || t.HasArg {
			c.errorf(t.At, "%s() takes exactly one field or transformer", t.Name)
			return nil
		}
		in := c.transformArg(t, t.Args[0])
		if in == nil {
			return nil
		}
		return c.unaryTransform(t, in)
	case "join", "concat":
		return c.joinTransform(t)
	case "getopt":
		return c.getoptTransform(t)
	}
	c.errorf(t.At, "transformer %s() is not supported", t.Name)
	return nil
}

// transformArg compiles a field or nested transformer argument.
func (c *compiler) transformArg(t *rule.Transform, v rule.Value) *operand {
	switch v := v.(type) {
	case *rule.FieldArgValue:
		op := c.compileField(v.Field)
		if op != nil && op.spec.NoTransformer {
			c.errorf(v.At, "field %s cannot be used in a transformer", op.text)
			return nil
		}
		return op
	case *rule.TransformValue:
		return c.compileTransform(v.Transform)
	}
	c.errorf(v.Pos(), "%s() expects a field or a transformer here, not %s", t.Name, v.String())
	return nil
}

func (c *compiler) unaryTransform(t *rule.Transform, in *operand) *operand {
	out := &operand{text: t.String(), pos: t.At}
	out.spec = FieldSpec{Name: out.text, Type: TypeString, IsList: in.spec.IsList, AnyElement: in.spec.AnyElement}
	var f func(string) (string, bool)
	switch t.Name {
	case "tolower":
		f = func(s string) (string, bool) { return lowerASCII(s), true } // bytewise, as libs (C locale)
	case "toupper":
		f = func(s string) (string, bool) { return upperASCII(s), true }
	case "basename":
		f = func(s string) (string, bool) {
			if i := strings.LastIndexByte(s, '/'); i >= 0 {
				return s[i+1:], true
			}
			return s, true
		}
	case "b64":
		f = decodeBase64
		if familyOf(in.spec.Type) == famBytes && !in.spec.IsList {
			get := in.ex.Bytes
			out.ex.String = func(ev Event) (string, bool) {
				b, ok := get(ev)
				if !ok {
					return "", false
				}
				return decodeBase64(string(b))
			}
			return out
		}
	case "len":
		out.spec = FieldSpec{Name: out.text, Type: TypeUint64}
		return c.lenTransform(t, in, out)
	}
	if familyOf(in.spec.Type) != famString {
		c.errorf(t.At, "%s() needs a string field, not %s field %s", t.Name, in.spec.Type, in.text)
		return nil
	}
	if in.spec.IsList {
		at := in.ex.StringAt
		out.ex.StringAt = func(ev Event, i int) (string, bool) {
			s, ok := at(ev, i)
			if !ok {
				return "", false
			}
			return f(s)
		}
		return out
	}
	get := in.ex.String
	out.ex.String = func(ev Event) (string, bool) {
		s, ok := get(ev)
		if !ok {
			return "", false
		}
		return f(s)
	}
	return out
}

func decodeBase64(s string) (string, bool) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return string(b), true
	}
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return string(b), true
	}
	return "", false
}

func (c *compiler) lenTransform(t *rule.Transform, in *operand, out *operand) *operand {
	if in.spec.IsList {
		count := listCounter(in)
		if count == nil {
			c.errorf(t.At, "len() cannot count %s field %s", in.spec.Type, in.text)
			return nil
		}
		out.ex.Uint64 = count
		return out
	}
	switch familyOf(in.spec.Type) {
	case famString:
		get := in.ex.String
		out.ex.Uint64 = func(ev Event) (uint64, bool) { s, ok := get(ev); return uint64(len(s)), ok }
	case famBytes:
		get := in.ex.Bytes
		out.ex.Uint64 = func(ev Event) (uint64, bool) { b, ok := get(ev); return uint64(len(b)), ok }
	default:
		c.errorf(t.At, "len() needs a string, bytes or list field, not %s field %s", in.spec.Type, in.text)
		return nil
	}
	return out
}

// listCounter counts the values of a list operand.
func listCounter(in *operand) func(Event) (uint64, bool) {
	var has func(Event, int) bool
	switch familyOf(in.spec.Type) {
	case famString:
		at := in.ex.StringAt
		has = func(ev Event, i int) bool { _, ok := at(ev, i); return ok }
	case famInt:
		at := in.ex.Int64At
		has = func(ev Event, i int) bool { _, ok := at(ev, i); return ok }
	case famUint:
		at := in.ex.Uint64At
		has = func(ev Event, i int) bool { _, ok := at(ev, i); return ok }
	case famAddr:
		at := in.ex.AddrAt
		has = func(ev Event, i int) bool { _, ok := at(ev, i); return ok }
	default:
		return nil
	}
	return func(ev Event) (uint64, bool) {
		n := 0
		for has(ev, n) {
			n++
		}
		return uint64(n), true
	}
}

// joinTransform compiles join(sep, a, b, ...) and concat(a, b, ...): the
// text of each argument (a list contributes all its values) joined by sep
// (nothing for concat). A missing field makes the result missing.
func (c *compiler) joinTransform(t *rule.Transform) *operand {
	args := t.Args
	sep := ""
	if t.Name == "join" {
		if len(args) < 2 {
			c.errorf(t.At, "join() needs a separator and at least one value")
			return nil
		}
		s, ok := args[0].(*rule.StringValue)
		if !ok {
			c.errorf(args[0].Pos(), "the first argument of join() must be a quoted separator")
			return nil
		}
		sep, args = s.Text, args[1:]
	}
	if len(args) == 0 || t.HasArg {
		c.errorf(t.At, "%s() needs at least one value and takes no [argument]", t.Name)
		return nil
	}
	// A transformer list contributes its items as if written inline.
	var flat []rule.Value
	for _, a := range args {
		if tl, ok := a.(*rule.TransformList); ok {
			flat = append(flat, tl.Items...)
			continue
		}
		flat = append(flat, a)
	}
	parts := make([]func(Event, *strings.Builder, bool) bool, 0, len(flat))
	for _, a := range flat {
		switch a := a.(type) {
		case *rule.StringValue:
			s := a.Text
			parts = append(parts, constPart(s, sep))
		case *rule.NumberValue:
			parts = append(parts, constPart(a.Text, sep))
		default:
			op := c.transformArg(t, a)
			if op == nil {
				return nil
			}
			r := renderer(op, " ")
			if op.spec.IsList {
				r = renderer(op, sep)
			}
			parts = append(parts, func(ev Event, b *strings.Builder, first bool) bool {
				s, ok := r(ev)
				if !ok {
					return false
				}
				if !first {
					b.WriteString(sep)
				}
				b.WriteString(s)
				return true
			})
		}
	}
	out := &operand{text: t.String(), pos: t.At, spec: FieldSpec{Name: t.String(), Type: TypeString}}
	out.ex.String = func(ev Event) (string, bool) {
		var b strings.Builder
		for i, p := range parts {
			if !p(ev, &b, i == 0) {
				return "", false
			}
		}
		return b.String(), true
	}
	return out
}

func constPart(s, sep string) func(Event, *strings.Builder, bool) bool {
	return func(_ Event, b *strings.Builder, first bool) bool {
		if !first {
			b.WriteString(sep)
		}
		b.WriteString(s)
		return true
	}
}

// renderer returns the text of an operand's value, list values joined by
// listSep; Text from the catalog wins when set.
func renderer(op *operand, listSep string) func(Event) (string, bool) {
	ex := op.ex
	if ex.Text != nil {
		return ex.Text
	}
	if op.spec.IsList {
		var at func(Event, int) (string, bool)
		switch familyOf(op.spec.Type) {
		case famString:
			at = ex.StringAt
		case famInt:
			at = func(ev Event, i int) (string, bool) {
				v, ok := ex.Int64At(ev, i)
				return strconv.FormatInt(v, 10), ok
			}
		case famUint:
			at = func(ev Event, i int) (string, bool) {
				v, ok := ex.Uint64At(ev, i)
				return strconv.FormatUint(v, 10), ok
			}
		case famAddr:
			at = func(ev Event, i int) (string, bool) {
				v, ok := ex.AddrAt(ev, i)
				return v.String(), ok
			}
		default:
			return func(Event) (string, bool) { return "", false }
		}
		return func(ev Event) (string, bool) {
			var b strings.Builder
			n := 0
			for ; ; n++ {
				s, ok := at(ev, n)
				if !ok {
					break
				}
				if n > 0 {
					b.WriteString(listSep)
				}
				b.WriteString(s)
			}
			return b.String(), n > 0
		}
	}
	switch familyOf(op.spec.Type) {
	case famString:
		return ex.String
	case famInt:
		return func(ev Event) (string, bool) { v, ok := ex.Int64(ev); return strconv.FormatInt(v, 10), ok }
	case famUint:
		return func(ev Event) (string, bool) { v, ok := ex.Uint64(ev); return strconv.FormatUint(v, 10), ok }
	case famBool:
		return func(ev Event) (string, bool) { v, ok := ex.Bool(ev); return strconv.FormatBool(v), ok }
	case famAddr:
		return func(ev Event) (string, bool) { v, ok := ex.Addr(ev); return v.String(), ok }
	case famBytes:
		return func(ev Event) (string, bool) { v, ok := ex.Bytes(ev); return string(v), ok }
	}
	return func(Event) (string, bool) { return "", false }
}
