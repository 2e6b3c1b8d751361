package capture

import (
	"fmt"
	"regexp"
	"strings"
)

// Redacted replaces every match of a redaction pattern.
const Redacted = "[REDACTED]"

// Redactor hides secrets in argv and env values before they are written.
// It is safe for concurrent use.
type Redactor struct {
	patterns []*regexp.Regexp
}

// NewRedactor compiles the patterns (Go RE2 syntax). An invalid pattern is
// an error naming it.
func NewRedactor(patterns []string) (*Redactor, error) {
	r := &Redactor{}
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("redact pattern %q: %w", p, err)
		}
		r.patterns = append(r.patterns, re)
	}
	return r, nil
}

// Active reports whether there is anything to redact.
func (r *Redactor) Active() bool { return r != nil && len(r.patterns) > 0 }

// Argv redacts each argument in place.
func (r *Redactor) Argv(argv []string) {
	if !r.Active() {
		return
	}
	for i, a := range argv {
		argv[i] = r.apply(a)
	}
}

// Env redacts the value of each NAME=value entry in place; names stay
// readable, so replay still sees that LD_PRELOAD was set.
func (r *Redactor) Env(env []string) {
	if !r.Active() {
		return
	}
	for i, e := range env {
		name, value, ok := strings.Cut(e, "=")
		if !ok {
			env[i] = r.apply(e)
			continue
		}
		if v := r.apply(value); v != value {
			env[i] = name + "=" + v
		}
	}
}

func (r *Redactor) apply(s string) string {
	for _, re := range r.patterns {
		if re.MatchString(s) {
			s = re.ReplaceAllLiteralString(s, Redacted)
		}
	}
	return s
}
