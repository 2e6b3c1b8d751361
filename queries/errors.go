//go:build duckdb_arrow

package queries

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// SQLError is a DuckDB error located in the statement text: the query
// name (a named query, or "sql"), the 1-based line and column (0 when
// DuckDB gave no position), and DuckDB's message without its own
// position display.
type SQLError struct {
	Query   string
	Line    int
	Column  int
	Message string
	source  string // the offending line, for the caret display
}

func (e *SQLError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("query %s: %s", e.Query, e.Message)
	}
	caret := strings.Repeat(" ", e.Column-1) + "^"
	return fmt.Sprintf("query %s:%d:%d: %s\n    %s\n    %s", e.Query, e.Line, e.Column, e.Message, e.source, caret)
}

// duckdbLine matches the position display DuckDB appends to parser,
// binder and catalog errors: "LINE 3: <text>\n          ^".
var duckdbLine = regexp.MustCompile(`(?s)\n*LINE (\d+): ([^\n]*)\n( *)\^\s*$`)

// sqlError turns a DuckDB error into an *SQLError naming the query and
// the position in text. Errors that are not DuckDB's pass through with
// the query name.
func sqlError(name, text string, err error) error {
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return fmt.Errorf("query %s: %w", name, err)
	}
	msg := strings.TrimSpace(de.Msg)
	out := &SQLError{Query: name, Message: msg}
	m := duckdbLine.FindStringSubmatchIndex(msg)
	if m == nil {
		return out
	}
	out.Message = strings.TrimSpace(msg[:m[0]])
	line, _ := strconv.Atoi(msg[m[2]:m[3]])
	shown := msg[m[4]:m[5]]
	// The caret sits under the shown text, which follows "LINE n: ".
	caretAt := len(msg[m[6]:m[7]]) - len("LINE : ") - len(msg[m[2]:m[3]])
	lines := strings.Split(text, "\n")
	if line < 1 || line > len(lines) || caretAt < 0 {
		return out
	}
	src := lines[line-1]
	// DuckDB shortens long lines to a window marked with "...".
	start := 0
	trimmed := strings.TrimPrefix(shown, "...")
	if len(trimmed) != len(shown) {
		caretAt -= 3
	}
	trimmed = strings.TrimSuffix(trimmed, "...")
	if i := strings.Index(src, trimmed); i >= 0 {
		start = i
	}
	out.Line = line
	out.Column = start + caretAt + 1
	if out.Column < 1 {
		out.Column = 1
	}
	out.source = strings.TrimRight(src, " \t\r")
	if out.Column > len(out.source)+1 {
		out.Column = len(out.source) + 1
	}
	return out
}
