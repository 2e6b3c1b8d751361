//go:build duckdb_arrow

package queries

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"
)

// Output formats of a result.
const (
	OutputTable = "table"
	OutputCSV   = "csv"
	OutputJSON  = "json"
)

// OutputFormats lists the accepted output formats.
var OutputFormats = []string{OutputTable, OutputCSV, OutputJSON}

// NewSink returns a Sink writing a result to w as an aligned text table,
// CSV with a header line, or a JSON array of objects. Table and CSV
// write times as RFC 3339 with nanoseconds, UTC; lists and maps as JSON.
func NewSink(format string, w io.Writer) (Sink, error) {
	switch format {
	case OutputTable:
		return &tableSink{w: w}, nil
	case OutputCSV:
		return &csvSink{w: csv.NewWriter(w)}, nil
	case OutputJSON:
		return &jsonSink{w: bufio.NewWriter(w)}, nil
	}
	return nil, fmt.Errorf("unknown output format %q (want %s)", format, strings.Join(OutputFormats, ", "))
}

// jsonValue turns a scanned value into one encoding/json renders
// faithfully: times as RFC 3339 strings, maps with string keys.
func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(jsonValue(k))] = jsonValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return out
	case *big.Int:
		return json.Number(x.String())
	case fmt.Stringer:
		return x.String()
	}
	return v
}

// textValue renders a value in one table or CSV cell.
func textValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return fmt.Sprintf("%x", x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []any, map[any]any, map[string]any:
		b, err := json.Marshal(jsonValue(x))
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

type csvSink struct {
	w    *csv.Writer
	cols int
}

func (s *csvSink) Columns(cols []ResultColumn) error {
	s.cols = len(cols)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return s.w.Write(names)
}

func (s *csvSink) Row(vals []any) error {
	rec := make([]string, len(vals))
	for i, v := range vals {
		rec[i] = textValue(v)
	}
	return s.w.Write(rec)
}

func (s *csvSink) Flush() error {
	s.w.Flush()
	return s.w.Error()
}

type jsonSink struct {
	w    *bufio.Writer
	cols []ResultColumn
	rows int
}

func (s *jsonSink) Columns(cols []ResultColumn) error {
	s.cols = cols
	_, err := s.w.WriteString("[")
	return err
}

func (s *jsonSink) Row(vals []any) error {
	// An object keeps the column order, which a Go map would not.
	var b strings.Builder
	if s.rows > 0 {
		b.WriteString(",")
	}
	b.WriteString("\n  {")
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		k, _ := json.Marshal(s.cols[i].Name)
		val, err := json.Marshal(jsonValue(v))
		if err != nil {
			return fmt.Errorf("column %s: %w", s.cols[i].Name, err)
		}
		b.Write(k)
		b.WriteString(": ")
		b.Write(val)
	}
	b.WriteString("}")
	s.rows++
	_, err := s.w.WriteString(b.String())
	return err
}

func (s *jsonSink) Flush() error {
	end := "\n]\n"
	if s.rows == 0 {
		end = "]\n"
	}
	if _, err := s.w.WriteString(end); err != nil {
		return err
	}
	return s.w.Flush()
}

// cellEscaper keeps a table cell on its line.
var cellEscaper = strings.NewReplacer("\n", `\n`, "\t", `\t`)

// maxCell bounds a table cell; CSV and JSON are never cut.
const maxCell = 100

type tableSink struct {
	w    io.Writer
	cols []ResultColumn
	rows [][]string
}

func (s *tableSink) Columns(cols []ResultColumn) error {
	s.cols = cols
	return nil
}

func (s *tableSink) Row(vals []any) error {
	row := make([]string, len(vals))
	for i, v := range vals {
		t := cellEscaper.Replace(textValue(v))
		if utf8.RuneCountInString(t) > maxCell {
			t = string([]rune(t)[:maxCell-1]) + "…"
		}
		row[i] = t
	}
	s.rows = append(s.rows, row)
	return nil
}

func (s *tableSink) Flush() error {
	widths := make([]int, len(s.cols))
	for i, c := range s.cols {
		widths[i] = utf8.RuneCountInString(c.Name)
	}
	for _, r := range s.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	bw := bufio.NewWriter(s.w)
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
			}
		}
		bw.WriteString(strings.TrimRight(b.String(), " ") + "\n")
	}
	names := make([]string, len(s.cols))
	for i, c := range s.cols {
		names[i] = strings.ToUpper(c.Name)
	}
	line(names)
	for _, r := range s.rows {
		line(r)
	}
	if len(s.rows) == 0 {
		bw.WriteString("(no rows)\n")
	}
	return bw.Flush()
}
