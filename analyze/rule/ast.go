package rule

import (
	"strings"
)

// Expr is a node of a condition: *AndExpr, *OrExpr, *NotExpr, *MacroRef or
// *Check. Every node records where it starts.
type Expr interface {
	Pos() Pos
	exprNode()
}

// AndExpr holds when every child holds (evaluated left to right).
type AndExpr struct {
	At       Pos
	Children []Expr
}

// OrExpr holds when one child holds (evaluated left to right).
type OrExpr struct {
	At       Pos
	Children []Expr
}

// NotExpr negates X.
type NotExpr struct {
	At Pos
	X  Expr
}

// MacroRef is an identifier standing for a macro's condition. After macro
// resolution, Resolved holds the macro's (shared, immutable) expression.
type MacroRef struct {
	At       Pos
	Name     string
	Resolved Expr
}

// Check is "operand operator [modifier] value", or "operand exists".
type Check struct {
	At       Pos
	Left     Operand // *FieldRef or *Transform
	Op       string  // "=", "==", "!=", "<", ..., "contains", "in", "exists"
	OpPos    Pos
	Modifier string // "", "oneof", "anyof", "allof"
	Right    Value  // nil for exists
}

func (e *AndExpr) Pos() Pos  { return e.At }
func (e *OrExpr) Pos() Pos   { return e.At }
func (e *NotExpr) Pos() Pos  { return e.At }
func (e *MacroRef) Pos() Pos { return e.At }
func (e *Check) Pos() Pos    { return e.At }

func (*AndExpr) exprNode()  {}
func (*OrExpr) exprNode()   {}
func (*NotExpr) exprNode()  {}
func (*MacroRef) exprNode() {}
func (*Check) exprNode()    {}

// Operand is what a check tests: a field or a transformer of fields.
type Operand interface {
	Pos() Pos
	operandNode()
	String() string
}

// FieldRef is a field, with its optional [argument].
type FieldRef struct {
	At     Pos
	Name   string
	Arg    string
	HasArg bool
}

// Transform applies a transformer (tolower, len, join, ...) to arguments.
type Transform struct {
	At     Pos
	Name   string  // "tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt"
	Args   []Value // *FieldValue, *TransformValue, *StringValue, *NumberValue, *ListValue
	Arg    string  // trailing [arg], used by getopt
	HasArg bool
}

func (f *FieldRef) Pos() Pos    { return f.At }
func (t *Transform) Pos() Pos   { return t.At }
func (*FieldRef) operandNode()  {}
func (*Transform) operandNode() {}

func (f *FieldRef) String() string {
	if !f.HasArg {
		return f.Name
	}
	return f.Name + "[" + formatArg(f.Arg) + "]"
}

// formatArg renders a field argument, quoted when a bare one would not
// read back the same.
func formatArg(a string) string {
	if a == "" || strings.ContainsAny(a, "[]\"' \t\r\n\b\f\v") || strings.IndexFunc(a, func(r rune) bool { return r < 0x20 || r >= 0x7f }) >= 0 {
		return quoteString(a)
	}
	return a
}

func (t *Transform) String() string {
	parts := make([]string, len(t.Args))
	for i, a := range t.Args {
		parts[i] = a.String()
	}
	s := t.Name + "(" + strings.Join(parts, ", ") + ")"
	if t.HasArg {
		s += "[" + formatArg(t.Arg) + "]"
	}
	return s
}

// Value is the right-hand side of a check.
type Value interface {
	Pos() Pos
	valueNode()
	String() string
}

// StringValue is a literal: bare text or an unescaped quoted string.
type StringValue struct {
	At     Pos
	Text   string
	Quoted bool
}

// NumberValue is a numeric literal as written (decimal or 0x hex).
type NumberValue struct {
	At   Pos
	Text string
}

// ListValue is "(a, b, ...)"; a bare identifier after a list operator is
// a one-item list.
type ListValue struct {
	At    Pos
	Items []*StringValue
}

// FieldValue is val(field): another field of the same event.
type FieldValue struct {
	At    Pos
	Field *FieldRef
}

// TransformValue is a transformer on the right-hand side.
type TransformValue struct {
	At        Pos
	Transform *Transform
}

// TransformList is "( a, b, ... )" among a transformer's arguments: fields,
// transformers, strings and numbers.
type TransformList struct {
	At    Pos
	Items []Value
}

// FieldArgValue is a plain field used as a transformer argument.
type FieldArgValue struct {
	At    Pos
	Field *FieldRef
}

func (v *StringValue) Pos() Pos    { return v.At }
func (v *NumberValue) Pos() Pos    { return v.At }
func (v *ListValue) Pos() Pos      { return v.At }
func (v *FieldValue) Pos() Pos     { return v.At }
func (v *TransformValue) Pos() Pos { return v.At }
func (v *FieldArgValue) Pos() Pos  { return v.At }
func (v *TransformList) Pos() Pos  { return v.At }

func (*StringValue) valueNode()    {}
func (*NumberValue) valueNode()    {}
func (*ListValue) valueNode()      {}
func (*FieldValue) valueNode()     {}
func (*TransformValue) valueNode() {}
func (*FieldArgValue) valueNode()  {}
func (*TransformList) valueNode()  {}

func (v *StringValue) String() string {
	if v.Quoted || needsQuotes(v.Text) {
		return quoteString(v.Text)
	}
	return v.Text
}
func (v *NumberValue) String() string { return v.Text }
func (v *ListValue) String() string {
	parts := make([]string, len(v.Items))
	for i, it := range v.Items {
		parts[i] = it.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
func (v *FieldValue) String() string     { return "val(" + v.Field.String() + ")" }
func (v *TransformValue) String() string { return v.Transform.String() }
func (v *FieldArgValue) String() string  { return v.Field.String() }
func (v *TransformList) String() string {
	parts := make([]string, len(v.Items))
	for i, it := range v.Items {
		parts[i] = it.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func needsQuotes(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isBlank(c) || c == '(' || c == ')' || c == ',' || c == '=' || c == '"' || c == '\'' || c < 0x20 || c >= 0x7f {
			return true
		}
	}
	return false
}

// Format renders an expression back to condition text, fully
// parenthesised, with macro references shown by name. Parsing the result
// gives an equivalent expression.
func Format(e Expr) string {
	var b strings.Builder
	format(&b, e)
	return b.String()
}

func format(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case *AndExpr:
		formatList(b, e.Children, " and ")
	case *OrExpr:
		formatList(b, e.Children, " or ")
	case *NotExpr:
		b.WriteString("not ")
		format(b, e.X)
	case *MacroRef:
		b.WriteString(e.Name)
	case *Check:
		b.WriteString(e.Left.String())
		b.WriteByte(' ')
		b.WriteString(e.Op)
		if e.Modifier != "" {
			b.WriteByte(' ')
			b.WriteString(e.Modifier)
		}
		if e.Right != nil {
			b.WriteByte(' ')
			b.WriteString(e.Right.String())
		}
	}
}

func formatList(b *strings.Builder, children []Expr, sep string) {
	b.WriteByte('(')
	for i, c := range children {
		if i > 0 {
			b.WriteString(sep)
		}
		format(b, c)
	}
	b.WriteByte(')')
}

// Walk calls fn for e and, while fn returns true, its sub-expressions.
// It descends into resolved macros, so a macro used several times is
// visited each time (return false for a *MacroRef already seen to avoid
// repeated work on deeply shared macros).
func Walk(e Expr, fn func(Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	switch e := e.(type) {
	case *AndExpr:
		for _, c := range e.Children {
			Walk(c, fn)
		}
	case *OrExpr:
		for _, c := range e.Children {
			Walk(c, fn)
		}
	case *NotExpr:
		Walk(e.X, fn)
	case *MacroRef:
		Walk(e.Resolved, fn)
	}
}

// quoteString renders s as a double-quoted literal of the language.
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c >= 0x7f:
			const hex = "0123456789abcdef"
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
