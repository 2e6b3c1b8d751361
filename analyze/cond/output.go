package cond

import (
	"errors"
	"strings"

	"github.com/rewind-sh/rewind/analyze/rule"
)

// NA is printed for a field without a value.
const NA = "<NA>"

// Formatter renders an output template ("... %proc.name %proc.aname[2]
// %tolower(fd.name) %20evt.type ...") for an event. It is immutable and
// safe for concurrent use when the extractors are.
type Formatter struct {
	parts  []outPart
	fields []outField
}

type outPart struct {
	literal string
	field   int // index into fields, -1 for a literal
	width   int // 0: natural width
}

type outField struct {
	name   string
	render func(Event) (string, bool)
}

// OutputWarning is a field an output prints that recordings cannot
// provide; it always prints as <NA>.
type OutputWarning = Unavailable

// CompileOutput compiles an output template. Text after '%' is taken as
// the longest field or transformer that the catalog knows (a dotted name
// is shortened one component at a time until it resolves); an optional
// decimal width after '%' pads or truncates the value. A leading '*'
// (Falco's "print <NA> for missing values") is accepted and dropped, since
// missing values always print as <NA> here.
func (cc *Compiler) CompileOutput(src *rule.Source) (*Formatter, []OutputWarning, error) {
	c := cc.newUnit()
	text := src.Text
	f := &Formatter{}
	var warns []OutputWarning
	var lit strings.Builder
	i := 0
	if strings.HasPrefix(text, "*") {
		i = 1
	}
	index := map[string]int{}
	for i < len(text) {
		ch := text[i]
		if ch != '%' {
			lit.WriteByte(ch)
			i++
			continue
		}
		j := i + 1
		width := 0
		for j < len(text) && text[j] >= '0' && text[j] <= '9' && width < 1<<16 {
			width = width*10 + int(text[j]-'0')
			j++
		}
		op, n := rule.ParseOutputOperand(src, j)
		if op == nil {
			lit.WriteByte(ch)
			i++
			continue
		}
		if f, ok := op.(*rule.FieldRef); ok && f.Name == "container.info" && !f.HasArg {
			// Accepted for old rules files; Falco no longer expands it.
			i = j + n
			continue
		}
		compiled, used, unav := c.outputOperand(op, src, j, n)
		if compiled == nil && unav == nil {
			if len(c.errs) == 0 {
				c.errorf(src.Pos(j), "unknown field %s in output", op.String())
			}
			break
		}
		if lit.Len() > 0 {
			f.parts = append(f.parts, outPart{literal: lit.String(), field: -1})
			lit.Reset()
		}
		name := text[j : j+used]
		k, seen := index[name]
		if !seen {
			k = len(f.fields)
			index[name] = k
			r := func(Event) (string, bool) { return "", false }
			if compiled != nil {
				r = renderer(compiled, " ")
			} else {
				warns = append(warns, *unav)
			}
			f.fields = append(f.fields, outField{name: name, render: r})
		}
		f.parts = append(f.parts, outPart{field: k, width: width})
		i = j + used
	}
	if len(c.errs) > 0 {
		return nil, warns, c.errs
	}
	if lit.Len() > 0 {
		f.parts = append(f.parts, outPart{literal: lit.String(), field: -1})
	}
	return f, warns, nil
}

// outputOperand compiles an output operand, shortening a dotted field
// name until the catalog knows it. It returns the operand and how many
// bytes of the text it used, or the unavailable field.
func (c *compiler) outputOperand(op rule.Operand, src *rule.Source, off, n int) (*operand, int, *Unavailable) {
	f, isField := op.(*rule.FieldRef)
	if !isField {
		errsBefore := len(c.errs)
		o := c.compileTransform(op.(*rule.Transform))
		if o == nil && len(c.unavailable) > 0 {
			u := c.unavailable[len(c.unavailable)-1]
			c.errs = c.errs[:errsBefore]
			return nil, n, &u
		}
		return o, n, nil
	}
	name, arg, hasArg := f.Name, f.Arg, f.HasArg
	for {
		ex, spec, err := c.cat.Lookup(name, arg, hasArg)
		var un *UnavailableError
		switch {
		case err == nil:
			if !hasExtractor(ex, spec) {
				c.errorf(src.Pos(off), "field %s: the catalog gives no extractor for its type %s", name, spec.Type)
				return nil, 0, nil
			}
			if spec.FilterOnly {
				c.errorf(src.Pos(off), "field %s cannot be printed in an output", name)
				return nil, 0, nil
			}
			used := len(name)
			if hasArg {
				used = n
			}
			return &operand{ex: ex, spec: spec, text: name, pos: src.Pos(off)}, used, nil
		case errors.As(err, &un):
			used := len(name)
			if hasArg {
				used = n
			}
			return nil, used, &Unavailable{Field: name, Reason: un.Reason, Pos: src.Pos(off)}
		case hasArg:
			// Shrink like libs: try the name alone and print "[...]" as text.
			arg, hasArg = "", false
		case errors.Is(err, ErrUnknownField):
			k := strings.LastIndexByte(name, '.')
			if k <= 0 || !strings.Contains(name[:k], ".") {
				return nil, 0, nil
			}
			name, arg, hasArg = name[:k], "", false
		default:
			if strings.HasPrefix(err.Error(), "field ") {
				c.errorf(src.Pos(off), "%v", err)
			} else {
				c.errorf(src.Pos(off), "field %s: %v", name, err)
			}
			return nil, 0, nil
		}
	}
}

// Format renders the output for ev.
func (f *Formatter) Format(ev Event) string {
	return string(f.AppendFormat(nil, ev))
}

// AppendFormat appends the rendered output for ev to dst.
func (f *Formatter) AppendFormat(dst []byte, ev Event) []byte {
	for _, p := range f.parts {
		if p.field < 0 {
			dst = append(dst, p.literal...)
			continue
		}
		s, ok := f.fields[p.field].render(ev)
		if !ok {
			s = NA
		}
		if p.width > 0 {
			if len(s) > p.width {
				s = s[:p.width]
			}
			dst = append(dst, s...)
			for k := len(s); k < p.width; k++ {
				dst = append(dst, ' ')
			}
			continue
		}
		dst = append(dst, s...)
	}
	return dst
}

// FieldNames lists the fields the output prints, in first-use order, as
// written (e.g. "proc.aname[2]").
func (f *Formatter) FieldNames() []string {
	out := make([]string, len(f.fields))
	for i, fl := range f.fields {
		out[i] = fl.name
	}
	return out
}

// Values calls fn with each printed field and its value (<NA> when
// missing), for Falco's JSON output_fields.
func (f *Formatter) Values(ev Event, fn func(name, value string)) {
	for _, fl := range f.fields {
		s, ok := fl.render(ev)
		if !ok {
			s = NA
		}
		fn(fl.name, s)
	}
}
