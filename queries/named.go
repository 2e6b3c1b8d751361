//go:build duckdb_arrow

package queries

import (
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed *.sql
var namedFS embed.FS

// ParamType is the type of a named query parameter, as written in the
// query's header.
type ParamType string

// The parameter types. TIME values are bound as BIGINT nanoseconds since
// the Unix epoch, so the SQL compares them with epoch_ns(ts).
const (
	ParamInteger ParamType = "INTEGER"
	ParamText    ParamType = "TEXT"
	ParamTime    ParamType = "TIME"
	ParamBoolean ParamType = "BOOLEAN"
)

// Param is one parameter of a named query, bound as $Name.
type Param struct {
	Name     string
	Type     ParamType
	Required bool
	Doc      string
}

// NamedQuery is one embedded .sql file. Its header (the leading comment
// lines) holds a one-line question, a description, and one
// "@param NAME TYPE required|optional DOC" line per parameter.
type NamedQuery struct {
	Name     string // file name without .sql
	Question string // first header line
	Doc      string // the rest of the header, parameters excluded
	Params   []Param
	SQL      string // the whole file, header included, so positions match
}

var namedQueries = mustLoadNamed()

func mustLoadNamed() map[string]*NamedQuery {
	out, err := loadNamed(namedFS)
	if err != nil {
		panic(err) // the files are embedded: a bad header is a build bug, caught by the tests
	}
	return out
}

func loadNamed(fsys fs.FS) (map[string]*NamedQuery, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	out := map[string]*NamedQuery{}
	for _, file := range names {
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, err
		}
		q, err := parseNamed(strings.TrimSuffix(file, ".sql"), string(b))
		if err != nil {
			return nil, err
		}
		out[q.Name] = q
	}
	return out, nil
}

// parseNamed reads a named query's header.
func parseNamed(name, text string) (*NamedQuery, error) {
	q := &NamedQuery{Name: name, SQL: text}
	var doc []string
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if !strings.HasPrefix(trimmed, "--") {
			break
		}
		body := strings.TrimSpace(strings.TrimPrefix(trimmed, "--"))
		if rest, ok := strings.CutPrefix(body, "@param"); ok {
			p, err := parseParam(rest)
			if err != nil {
				return nil, fmt.Errorf("query %s:%d: %w", name, i+1, err)
			}
			for _, have := range q.Params {
				if have.Name == p.Name {
					return nil, fmt.Errorf("query %s:%d: parameter %s declared twice", name, i+1, p.Name)
				}
			}
			q.Params = append(q.Params, p)
			continue
		}
		if q.Question == "" {
			q.Question = body
			continue
		}
		doc = append(doc, body)
	}
	if q.Question == "" {
		return nil, fmt.Errorf("query %s:1: no header comment saying what the query answers", name)
	}
	q.Doc = strings.TrimSpace(strings.Join(doc, "\n"))
	for _, p := range q.Params {
		if !strings.Contains(text, "$"+p.Name) {
			return nil, fmt.Errorf("query %s: parameter %s is declared but never used as $%s", name, p.Name, p.Name)
		}
	}
	return q, nil
}

func parseParam(s string) (Param, error) {
	f := strings.Fields(s)
	if len(f) < 3 {
		return Param{}, fmt.Errorf("@param wants NAME TYPE required|optional DOC, got %q", strings.TrimSpace(s))
	}
	p := Param{Name: f[0], Type: ParamType(strings.ToUpper(f[1])), Doc: strings.Join(f[3:], " ")}
	switch p.Type {
	case ParamInteger, ParamText, ParamTime, ParamBoolean:
	default:
		return Param{}, fmt.Errorf("parameter %s: unknown type %s (want INTEGER, TEXT, TIME or BOOLEAN)", p.Name, f[1])
	}
	switch f[2] {
	case "required":
		p.Required = true
	case "optional":
	default:
		return Param{}, fmt.Errorf("parameter %s: want required or optional, got %q", p.Name, f[2])
	}
	return p, nil
}

// Named returns the embedded named query called name.
func Named(name string) (*NamedQuery, bool) {
	q, ok := namedQueries[name]
	return q, ok
}

// NamedQueries lists the embedded named queries by name.
func NamedQueries() []*NamedQuery {
	out := make([]*NamedQuery, 0, len(namedQueries))
	for _, q := range namedQueries {
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Bind converts the given parameter values (text, as typed by a user)
// into the arguments of q's SQL: every declared parameter is bound, to
// NULL when optional and not given.
func (q *NamedQuery) Bind(values map[string]string) ([]any, error) {
	for k := range values {
		if _, ok := q.param(k); !ok {
			return nil, fmt.Errorf("query %s: unknown parameter %q (it takes: %s)", q.Name, k, q.paramNames())
		}
	}
	args := make([]any, 0, len(q.Params))
	for _, p := range q.Params {
		raw, ok := values[p.Name]
		if !ok {
			if p.Required {
				return nil, fmt.Errorf("query %s: parameter %s is required (%s)", q.Name, p.Name, p.Doc)
			}
			args = append(args, sql.Named(p.Name, nil))
			continue
		}
		v, err := parseValue(p.Type, raw)
		if err != nil {
			return nil, fmt.Errorf("query %s: parameter %s: %w", q.Name, p.Name, err)
		}
		args = append(args, sql.Named(p.Name, v))
	}
	return args, nil
}

func (q *NamedQuery) param(name string) (Param, bool) {
	for _, p := range q.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

func (q *NamedQuery) paramNames() string {
	if len(q.Params) == 0 {
		return "no parameters"
	}
	names := make([]string, len(q.Params))
	for i, p := range q.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

func parseValue(t ParamType, raw string) (any, error) {
	switch t {
	case ParamInteger:
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want an integer, got %q", raw)
		}
		return n, nil
	case ParamBoolean:
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("want true or false, got %q", raw)
		}
		return b, nil
	case ParamTime:
		return ParseTime(raw)
	}
	return raw, nil
}

// timeLayouts are the accepted TIME spellings; a time without a zone is
// UTC, like every time a recording holds.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// ParseTime reads a time as RFC 3339 (zone optional, UTC by default),
// "YYYY-MM-DD hh:mm:ss[.fraction]", a date, or an integer count of
// nanoseconds since the Unix epoch, and returns nanoseconds since the
// epoch.
func ParseTime(raw string) (int64, error) {
	s := strings.TrimSpace(raw)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UnixNano(), nil
		}
	}
	return 0, fmt.Errorf("want a time like 2026-11-23T14:02:00Z, \"2026-11-23 14:02:00.5\" or ns since the epoch, got %q", raw)
}
