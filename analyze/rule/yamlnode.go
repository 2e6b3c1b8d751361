package rule

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// fileCtx is one rules file being read.
type fileCtx struct {
	// fallback is the mapping being read, reported when a key is missing.
	fallback *yaml.Node
	file     *File
	whole    *Source // the whole file, for positions of YAML nodes
}

func newFileCtx(name string, data []byte) *fileCtx {
	f := NewFile(name, data)
	return &fileCtx{file: f, whole: NewSource(f, 0, string(data))}
}

// pos returns the position of a YAML node.
func (fc *fileCtx) pos(n *yaml.Node) Pos {
	if n == nil {
		n = fc.fallback
	}
	if n == nil {
		return fc.whole.Pos(0)
	}
	return fc.whole.Pos(fc.file.Offset(n.Line, n.Column))
}

func (fc *fileCtx) errorf(n *yaml.Node, format string, args ...any) *Error {
	return Errorf(fc.pos(n), format, args...)
}

// deref follows YAML aliases.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// mapping is a YAML mapping with its keys in order.
type mapping struct {
	node *yaml.Node
	keys []*yaml.Node
	vals map[string]*yaml.Node
	keyN map[string]*yaml.Node
}

// asMapping checks that n is a mapping with unique scalar keys.
func (fc *fileCtx) asMapping(n *yaml.Node, what string) (*mapping, *Error) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, fc.errorf(n, "%s must be a mapping, not %s", what, kindName(n))
	}
	fc.fallback = n
	m := &mapping{node: n, vals: map[string]*yaml.Node{}, keyN: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k == nil || k.Kind != yaml.ScalarNode {
			return nil, fc.errorf(n.Content[i], "%s keys must be plain strings", what)
		}
		if _, dup := m.vals[k.Value]; dup {
			return nil, fc.errorf(k, "duplicate key %q in %s", k.Value, what)
		}
		m.keys = append(m.keys, k)
		m.vals[k.Value] = v
		m.keyN[k.Value] = k
	}
	return m, nil
}

func (m *mapping) has(key string) bool { _, ok := m.vals[key]; return ok }

func kindName(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "a scalar"
	case yaml.DocumentNode:
		return "a document"
	}
	return "an alias"
}

// str reads a scalar as text.
func (fc *fileCtx) str(n *yaml.Node, key string) (string, *Error) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", fc.errorf(n, "%s must be a string, not %s", key, kindName(n))
	}
	return n.Value, nil
}

// nonEmptyStr reads a scalar that must not be empty.
func (fc *fileCtx) nonEmptyStr(n *yaml.Node, key string) (string, *Error) {
	s, err := fc.str(n, key)
	if err == nil && strings.TrimSpace(s) == "" {
		err = fc.errorf(n, "%s must not be empty", key)
	}
	return s, err
}

func (fc *fileCtx) boolean(n *yaml.Node, key string) (bool, *Error) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return false, fc.errorf(n, "%s must be true or false, not %s", key, kindName(n))
	}
	var b bool
	if n.Tag != "!!bool" || n.Decode(&b) != nil {
		return false, fc.errorf(n, "%s must be true or false, not %q", key, n.Value)
	}
	return b, nil
}

// scalarText renders a scalar item (string or number) as condition text;
// YAML integers become their decimal text.
func scalarText(n *yaml.Node) string {
	if n.Tag == "!!int" {
		var v int64
		if n.Decode(&v) == nil {
			return strconv.FormatInt(v, 10)
		}
	}
	return n.Value
}

// strSeq reads a sequence of scalars (or one scalar when allowScalar).
func (fc *fileCtx) strSeq(n *yaml.Node, key string, allowScalar bool) ([]string, []*yaml.Node, *Error) {
	n = deref(n)
	if n == nil {
		return nil, nil, fc.errorf(n, "%s must be a sequence", key)
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil, nil
	}
	if n.Kind == yaml.ScalarNode && allowScalar {
		return []string{scalarText(n)}, []*yaml.Node{n}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, nil, fc.errorf(n, "%s must be a sequence, not %s", key, kindName(n))
	}
	out := make([]string, 0, len(n.Content))
	nodes := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		c = deref(c)
		if c == nil || c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
			return nil, nil, fc.errorf(c, "%s entries must be strings, not %s", key, kindName(c))
		}
		out = append(out, scalarText(c))
		nodes = append(nodes, c)
	}
	return out, nodes, nil
}

// scalarSource makes a Source for a scalar's value whose bytes map back to
// the file. YAML folding and quoting change the text, so the value is
// aligned with the raw bytes: non-blank bytes must match in order, skipping
// indentation, quotes, escapes and block indicators. When alignment fails
// (an escape that changes a byte), the rest maps to where it got lost.
func (fc *fileCtx) scalarSource(n *yaml.Node) *Source {
	val := n.Value
	raw := fc.file.Data
	p := fc.file.Offset(n.Line, n.Column)
	offs := make([]int32, len(val))
	lost := false
	for i := 0; i < len(val); i++ {
		if lost || p >= len(raw) {
			offs[i] = int32(min(p, len(raw)))
			continue
		}
		c := val[i]
		if isBlank(c) {
			offs[i] = int32(p)
			if isBlank(raw[p]) {
				p++
			}
			continue
		}
		q := p
		for q < len(raw) && raw[q] != c && skippableInScalar(raw[q]) {
			q++
		}
		if q < len(raw) && raw[q] == c {
			offs[i] = int32(q)
			p = q + 1
			continue
		}
		lost = true
		offs[i] = int32(p)
	}
	return &Source{Text: val, segs: []segment{{file: fc.file, offs: offs}}}
}

func skippableInScalar(c byte) bool {
	return isBlank(c) || c == '"' || c == '\'' || c == '\\' || c == '>' || c == '|' || c == '-' || c == '+' || isDigit(c)
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yamlError converts a yaml.v3 error into an *Error of the file.
func (fc *fileCtx) yamlError(err error) *Error {
	msg := err.Error()
	if te, ok := err.(*yaml.TypeError); ok {
		msg = strings.Join(te.Errors, "; ")
	}
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			line, _ = strconv.Atoi(m[1])
		}
		msg = m[2]
	}
	if line == 0 {
		return &Error{Pos: Position{Filename: fc.file.Name}, Msg: fmt.Sprintf("invalid YAML: %s", msg)}
	}
	return errorAtFile(fc.file, line, 1, "invalid YAML: %s", msg)
}
