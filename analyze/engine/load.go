package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/rewind-sh/rewind/analyze/cond"
	"github.com/rewind-sh/rewind/analyze/fields"
	"github.com/rewind-sh/rewind/analyze/rule"
	"github.com/rewind-sh/rewind/format"
)

// LoadOptions choose how rules that need unavailable fields are treated.
type LoadOptions struct {
	// SkipUnavailable skips a rule that needs a field recordings cannot
	// provide. By default such a rule runs with that field missing (every
	// check on it is false, as in Falco before container metadata
	// arrives) and is listed in Summary.Degraded.
	SkipUnavailable bool
}

// RuleNote names a rule and the unavailable fields it needs.
type RuleNote struct {
	Rule   string
	File   string
	Line   int
	Fields []FieldNote
}

// FieldNote is one unavailable field and why it is unavailable.
type FieldNote struct {
	Field  string
	Reason string
}

// Summary says what became of every rule that was loaded.
type Summary struct {
	Files    []string
	Rules    int // rules defined (after appends and overrides)
	Enabled  int // rules that run
	Disabled int
	// Degraded rules run with unavailable fields treated as missing.
	Degraded []RuleNote
	// Skipped rules do not run (SkipUnavailable, or skip-if-unknown-filter).
	Skipped []RuleNote
	// Warnings are non-fatal findings of the loader and the compiler.
	Warnings rule.ErrorList
}

// String is a one-line account of the summary.
func (s *Summary) String() string {
	return fmt.Sprintf("%d rules: %d enabled, %d disabled, %d run with unavailable fields missing, %d skipped",
		s.Rules, s.Enabled, s.Disabled, len(s.Degraded), len(s.Skipped))
}

// Ruleset is a compiled, indexed set of rules ready to run. It is
// immutable and safe for concurrent use.
type Ruleset struct {
	Program *cond.Program
	Summary *Summary
	// outputFields caches per-field formatters for output_fields.
	outputFields map[*cond.CompiledRule][]outputField
	// trackFiles says whether some rule reads fd.* fields on events whose
	// rows do not describe their descriptor, so opened files must be
	// remembered in the fd tables.
	trackFiles bool
	// readsHashes says whether some rule or output reads a proc.exe.hash
	// field; only then does a run load the exe_hash rows beforehand.
	readsHashes bool
	// columns are the columns a replay reads (see replayColumns).
	columns []format.ColumnID
}

type outputField struct {
	name string
	f    *cond.Formatter
	json JSONKind
}

// InvalidError is returned when rules files are malformed or a condition
// is invalid; Errors holds every problem with its file, line and column.
type InvalidError struct {
	Errors rule.ErrorList
}

func (e *InvalidError) Error() string { return "invalid rules: " + e.Errors.Error() }

// Detail lists every problem with its source line and a caret.
func (e *InvalidError) Detail() string { return e.Errors.Detail() }

// Load reads rules files in order and compiles them. Malformed files and
// invalid conditions give an *InvalidError; a file that cannot be read
// gives a plain error.
func Load(paths []string, opts LoadOptions) (*Ruleset, error) {
	if len(paths) == 0 {
		return nil, errors.New("no rules files given")
	}
	l := rule.NewLoader()
	for _, p := range paths {
		if err := l.LoadFile(p); err != nil {
			return nil, err
		}
	}
	rs, err := l.Build()
	if err != nil {
		var list rule.ErrorList
		if !errors.As(err, &list) || rs == nil {
			return nil, err
		}
		// Report the compile problems of the rules that did load too,
		// so one run shows every error.
		if _, cerr := Compile(rs, paths, opts); cerr != nil {
			var inv *InvalidError
			if errors.As(cerr, &inv) {
				list = append(list, inv.Errors...)
			}
		}
		return nil, &InvalidError{Errors: list}
	}
	return Compile(rs, paths, opts)
}

// Compile compiles a loaded rule set against the default field catalog.
func Compile(rs *rule.Ruleset, files []string, opts LoadOptions) (*Ruleset, error) {
	cat := fields.Default()
	// The strict pass finds the rules that need unavailable fields.
	strict, ssum, err := cond.CompileRules(rs, cat)
	if err != nil {
		return nil, compileErr(err, ssum)
	}
	sum := &Summary{Files: files, Rules: len(rs.Rules), Disabled: ssum.Disabled, Warnings: append(rs.Warnings, ssum.Warnings...)}
	prog := strict
	var degraded []RuleNote
	for _, sk := range ssum.Skipped {
		note := noteFor(sk)
		if len(sk.Unavailable) == 0 || opts.SkipUnavailable {
			sum.Skipped = append(sum.Skipped, note)
		} else {
			degraded = append(degraded, note)
		}
	}
	if len(degraded) > 0 {
		lenient := fields.NewLenient(cat)
		lp, lsum, err := cond.CompileRules(rs, lenient)
		if err != nil {
			return nil, compileErr(err, lsum)
		}
		prog = lp
		sum.Degraded = degraded
	}
	sum.Enabled = len(prog.Rules)
	sort.Slice(sum.Skipped, func(i, j int) bool { return sum.Skipped[i].Rule < sum.Skipped[j].Rule })
	out := &Ruleset{Program: prog, Summary: sum, outputFields: map[*cond.CompiledRule][]outputField{}}
	if err := out.compileOutputFields(cat); err != nil {
		return nil, err
	}
	out.trackFiles = needsFileTable(prog)
	out.readsHashes = readsAnyField(prog, hashFields)
	out.columns = replayColumns(prog)
	return out, nil
}

func compileErr(err error, sum *cond.Summary) error {
	if sum != nil && len(sum.Errors) > 0 {
		return &InvalidError{Errors: sum.Errors}
	}
	var list rule.ErrorList
	if errors.As(err, &list) {
		return &InvalidError{Errors: list}
	}
	return err
}

func noteFor(sk cond.SkippedRule) RuleNote {
	n := RuleNote{Rule: sk.Rule.Name}
	if sk.Rule.At.IsValid() {
		p := sk.Rule.At.Position()
		n.File, n.Line = p.Filename, p.Line
	}
	seen := map[string]bool{}
	for _, u := range sk.Unavailable {
		if !seen[u.Field] {
			seen[u.Field] = true
			n.Fields = append(n.Fields, FieldNote{Field: u.Field, Reason: u.Reason})
		}
	}
	if len(n.Fields) == 0 {
		n.Fields = append(n.Fields, FieldNote{Reason: sk.Reason})
	}
	return n
}

// compileOutputFields compiles one formatter per field each output
// prints, for the output_fields object of JSON alerts.
func (r *Ruleset) compileOutputFields(cat cond.Catalog) error {
	cc := cond.NewCompiler(fields.NewLenient(cat))
	cache := map[string]*cond.Formatter{}
	for _, cr := range r.Program.Rules {
		if cr.Output == nil {
			continue
		}
		var ofs []outputField
		for _, name := range cr.Output.FieldNames() {
			f, ok := cache[name]
			if !ok {
				var err error
				f, _, err = cc.CompileOutput(rule.NewSource(nil, 0, "%"+name))
				if err != nil {
					return fmt.Errorf("rule %q: output field %s: %w", cr.Rule.Name, name, err)
				}
				cache[name] = f
			}
			ofs = append(ofs, outputField{name: name, f: f, json: jsonKindOf(cat, name)})
		}
		r.outputFields[cr] = ofs
	}
	return nil
}

// needsFileTable reports whether a rule reads fd.* fields (in its
// condition or output) on an evt.type the recorder writes whose rows do
// not carry their descriptor's path or addresses.
// hashFields are the fields that read the exe_hash join table.
var hashFields = []string{"proc.exe.sha256", "proc.exe.hash_source", "proc.exe.hash_error", "proc.exe.script.sha256"}

// readsAnyField reports whether a condition or output of p names one of
// the fields, alone or inside a transformer.
func readsAnyField(p *cond.Program, fields []string) bool {
	for _, cr := range p.Rules {
		names := cr.Condition.Fields
		if cr.Output != nil {
			names = append(names[:len(names):len(names)], cr.Output.FieldNames()...)
		}
		for _, n := range names {
			for _, f := range fields {
				if strings.Contains(n, f) {
					return true
				}
			}
		}
	}
	return false
}

func needsFileTable(p *cond.Program) bool {
	var opaque []string
	for _, t := range fields.EventTypes() {
		if !fields.SelfDescribing(t) {
			opaque = append(opaque, t)
		}
	}
	for _, cr := range p.Rules {
		names := cr.Condition.Fields
		if cr.Output != nil {
			names = append(names[:len(names):len(names)], cr.Output.FieldNames()...)
		}
		usesFD := false
		for _, n := range names {
			if strings.HasPrefix(n, "fd.") || strings.Contains(n, "(fd.") {
				usesFD = true
				break
			}
		}
		if !usesFD {
			continue
		}
		for _, t := range opaque {
			if cr.Condition.Types.Has(t) {
				return true
			}
		}
	}
	return false
}

// jsonKindOf picks the JSON form of an output field from its catalog
// type; transformers and anything unknown print as strings.
func jsonKindOf(cat cond.Catalog, name string) JSONKind {
	if strings.ContainsAny(name, "()") {
		return JSONString
	}
	field, arg, hasArg := name, "", false
	if i := strings.IndexByte(name, '['); i > 0 && strings.HasSuffix(name, "]") {
		field, arg, hasArg = name[:i], name[i+1:len(name)-1], true
	}
	_, spec, err := cat.Lookup(field, arg, hasArg)
	if err != nil || spec.IsList {
		return JSONString
	}
	switch spec.Type {
	case cond.TypeInt64, cond.TypeUint64, cond.TypeAbsTime, cond.TypeRelTime, cond.TypePort:
		return JSONNumber
	case cond.TypeBool:
		return JSONBool
	}
	return JSONString
}

// DescribeNotes renders notes one rule per line, "  rule (file:line):
// field, field", followed by each field's reason once.
func DescribeNotes(notes []RuleNote) string {
	var b strings.Builder
	reasons := map[string]string{}
	var order []string
	for _, n := range notes {
		fmt.Fprintf(&b, "  %s", n.Rule)
		if n.File != "" {
			fmt.Fprintf(&b, " (%s:%d)", n.File, n.Line)
		}
		b.WriteString(":")
		for i, f := range n.Fields {
			if i > 0 {
				b.WriteString(",")
			}
			if f.Field == "" {
				fmt.Fprintf(&b, " %s", f.Reason)
				continue
			}
			fmt.Fprintf(&b, " %s", f.Field)
			if _, seen := reasons[f.Field]; !seen {
				reasons[f.Field] = f.Reason
				order = append(order, f.Field)
			}
		}
		b.WriteString("\n")
	}
	sort.Strings(order)
	for _, f := range order {
		fmt.Fprintf(&b, "    %s: %s\n", f, reasons[f])
	}
	return b.String()
}
