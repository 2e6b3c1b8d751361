package rule

import (
	"fmt"
	"math"
	"strings"
)

// Build expands lists, parses and resolves macros and rule conditions
// (with exceptions), and returns the rule set. The error, when not nil, is
// an ErrorList of every problem found while loading and building; the
// returned Ruleset holds the rules without errors.
func (l *Loader) Build() (*Ruleset, error) {
	rs := &Ruleset{RequiredEngineVersion: l.engineVersion, RequiredPlugins: l.plugins}
	l.flattenLists()
	lists := make(map[string]*List, len(l.lists))
	for _, li := range l.lists {
		lists[li.Name] = li
	}
	for _, m := range l.macros {
		l.buildMacro(m, lists)
	}
	for _, r := range l.rules {
		if l.buildRule(r, lists) {
			rs.Rules = append(rs.Rules, r)
		}
	}
	for _, m := range l.macros {
		if !m.used {
			l.warn(Errorf(m.At, "macro %q is not used", m.Name))
		}
	}
	for _, li := range l.lists {
		if !li.used {
			l.warn(Errorf(li.At, "list %q is not used", li.Name))
		}
	}
	rs.Macros = l.macros
	rs.Lists = l.lists
	rs.Warnings = l.warns
	return rs, l.errs.Err()
}

// buildErr records an error found while building, at most MaxErrors per
// file (then one note saying the rest were dropped).
func (l *Loader) buildErr(e *Error) {
	if l.buildErrs == nil {
		l.buildErrs = map[string]int{}
	}
	n := l.buildErrs[e.Pos.Filename]
	l.buildErrs[e.Pos.Filename] = n + 1
	switch {
	case n < MaxErrors:
		l.errs = append(l.errs, e)
	case n == MaxErrors:
		l.errs = append(l.errs, &Error{Pos: Position{Filename: e.Pos.Filename}, Msg: fmt.Sprintf("more than %d errors in conditions, the rest are not shown", MaxErrors)})
	}
}

// flattenLists replaces list items that name an earlier list by that
// list's items as written, one level deep, as Falco does: an item of the
// earlier list that itself names a list is kept as a plain value (with a
// warning, since that is rarely what the author meant).
func (l *Loader) flattenLists() {
	raw := make(map[string][]ListItem, len(l.lists))
	for _, li := range l.lists {
		raw[li.Name] = li.Items
	}
	for _, li := range l.lists {
		var items []ListItem
		changed := false
		for _, it := range li.Items {
			other := l.listByName[it.Text]
			if other == nil || other.index >= li.visibility {
				items = append(items, it)
				continue
			}
			other.used = true
			changed = true
			for _, sub := range raw[other.Name] {
				if deeper := l.listByName[sub.Text]; deeper != nil && deeper.index < other.visibility {
					l.warn(Errorf(it.At, "list %q: item %q names list %q, whose item %q names list %q; Falco expands only one level, so %q stays a plain value",
						li.Name, it.Text, other.Name, sub.Text, deeper.Name, sub.Text))
				}
				items = append(items, sub)
			}
		}
		if changed {
			li.Items = items
		}
	}
}

func (l *Loader) buildMacro(m *Macro, lists map[string]*List) {
	src := substituteLists(m.Condition, lists)
	expr, err := ParseCondition(src)
	if err != nil {
		l.buildErr(err)
		m.bad = true
		return
	}
	if !l.resolveMacros(expr, m.visibility) {
		m.bad = true
		return
	}
	m.Expr = expr
}

// resolveMacros links each macro reference of e to its macro. Only macros
// with an index below visibility may be used. It reports whether every
// reference resolved.
func (l *Loader) resolveMacros(e Expr, visibility int) bool {
	ok := true
	var visit func(Expr)
	visit = func(e Expr) {
		switch e := e.(type) {
		case *AndExpr:
			for _, c := range e.Children {
				visit(c)
			}
		case *OrExpr:
			for _, c := range e.Children {
				visit(c)
			}
		case *NotExpr:
			visit(e.X)
		case *MacroRef:
			m := l.macroByNam[e.Name]
			switch {
			case m == nil:
				l.buildErr(Errorf(e.At, "undefined macro %q", e.Name))
				ok = false
			case m.index >= visibility:
				l.buildErr(Errorf(e.At, "macro %q is defined after this macro (a macro may only use macros defined before it, or before its latest append or override)", e.Name))
				ok = false
			case m.bad:
				m.used = true
				l.buildErr(Errorf(e.At, "macro %q has errors", e.Name))
				ok = false
			default:
				m.used = true
				e.Resolved = m.Expr
			}
		}
	}
	visit(e)
	return ok
}

// buildRule assembles, parses and resolves a rule's condition.
func (l *Loader) buildRule(r *Rule, lists map[string]*List) bool {
	cond, err := withExceptions(r)
	if err != nil {
		l.buildErr(err)
		return false
	}
	r.Condition = substituteLists(cond, lists)
	expr, perr := ParseCondition(r.Condition)
	if perr != nil {
		l.buildErr(perr)
		return false
	}
	if !l.resolveMacros(expr, math.MaxInt) {
		return false
	}
	r.Expr = expr
	return true
}

// withExceptions returns the rule condition followed by one
// "and not (...)" per exception that has values, built as Falco builds it.
func withExceptions(r *Rule) (*Source, *Error) {
	if len(r.Exceptions) == 0 {
		return r.cond, nil
	}
	var b sourceBuilder
	b.addAt("(", r.cond.Pos(0))
	b.addSource(r.cond)
	b.addAt(")", r.cond.Pos(len(r.cond.Text)))
	for _, ex := range r.Exceptions {
		if len(ex.Fields) == 0 {
			return nil, Errorf(ex.At, "exception %q of rule %q has no fields", ex.Name, r.Name)
		}
		comps, err := exceptionCompsFor(r, ex)
		if err != nil {
			return nil, err
		}
		if len(ex.Values) == 0 {
			continue
		}
		b.addAt(" and not (", ex.At)
		if !ex.FieldsIsList {
			b.addAt(ex.Fields[0]+" "+comps[0]+" (", ex.At)
			for i, tuple := range ex.Values {
				if len(tuple) != 1 || tuple[0].IsList {
					return nil, Errorf(tuple0At(tuple, ex.At), "exception %q has a single field, so each value must be a plain string", ex.Name)
				}
				if i > 0 {
					b.addAt(", ", tuple[0].At)
				}
				b.addAt(quoteListItem(tuple[0].Text), tuple[0].At)
			}
			b.addAt(")", ex.At)
		} else {
			for i, tuple := range ex.Values {
				if len(tuple) != len(ex.Fields) {
					return nil, Errorf(tuple0At(tuple, ex.At), "exception %q has %d fields but a value tuple has %d values", ex.Name, len(ex.Fields), len(tuple))
				}
				if i > 0 {
					b.addAt(" or ", tuple[0].At)
				}
				b.addAt("(", tuple[0].At)
				for k, field := range ex.Fields {
					if k > 0 {
						b.addAt(" and ", tuple[k].At)
					}
					b.addAt(field+" "+comps[k]+" ", tuple[k].At)
					b.addAt(exceptionOperand(tuple[k], comps[k]), tuple[k].At)
				}
				b.addAt(")", tuple[0].At)
			}
		}
		b.addAt(")", ex.At)
	}
	return b.source(), nil
}

func tuple0At(tuple []ExceptionValue, def Pos) Pos {
	if len(tuple) > 0 {
		return tuple[0].At
	}
	return def
}

// exceptionCompsFor validates and defaults an exception's operators.
func exceptionCompsFor(r *Rule, ex *Exception) ([]string, *Error) {
	comps := ex.Comps
	if !ex.FieldsIsList {
		if len(comps) == 0 {
			comps = []string{"in"}
		}
		if len(comps) != 1 {
			return nil, Errorf(ex.At, "exception %q of rule %q has one field but %d comps", ex.Name, r.Name, len(comps))
		}
		if !isListComp(comps[0]) {
			return nil, Errorf(ex.At, "exception %q of rule %q: with a single field the comp must be a list operator (in, intersects, pmatch or '<op> oneof|anyof|allof'), not %q", ex.Name, r.Name, comps[0])
		}
		return comps, nil
	}
	if len(comps) == 0 {
		comps = make([]string, len(ex.Fields))
		for i := range comps {
			comps[i] = "="
		}
	}
	if len(comps) != len(ex.Fields) {
		return nil, Errorf(ex.At, "exception %q of rule %q has %d fields but %d comps", ex.Name, r.Name, len(ex.Fields), len(comps))
	}
	for _, c := range comps {
		if !validComp(c) {
			return nil, Errorf(ex.At, "exception %q of rule %q: unknown comp %q", ex.Name, r.Name, c)
		}
	}
	return comps, nil
}

// exceptionOperand renders one value of a tuple for its operator.
func exceptionOperand(v ExceptionValue, comp string) string {
	if v.IsList {
		quoted := make([]string, len(v.Items))
		for i, it := range v.Items {
			quoted[i] = quoteListItem(it)
		}
		return "(" + strings.Join(quoted, ", ") + ")"
	}
	if isListComp(comp) {
		if strings.HasPrefix(v.Text, "(") {
			return v.Text
		}
		return "(" + v.Text + ")"
	}
	return quoteListItem(v.Text)
}
