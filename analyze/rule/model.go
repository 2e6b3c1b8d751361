package rule

import (
	"fmt"
	"strings"
)

// Priority is a rule's severity, most severe first, as in Falco.
type Priority uint8

const (
	PriorityEmergency Priority = iota
	PriorityAlert
	PriorityCritical
	PriorityError
	PriorityWarning
	PriorityNotice
	PriorityInformational
	PriorityDebug
)

var priorityNames = [...]string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

func (p Priority) String() string {
	if int(p) < len(priorityNames) {
		return priorityNames[p]
	}
	return fmt.Sprintf("priority(%d)", uint8(p))
}

// ParsePriority accepts a priority name in any case ("Info" is accepted
// for Informational).
func ParsePriority(s string) (Priority, error) {
	if strings.EqualFold(s, "info") {
		return PriorityInformational, nil
	}
	for i, n := range priorityNames {
		if strings.EqualFold(s, n) {
			return Priority(i), nil
		}
	}
	return 0, fmt.Errorf("unknown priority %q (want one of emergency, alert, critical, error, warning, notice, informational, info, debug)", s)
}

// Macro is a named condition (`- macro:`).
type Macro struct {
	Name string
	// Condition is the text after appends, with its origins.
	Condition *Source
	At        Pos
	// Expr is the parsed condition with its own macro references resolved;
	// nil when the macro has errors.
	Expr Expr
	// index and visibility as for List: a macro can use the macros whose
	// index is below its visibility (defined before its latest definition,
	// append or override).
	index, visibility, slot int
	used                    bool
	bad                     bool
}

// Exception is one entry of a rule's `exceptions:`.
type Exception struct {
	Name string
	At   Pos
	// Fields is one field name when FieldsIsList is false, else several.
	Fields       []string
	FieldsIsList bool
	// Comps has one operator per field; empty means the defaults ("in" for
	// a single field, "=" for each field of a list).
	Comps []string
	// Values: with a single field, each entry has one element (a value);
	// with a field list, each entry is a tuple with one element per field.
	Values [][]ExceptionValue
}

// ExceptionValue is one value of an exception tuple: a scalar, or a list
// of scalars (for list operators such as in and pmatch).
type ExceptionValue struct {
	Text   string
	Items  []string
	IsList bool
	At     Pos
}

// Rule is a loaded rule.
type Rule struct {
	Name        string
	Desc        string
	Condition   *Source // the final text: appends and exceptions included, lists substituted
	Output      string
	OutputAt    Pos // where the output text starts, for output errors
	OutputSrc   *Source
	Priority    Priority
	Tags        []string
	Enabled     bool
	Source      string // event source, "syscall" unless set
	Exceptions  []*Exception
	WarnEvtypes bool
	// SkipIfUnknownFilter: an unknown field makes the rule be skipped
	// (reported) instead of being an error.
	SkipIfUnknownFilter bool
	Capture             bool
	CaptureDuration     int64
	At                  Pos

	// Expr is the parsed condition with macros resolved.
	Expr Expr

	cond    *Source // condition text before exceptions and list substitution
	hasCond bool
	slot    int
}

// PluginRequirement is one `required_plugin_versions` entry.
type PluginRequirement struct {
	Name         string
	Version      string
	Alternatives []PluginRequirement
}

// Ruleset is the result of loading one or more rules files in order. It
// is plain data: nothing changes it after Build, so it may be read from
// several goroutines.
type Ruleset struct {
	Rules  []*Rule // valid rules, in definition order (disabled ones included)
	Macros []*Macro
	Lists  []*List
	// RequiredEngineVersion is the highest version any file asked for.
	RequiredEngineVersion string
	RequiredPlugins       []PluginRequirement
	// Warnings are non-fatal findings (unused lists/macros, unknown keys,
	// deprecated forms).
	Warnings ErrorList
}

// Rule returns the rule called name, or nil.
func (rs *Ruleset) Rule(name string) *Rule {
	for _, r := range rs.Rules {
		if r.Name == name {
			return r
		}
	}
	return nil
}
