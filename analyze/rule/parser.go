package rule

import "strings"

// MaxDepth bounds the nesting of parentheses, not and transformers, so a
// hostile condition cannot exhaust the stack.
const MaxDepth = 1000

// ParseCondition parses a whole condition. Macro references are left
// unresolved. The error, if any, points at the offending byte.
func ParseCondition(src *Source) (Expr, *Error) {
	p := &parser{lexer: lexer{src: src, text: src.Text}}
	var e Expr
	err := p.run(func() {
		e = p.parseOr()
		p.blank()
		if !p.eof() {
			if p.peekLiteral("and") && p.pos+3 < len(p.text) && (isBlank(p.text[p.pos+3]) || p.text[p.pos+3] == '(') {
				// Only reachable after "or(...)", which takes just the parentheses.
				p.failf(p.pos, "unexpected 'and' after 'or(...)': 'or(' takes only the parenthesised expression; write 'or (' to combine it with 'and'")
			}
			p.failf(p.pos, "unexpected %s after the end of an expression, expecting 'and' or 'or'", p.snippet(p.pos))
		}
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// ParseString parses a condition that does not come from a file; errors
// are reported against name.
func ParseString(name, cond string) (Expr, *Error) {
	return ParseCondition(NewSource(NewFile(name, []byte(cond)), 0, cond))
}

// ParseOutputOperand parses a field or transformer at the start of text
// (the part after '%' in an output) and returns it with the number of
// bytes it used; n is 0 when text does not start with one.
func ParseOutputOperand(src *Source, off int) (op Operand, n int) {
	p := &parser{lexer: lexer{src: src, text: src.Text, pos: off}}
	if p.run(func() { op = p.parseOperand(true) }) != nil || op == nil {
		return nil, 0
	}
	return op, p.pos - off
}

type parser struct {
	lexer
	depth int
}

// bailout carries a syntax error up to run; the parser stops at the first
// syntax error in a condition, since the rest cannot be interpreted.
type bailout struct{ err *Error }

func (p *parser) run(fn func()) (err *Error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	fn()
	return nil
}

func (p *parser) failf(off int, format string, args ...any) {
	if off >= len(p.text) {
		// Report the end just after the last non-blank byte, so a folded
		// YAML scalar's final newline does not move it to the next line.
		off = len(strings.TrimRight(p.text, " \t\r\n\b\f\v"))
	}
	panic(bailout{Errorf(p.src.Pos(off), format, args...)})
}

func (p *parser) enter() {
	p.depth++
	if p.depth > MaxDepth {
		p.failf(p.pos, "condition nested deeper than %d levels", MaxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) parseOr() Expr {
	p.enter()
	defer p.leave()
	p.blank()
	start := p.pos
	children := []Expr{p.parseAnd()}
	for {
		save := p.pos
		p.blank()
		if !p.keyword("or", "(") {
			p.danglingKeyword("or")
			p.pos = save
			break
		}
		if p.peekByte() == '(' {
			// "or(" takes just the parenthesised expression, as in libs:
			// "a or(b) and c" leaves "and c" unparsed.
			children = append(children, p.parseCheck())
			continue
		}
		children = append(children, p.parseAnd())
	}
	if len(children) == 1 {
		return children[0]
	}
	return &OrExpr{At: p.src.Pos(start), Children: children}
}

func (p *parser) parseAnd() Expr {
	p.enter()
	defer p.leave()
	p.blank()
	start := p.pos
	children := []Expr{p.parseNot()}
	for {
		save := p.pos
		p.blank()
		if !p.keyword("and", "(") {
			p.danglingKeyword("and")
			p.pos = save
			break
		}
		children = append(children, p.parseNot())
	}
	if len(children) == 1 {
		return children[0]
	}
	return &AndExpr{At: p.src.Pos(start), Children: children}
}

func (p *parser) parseNot() Expr {
	p.enter()
	defer p.leave()
	p.blank()
	start := p.pos
	p.danglingKeyword("not")
	if p.keyword("not", "(") {
		x := p.parseNot()
		return &NotExpr{At: p.src.Pos(start), X: x}
	}
	return p.parseCheck()
}

// danglingKeyword reports a keyword that ends the condition, which would
// otherwise be read as a macro name or as trailing input.
func (p *parser) danglingKeyword(kw string) {
	if p.pos+len(kw) == len(p.text) && p.peekLiteral(kw) {
		p.failf(len(p.text), "unexpected end of condition after '%s', expecting a check", kw)
	}
}

func (p *parser) parseCheck() Expr {
	p.blank()
	start := p.pos
	if p.eof() {
		p.failf(p.pos, "unexpected end of condition, expecting a check, a macro name or '('")
	}
	if p.literal("(") {
		e := p.parseOr()
		p.blank()
		if !p.literal(")") {
			p.failf(p.pos, "unexpected %s, expecting ')' to close the '(' at column %d", p.snippet(p.pos), p.src.Position(start).Col)
		}
		return e
	}
	if name, ok := p.transformerName(); ok {
		t := p.parseTransformer(start, name)
		return p.parseCondition(start, t)
	}
	name, dotted := p.name()
	if name == "" {
		p.failf(start, "unexpected %s, expecting a field, a macro name, 'not' or '('", p.snippet(start))
	}
	if !dotted {
		return &MacroRef{At: p.src.Pos(start), Name: name}
	}
	f := p.finishField(start, name)
	return p.parseCondition(start, f)
}

var transformerNames = []string{"tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt"}

// transformerName consumes "name(" for a known transformer.
func (p *parser) transformerName() (string, bool) {
	for _, n := range transformerNames {
		if p.peekLiteral(n + "(") {
			p.pos += len(n) + 1
			return n, true
		}
	}
	return "", false
}

// finishField reads the optional [arg] after a field name.
func (p *parser) finishField(start int, name string) *FieldRef {
	f := &FieldRef{At: p.src.Pos(start), Name: name}
	if !p.literal("[") {
		return f
	}
	argStart := p.pos
	switch c := p.peekByte(); c {
	case '"', '\'':
		v, errOff, msg := p.quoted()
		if errOff >= 0 {
			p.failf(errOff, "%s", msg)
		}
		f.Arg = v
	default:
		arg, ok := p.fieldArgBare()
		if !ok {
			p.failf(argStart, "unexpected %s, expecting an argument for field %s", p.snippet(argStart), name)
		}
		f.Arg = arg
	}
	f.HasArg = true
	if !p.literal("]") {
		p.failf(p.pos, "unexpected %s, expecting ']' after the argument of field %s", p.snippet(p.pos), name)
	}
	return f
}

// parseOperand reads a field or a transformer (for outputs).
func (p *parser) parseOperand(allowTransformer bool) Operand {
	start := p.pos
	if allowTransformer {
		if name, ok := p.transformerName(); ok {
			return p.parseTransformer(start, name)
		}
	}
	name, dotted := p.name()
	if !dotted {
		p.pos = start
		return nil
	}
	return p.finishField(start, name)
}

// parseTransformer parses the arguments after "name(".
func (p *parser) parseTransformer(start int, name string) *Transform {
	p.enter()
	defer p.leave()
	t := &Transform{At: p.src.Pos(start), Name: name}
	for {
		p.blank()
		t.Args = append(t.Args, p.parseTransformerArg(name, false))
		p.blank()
		if p.literal(",") {
			continue
		}
		if p.literal(")") {
			break
		}
		p.failf(p.pos, "unexpected %s in the arguments of %s(), expecting ',' or ')'", p.snippet(p.pos), name)
	}
	if p.literal("[") {
		argStart := p.pos
		var ok bool
		if c := p.peekByte(); c == '"' || c == '\'' {
			v, errOff, msg := p.quoted()
			if errOff >= 0 {
				p.failf(errOff, "%s", msg)
			}
			t.Arg, ok = v, true
		} else {
			t.Arg, ok = p.fieldArgBare()
		}
		if !ok || !p.literal("]") {
			p.failf(argStart, "unexpected %s, expecting an argument and ']' after %s()", p.snippet(argStart), name)
		}
		t.HasArg = true
	}
	return t
}

// parseTransformerArg reads one transformer argument; nested is true
// inside a "( ... )" transformer list.
func (p *parser) parseTransformerArg(tname string, nested bool) Value {
	start := p.pos
	if name, ok := p.transformerName(); ok {
		return &TransformValue{At: p.src.Pos(start), Transform: p.parseTransformer(start, name)}
	}
	switch c := p.peekByte(); {
	case c == '"' || c == '\'':
		return p.parseQuoted()
	case c == '(':
		if nested {
			p.failf(start, "transformer lists cannot be nested")
		}
		p.pos++
		tl := &TransformList{At: p.src.Pos(start)}
		p.blank()
		if p.literal(")") {
			return tl
		}
		for {
			p.blank()
			tl.Items = append(tl.Items, p.parseTransformerArg(tname, true))
			p.blank()
			if p.literal(",") {
				continue
			}
			if p.literal(")") {
				return tl
			}
			p.failf(p.pos, "unexpected %s in a transformer list, expecting ',' or ')'", p.snippet(p.pos))
		}
	case isDigit(c) || c == '+' || c == '-':
		if num, ok := p.number(); ok {
			return &NumberValue{At: p.src.Pos(start), Text: num}
		}
	}
	name, dotted := p.name()
	if !dotted {
		p.failf(start, "unexpected %s, expecting a field, a transformer, a string or a number as argument of %s()", p.snippet(start), tname)
	}
	return &FieldArgValue{At: p.src.Pos(start), Field: p.finishField(start, name)}
}

func (p *parser) parseQuoted() *StringValue {
	start := p.pos
	v, errOff, msg := p.quoted()
	if errOff >= 0 {
		p.failf(errOff, "%s", msg)
	}
	return &StringValue{At: p.src.Pos(start), Text: v, Quoted: true}
}

var (
	numOps  = []string{"<=", "<", ">=", ">"}
	symOps  = []string{"==", "=", "!="}
	wordOps = []string{"bcontains", "bstartswith", "contains", "endswith", "glob", "icontains", "iglob", "startswith", "regex"}
	listOps = []string{"intersects", "in", "pmatch"}
	modOps  = []string{"oneof", "anyof", "allof"}
)

// parseCondition reads the operator and value after an operand.
func (p *parser) parseCondition(start int, left Operand) Expr {
	p.blank()
	c := &Check{At: p.src.Pos(start), Left: left, OpPos: p.src.Pos(p.pos)}
	opStart := p.pos
	if p.literal("exists") {
		c.Op = "exists"
		return c
	}
	for _, op := range numOps {
		if p.literal(op) {
			c.Op = op
			p.blank()
			if v := p.parseFieldOrTransformerValue(); v != nil {
				c.Right = v
				return c
			}
			numStart := p.pos
			num, ok := p.number()
			if !ok {
				p.failf(numStart, "unexpected %s after '%s', expecting a number", p.snippet(numStart), op)
			}
			c.Right = &NumberValue{At: p.src.Pos(numStart), Text: num}
			return c
		}
	}
	for _, op := range symOps {
		if p.literal(op) {
			c.Op = op
			return p.parseModifierOrString(c)
		}
	}
	for _, op := range wordOps {
		if p.keyword(op, "") {
			c.Op = op
			return p.parseModifierOrString(c)
		}
	}
	for _, op := range listOps {
		if p.literal(op) {
			c.Op = op
			p.blank()
			if v := p.parseFieldOrTransformerValue(); v != nil {
				c.Right = v
				return c
			}
			c.Right = p.parseListValue()
			return c
		}
	}
	if p.eof() {
		p.failf(opStart, "unexpected end of condition after %s, expecting an operator", left.String())
	}
	p.failf(opStart, "unexpected %s after %s, expecting an operator", p.snippet(opStart), left.String())
	return nil
}

// parseModifierOrString reads "oneof|anyof|allof (list)" or a StrValue.
func (p *parser) parseModifierOrString(c *Check) Expr {
	p.blank()
	for _, m := range modOps {
		if p.keyword(m, "(") {
			c.Modifier = m
			p.blank()
			c.Right = p.parseListValue()
			return c
		}
	}
	return p.parseStringOperand(c)
}

// parseStringOperand reads the StrValue (or val()/transformer) of c.
func (p *parser) parseStringOperand(c *Check) Expr {
	p.blank()
	if v := p.parseFieldOrTransformerValue(); v != nil {
		c.Right = v
		return c
	}
	if q := p.peekByte(); q == '"' || q == '\'' {
		c.Right = p.parseQuoted()
		return c
	}
	start := p.pos
	s, ok := p.bareString()
	if !ok {
		p.failf(start, "unexpected %s after '%s', expecting a value", p.snippet(start), c.Op)
	}
	c.Right = &StringValue{At: p.src.Pos(start), Text: s}
	return c
}

// parseFieldOrTransformerValue reads val(field) or a transformer, or
// returns nil without consuming anything.
func (p *parser) parseFieldOrTransformerValue() Value {
	start := p.pos
	if p.literal("val(") {
		p.blank()
		fstart := p.pos
		name, dotted := p.name()
		if !dotted {
			p.failf(fstart, "unexpected %s, expecting a field inside val()", p.snippet(fstart))
		}
		f := p.finishField(fstart, name)
		p.blank()
		if !p.literal(")") {
			p.failf(p.pos, "unexpected %s, expecting ')' to close val(", p.snippet(p.pos))
		}
		return &FieldValue{At: p.src.Pos(start), Field: f}
	}
	if name, ok := p.transformerName(); ok {
		return &TransformValue{At: p.src.Pos(start), Transform: p.parseTransformer(start, name)}
	}
	return nil
}

// parseListValue reads "(item, ...)" or a bare identifier.
func (p *parser) parseListValue() *ListValue {
	start := p.pos
	lv := &ListValue{At: p.src.Pos(start)}
	if !p.literal("(") {
		if n := identifierLen(p.text, p.pos); n > 0 {
			lv.Items = []*StringValue{{At: p.src.Pos(start), Text: p.text[p.pos : p.pos+n]}}
			p.pos += n
			return lv
		}
		p.failf(start, "unexpected %s, expecting a list such as (a, b)", p.snippet(start))
	}
	p.blank()
	if p.literal(")") {
		return lv
	}
	for {
		p.blank()
		lv.Items = append(lv.Items, p.parseListItem())
		p.blank()
		if p.literal(",") {
			continue
		}
		if p.literal(")") {
			return lv
		}
		if p.eof() {
			p.failf(p.pos, "unexpected end of condition in the list opened at column %d, expecting ',' or ')'", p.src.Position(start).Col)
		}
		p.failf(p.pos, "unexpected %s in a list, expecting ',' or ')'", p.snippet(p.pos))
	}
}

func (p *parser) parseListItem() *StringValue {
	if q := p.peekByte(); q == '"' || q == '\'' {
		return p.parseQuoted()
	}
	start := p.pos
	s, ok := p.bareString()
	if !ok {
		p.failf(start, "unexpected %s in a list, expecting a value", p.snippet(start))
	}
	return &StringValue{At: p.src.Pos(start), Text: s}
}
