package rule

import (
	"fmt"
	"strings"
)

// Severity tells errors from warnings.
type Severity uint8

const (
	SeverityError Severity = iota
	SeverityWarning
)

// Error is a problem at a place in an input: a syntax error in a condition,
// a malformed rules file item, an unknown field. Error() gives the one-line
// form "file:line:col: message"; Detail() adds the source line and a caret.
type Error struct {
	Pos      Position
	Msg      string
	Severity Severity
	line     string // the source line, for Detail
}

// Errorf makes an error at p.
func Errorf(p Pos, format string, args ...any) *Error {
	e := &Error{Msg: fmt.Sprintf(format, args...)}
	if p.IsValid() {
		e.Pos = p.Position()
		if f := p.file(); f != nil {
			e.line = f.LineText(e.Pos.Line)
		}
	}
	return e
}

// errorAtFile makes an error at a 1-based line and column of file.
func errorAtFile(f *File, line, col int, format string, args ...any) *Error {
	return &Error{
		Pos:  Position{Filename: f.Name, Line: line, Col: col},
		Msg:  fmt.Sprintf(format, args...),
		line: f.LineText(line),
	}
}

func (e *Error) Error() string {
	prefix := ""
	if e.Severity == SeverityWarning {
		prefix = "warning: "
	}
	return e.Pos.String() + ": " + prefix + e.Msg
}

// Detail renders the error with the offending source line and a caret
// under the column, as compilers do.
func (e *Error) Detail() string {
	if e.line == "" || e.Pos.Col < 1 {
		return e.Error()
	}
	line, col := e.line, e.Pos.Col-1
	// Long lines (minified YAML) are cut to a window around the column.
	const half = 80
	if len(line) > 2*half {
		start := max(0, min(col-half, len(line)-2*half))
		end := min(len(line), start+2*half)
		prefix, suffix := "", ""
		if start > 0 {
			prefix = "..."
		}
		if end < len(line) {
			suffix = "..."
		}
		line = prefix + line[start:end] + suffix
		col = col - start + len(prefix)
	}
	var caret strings.Builder
	for i := 0; i < col && i < len(line); i++ {
		if line[i] == '\t' {
			caret.WriteByte('\t')
		} else {
			caret.WriteByte(' ')
		}
	}
	caret.WriteByte('^')
	return e.Error() + "\n\t" + line + "\n\t" + caret.String()
}

// MaxErrors caps how many errors one file collects before giving up.
const MaxErrors = 50

// ErrorList collects the errors of one or more files, in order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0].Error(), len(l)-1)
}

// Detail renders every error with its source line and caret.
func (l ErrorList) Detail() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Detail()
	}
	return strings.Join(parts, "\n")
}

// Err returns nil for an empty list, the list otherwise.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
