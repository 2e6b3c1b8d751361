package rule

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var ruleKeys = []string{"rule", "desc", "condition", "output", "priority", "tags", "enabled", "exceptions",
	"append", "override", "source", "capture", "capture_duration", "warn_evttypes", "skip-if-unknown-filter"}

var (
	ruleAppendable  = []string{"condition", "output", "desc", "tags", "exceptions"}
	ruleReplaceable = []string{"condition", "output", "desc", "priority", "capture", "capture_duration", "tags",
		"exceptions", "enabled", "warn_evttypes", "skip-if-unknown-filter"}
)

func (l *Loader) ruleItem(fc *fileCtx, m *mapping) *Error {
	l.checkKeys(fc, m, "a rule", ruleKeys...)
	name, e := fc.nonEmptyStr(m.vals["rule"], "rule name")
	if e != nil {
		return e
	}
	existing := l.ruleByName[name]
	appendFlag := false
	if n, ok := m.vals["append"]; ok {
		if appendFlag, e = fc.boolean(n, "append"); e != nil {
			return e
		}
	}
	if n, ok := m.vals["override"]; ok {
		if appendFlag {
			return fc.errorf(m.keyN["override"], "rule %q uses both append and override; use only override", name)
		}
		modes, e := fc.overrideModes(n, ruleAppendable, ruleReplaceable)
		if e != nil {
			return e
		}
		if e := checkOverrideKeys(fc, m, modes, "rule"); e != nil {
			return e
		}
		if existing == nil {
			return fc.errorf(m.keyN["rule"], "rule %q has override but no rule by that name is defined before it", name)
		}
		for _, k := range m.keys {
			if mode, ok := modes[k.Value]; ok {
				if e := l.applyRuleKey(fc, existing, k.Value, m.vals[k.Value], mode == "append"); e != nil {
					return e
				}
			}
		}
		l.nextSeq()
		return nil
	}
	if appendFlag {
		if existing == nil {
			return fc.errorf(m.keyN["rule"], "rule %q has append: true but no rule by that name is defined before it", name)
		}
		l.warn(fc.errorf(m.keyN["append"], "rule %q: append: true is deprecated; use override: {condition: append}", name))
		// Like Falco, append: true extends only the condition and the
		// exceptions; other keys are ignored (said here, silent there).
		for _, k := range m.keys {
			switch k.Value {
			case "rule", "append":
				continue
			case "condition", "exceptions":
				if e := l.applyRuleKey(fc, existing, k.Value, m.vals[k.Value], true); e != nil {
					return e
				}
			default:
				if contains(ruleKeys, k.Value) {
					l.warn(fc.errorf(k, "rule %q: key %q is ignored with append: true; use override: {%s: append|replace}", name, k.Value, k.Value))
				}
			}
		}
		if !m.has("condition") && !m.has("exceptions") {
			return fc.errorf(m.keyN["rule"], "rule %q has append: true but neither a condition nor exceptions to append", name)
		}
		l.nextSeq()
		return nil
	}
	// An item with only a name and enabled switches an earlier rule.
	if m.has("enabled") && !m.has("condition") && !m.has("output") && !m.has("desc") && !m.has("priority") {
		if existing == nil {
			return fc.errorf(m.keyN["rule"], "rule %q only sets enabled but no rule by that name is defined before it", name)
		}
		l.warn(fc.errorf(m.keyN["enabled"], "rule %q: changing enabled without override is deprecated; use override: {enabled: replace}", name))
		return l.applyRuleKey(fc, existing, "enabled", m.vals["enabled"], false)
	}
	r := &Rule{Name: name, Enabled: true, Source: "syscall", WarnEvtypes: true, At: fc.pos(m.keyN["rule"])}
	for _, k := range m.keys {
		switch k.Value {
		case "rule", "append":
			continue
		}
		if !contains(ruleReplaceable, k.Value) && k.Value != "source" {
			continue // unknown key, already warned about
		}
		if e := l.applyRuleKey(fc, r, k.Value, m.vals[k.Value], false); e != nil {
			return e
		}
	}
	for _, req := range []string{"condition", "output", "desc", "priority"} {
		if !m.has(req) {
			return fc.errorf(m.keyN["rule"], "rule %q has no %s key", name, req)
		}
	}
	if existing != nil {
		if existing.Source != r.Source {
			return fc.errorf(m.keyN["rule"], "rule %q is redefined with a different source (%s, was %s)", name, r.Source, existing.Source)
		}
		r.slot = existing.slot
		l.rules[r.slot] = r
	} else {
		r.slot = len(l.rules)
		l.rules = append(l.rules, r)
	}
	l.nextSeq()
	l.ruleByName[name] = r
	return nil
}

// applyRuleKey sets (or appends to) one key of r.
func (l *Loader) applyRuleKey(fc *fileCtx, r *Rule, key string, n *yaml.Node, appendMode bool) *Error {
	var e *Error
	switch key {
	case "condition":
		if _, e = fc.str(n, "condition"); e != nil {
			return e
		}
		src := fc.scalarSource(deref(n))
		if appendMode && r.hasCond {
			r.cond = appendText(r.cond, src)
		} else {
			r.cond = src
		}
		r.hasCond = true
	case "output":
		if _, e = fc.str(n, "output"); e != nil {
			return e
		}
		src := fc.scalarSource(deref(n))
		if appendMode && r.OutputSrc != nil {
			src = appendText(r.OutputSrc, src)
		}
		// Falco trims outputs (folded YAML scalars end with a newline).
		r.OutputSrc = trimSource(src)
		r.Output = r.OutputSrc.Text
	case "desc":
		var s string
		if s, e = fc.str(n, "desc"); e != nil {
			return e
		}
		if appendMode && r.Desc != "" {
			r.Desc += " " + s
		} else {
			r.Desc = s
		}
	case "priority":
		var s string
		if s, e = fc.str(n, "priority"); e != nil {
			return e
		}
		p, err := ParsePriority(s)
		if err != nil {
			return fc.errorf(n, "rule %q: %v", r.Name, err)
		}
		r.Priority = p
	case "tags":
		tags, _, e := fc.strSeq(n, "tags", false)
		if e != nil {
			return e
		}
		if appendMode {
			for _, t := range tags {
				if !contains(r.Tags, t) {
					r.Tags = append(r.Tags, t)
				}
			}
		} else {
			r.Tags = tags
		}
	case "enabled":
		r.Enabled, e = fc.boolean(n, "enabled")
	case "warn_evttypes":
		r.WarnEvtypes, e = fc.boolean(n, "warn_evttypes")
	case "skip-if-unknown-filter":
		r.SkipIfUnknownFilter, e = fc.boolean(n, "skip-if-unknown-filter")
	case "capture":
		r.Capture, e = fc.boolean(n, "capture")
	case "capture_duration":
		var s string
		if s, e = fc.str(n, "capture_duration"); e == nil {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 0 {
				return fc.errorf(n, "capture_duration must be a non-negative integer (milliseconds), not %q", s)
			}
			r.CaptureDuration = v
		}
	case "source":
		r.Source, e = fc.nonEmptyStr(n, "source")
	case "exceptions":
		exs, e := l.parseExceptions(fc, n)
		if e != nil {
			return e
		}
		if !appendMode {
			r.Exceptions = exs
			return nil
		}
		for _, ex := range exs {
			if old := findException(r.Exceptions, ex.Name); old != nil {
				if len(ex.Fields) > 0 || len(ex.Comps) > 0 {
					return Errorf(ex.At, "exception %q of rule %q already exists: an append may only add values", ex.Name, r.Name)
				}
				old.Values = append(old.Values, ex.Values...)
				continue
			}
			if len(ex.Fields) == 0 || len(ex.Values) == 0 {
				return Errorf(ex.At, "new exception %q appended to rule %q needs fields and values", ex.Name, r.Name)
			}
			r.Exceptions = append(r.Exceptions, ex)
		}
	}
	return e
}

func findException(list []*Exception, name string) *Exception {
	for _, ex := range list {
		if ex.Name == name {
			return ex
		}
	}
	return nil
}

func (l *Loader) parseExceptions(fc *fileCtx, n *yaml.Node) ([]*Exception, *Error) {
	n = deref(n)
	if n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fc.errorf(n, "exceptions must be a sequence, not %s", kindName(n))
	}
	var out []*Exception
	for _, c := range n.Content {
		m, e := fc.asMapping(c, "an exception")
		if e != nil {
			return nil, e
		}
		l.checkKeys(fc, m, "an exception", "name", "fields", "comps", "values")
		ex := &Exception{At: fc.pos(m.node)}
		if ex.Name, e = fc.nonEmptyStr(m.vals["name"], "exception name"); e != nil {
			return nil, e
		}
		if findException(out, ex.Name) != nil {
			return nil, fc.errorf(m.vals["name"], "duplicate exception name %q", ex.Name)
		}
		if fn, ok := m.vals["fields"]; ok {
			fn = deref(fn)
			ex.FieldsIsList = fn != nil && fn.Kind == yaml.SequenceNode
			if ex.Fields, _, e = fc.strSeq(fn, "exception fields", true); e != nil {
				return nil, e
			}
		}
		if cn, ok := m.vals["comps"]; ok {
			if ex.Comps, _, e = fc.strSeq(cn, "exception comps", true); e != nil {
				return nil, e
			}
		}
		if vn, ok := m.vals["values"]; ok {
			shape := shapeSingles
			if ex.FieldsIsList {
				shape = shapeTuples
			} else if !m.has("fields") {
				shape = shapeEither // values appended to an exception defined earlier
			}
			if ex.Values, e = parseExceptionValues(fc, deref(vn), shape); e != nil {
				return nil, e
			}
		}
		out = append(out, ex)
	}
	return out, nil
}

type valuesShape uint8

const (
	shapeSingles valuesShape = iota // one field: each entry is one value
	shapeTuples                     // a field list: each entry is a tuple
	shapeEither                     // unknown yet: sequences are tuples
)

// parseExceptionValues reads values: a sequence of tuples (for a field
// list) or of single values (for one field).
func parseExceptionValues(fc *fileCtx, n *yaml.Node, shape valuesShape) ([][]ExceptionValue, *Error) {
	if n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fc.errorf(n, "exception values must be a sequence, not %s", kindName(n))
	}
	var out [][]ExceptionValue
	for _, c := range n.Content {
		c = deref(c)
		if shape == shapeSingles || shape == shapeEither && (c == nil || c.Kind != yaml.SequenceNode) {
			v, e := exceptionValue(fc, c)
			if e != nil {
				return nil, e
			}
			if v.IsList {
				return nil, fc.errorf(c, "exception with a single field expects plain values, not a list")
			}
			out = append(out, []ExceptionValue{v})
			continue
		}
		if c == nil || c.Kind != yaml.SequenceNode {
			return nil, fc.errorf(c, "exception values for a list of fields must be sequences (one value per field), not %s", kindName(c))
		}
		var tuple []ExceptionValue
		for _, vn := range c.Content {
			v, e := exceptionValue(fc, deref(vn))
			if e != nil {
				return nil, e
			}
			tuple = append(tuple, v)
		}
		out = append(out, tuple)
	}
	return out, nil
}

func exceptionValue(fc *fileCtx, n *yaml.Node) (ExceptionValue, *Error) {
	if n != nil && n.Kind == yaml.SequenceNode {
		items, _, e := fc.strSeq(n, "exception value", false)
		return ExceptionValue{Items: items, IsList: true, At: fc.pos(n)}, e
	}
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ExceptionValue{}, fc.errorf(n, "exception value must be a string or a list of strings, not %s", kindName(n))
	}
	return ExceptionValue{Text: scalarText(n), At: fc.pos(n)}, nil
}

// exceptionComps are the operators an exception may use.
var exceptionComps = map[string]bool{
	"=": true, "==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
	"contains": true, "icontains": true, "bcontains": true, "startswith": true, "bstartswith": true,
	"endswith": true, "glob": true, "iglob": true, "regex": true,
	"in": true, "intersects": true, "pmatch": true,
}

func isListComp(c string) bool {
	if c == "in" || c == "intersects" || c == "pmatch" {
		return true
	}
	f := strings.Fields(c)
	return len(f) == 2 && (f[1] == "oneof" || f[1] == "anyof" || f[1] == "allof")
}

func validComp(c string) bool {
	if exceptionComps[c] {
		return true
	}
	f := strings.Fields(c)
	return len(f) == 2 && exceptionComps[f[0]] && !isListComp(f[0]) && isListComp(c)
}
