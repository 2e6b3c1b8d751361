package cond

import (
	"errors"
	"strings"

	"github.com/rewind-sh/rewind/analyze/rule"
)

// operand is a compiled field or transformer: how to read it and its type.
type operand struct {
	ex   Extractor
	spec FieldSpec
	text string // as written, for messages
	pos  rule.Pos
}

// family groups field types that share an extractor.
type family uint8

const (
	famNone family = iota
	famString
	famInt
	famUint
	famBool
	famAddr
	famBytes
)

func familyOf(t FieldType) family {
	switch t {
	case TypeString:
		return famString
	case TypeInt64, TypeAbsTime, TypeRelTime:
		return famInt
	case TypeUint64, TypePort:
		return famUint
	case TypeBool:
		return famBool
	case TypeIPAddr, TypeIPNet:
		return famAddr
	case TypeBytes:
		return famBytes
	}
	return famNone
}

// hasExtractor reports whether ex has the function spec's type needs.
func hasExtractor(ex Extractor, spec FieldSpec) bool {
	if spec.IsList {
		switch familyOf(spec.Type) {
		case famString:
			return ex.StringAt != nil
		case famInt:
			return ex.Int64At != nil
		case famUint:
			return ex.Uint64At != nil
		case famAddr:
			return ex.AddrAt != nil
		}
		return false
	}
	switch familyOf(spec.Type) {
	case famString:
		return ex.String != nil
	case famInt:
		return ex.Int64 != nil
	case famUint:
		return ex.Uint64 != nil
	case famBool:
		return ex.Bool != nil
	case famAddr:
		return ex.Addr != nil
	case famBytes:
		return ex.Bytes != nil
	}
	return false
}

// compileField resolves a field through the catalog. It returns nil after
// recording an error or an unavailable field.
func (c *compiler) compileField(f *rule.FieldRef) *operand {
	ex, spec, err := c.cat.Lookup(f.Name, f.Arg, f.HasArg)
	if err != nil {
		var un *UnavailableError
		switch {
		case errors.As(err, &un):
			c.unavailable = append(c.unavailable, Unavailable{Field: f.String(), Reason: un.Reason, Pos: f.At})
		case errors.Is(err, ErrUnknownField):
			c.unknownField = true
			c.errorf(f.At, "unknown field %s", f.String())
		case strings.HasPrefix(err.Error(), "field "):
			c.errorf(f.At, "%v", err) // the catalog already named the field
		default:
			c.errorf(f.At, "field %s: %v", f.String(), err)
		}
		return nil
	}
	if !hasExtractor(ex, spec) {
		c.errorf(f.At, "field %s: the catalog gives no extractor for its type %s", f.String(), spec.Type)
		return nil
	}
	c.fields[f.String()] = true
	return &operand{ex: ex, spec: spec, text: f.String(), pos: f.At}
}

// compileOperand compiles the left side of a check (or a val() argument).
func (c *compiler) compileOperand(o rule.Operand) *operand {
	switch o := o.(type) {
	case *rule.FieldRef:
		return c.compileField(o)
	case *rule.Transform:
		return c.compileTransform(o)
	}
	return nil
}

// presence returns a predicate telling whether the operand has a value.
func presence(op *operand) func(Event) bool {
	ex := op.ex
	if op.spec.IsList {
		switch familyOf(op.spec.Type) {
		case famString:
			return func(ev Event) bool { _, ok := ex.StringAt(ev, 0); return ok }
		case famInt:
			return func(ev Event) bool { _, ok := ex.Int64At(ev, 0); return ok }
		case famUint:
			return func(ev Event) bool { _, ok := ex.Uint64At(ev, 0); return ok }
		case famAddr:
			return func(ev Event) bool { _, ok := ex.AddrAt(ev, 0); return ok }
		}
	}
	switch familyOf(op.spec.Type) {
	case famString:
		return func(ev Event) bool { _, ok := ex.String(ev); return ok }
	case famInt:
		return func(ev Event) bool { _, ok := ex.Int64(ev); return ok }
	case famUint:
		return func(ev Event) bool { _, ok := ex.Uint64(ev); return ok }
	case famBool:
		return func(ev Event) bool { _, ok := ex.Bool(ev); return ok }
	case famAddr:
		return func(ev Event) bool { _, ok := ex.Addr(ev); return ok }
	case famBytes:
		return func(ev Event) bool { _, ok := ex.Bytes(ev); return ok }
	}
	return func(Event) bool { return false }
}

// scalarPred applies p to a scalar value; missing is false.
func scalarPred[T any](get func(Event) (T, bool), p func(T) bool) func(Event) bool {
	return func(ev Event) bool {
		v, ok := get(ev)
		return ok && p(v)
	}
}

// anyPred holds when one element satisfies p.
func anyPred[T any](at func(Event, int) (T, bool), p func(T) bool) func(Event) bool {
	return func(ev Event) bool {
		for i := 0; ; i++ {
			v, ok := at(ev, i)
			if !ok {
				return false
			}
			if p(v) {
				return true
			}
		}
	}
}

// allPred holds when there is at least one element and all satisfy p.
func allPred[T any](at func(Event, int) (T, bool), p func(T) bool) func(Event) bool {
	return func(ev Event) bool {
		n := 0
		for ; ; n++ {
			v, ok := at(ev, n)
			if !ok {
				return n > 0
			}
			if !p(v) {
				return false
			}
		}
	}
}

// lift turns a value predicate into an event predicate with the operand's
// list semantics: scalar, any element (ancestors), or libs list "in"
// (every element) / "intersects" (some element).
func lift[T any](op *operand, get func(Event) (T, bool), at func(Event, int) (T, bool), every bool, p func(T) bool) func(Event) bool {
	switch {
	case !op.spec.IsList:
		return scalarPred(get, p)
	case op.spec.AnyElement || !every:
		return anyPred(at, p)
	default:
		return allPred(at, p)
	}
}
