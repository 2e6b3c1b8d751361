package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// Output formats shared by subcommands that print data.
const (
	outTable    = "table"
	outJSON     = "json"
	outCSV      = "csv"
	outMarkdown = "markdown"
)

// addOutputFlag registers --output/-o on cmd, listing the allowed values
// in its help; checkOutput validates the value in RunE.
func addOutputFlag(cmd *cobra.Command, dst *string, def string, allowed ...string) {
	cmd.Flags().StringVarP(dst, "output", "o", def, "output format: "+strings.Join(allowed, "|"))
}

// checkOutput rejects a format outside allowed, as invalid input.
func checkOutput(value string, allowed ...string) error {
	if slices.Contains(allowed, value) {
		return nil
	}
	return withCode(exitInvalid, fmt.Errorf("--output %q: want one of %s", value, strings.Join(allowed, ", ")))
}

// printTable prints rows as space-aligned columns under a header.
func printTable(w io.Writer, headers []string, rows [][]string) error {
	t := newTableWriter(w, headers)
	for _, r := range rows {
		t.row(r)
	}
	return t.flush()
}

// printCSV prints rows as RFC 4180 CSV with a header line.
func printCSV(w io.Writer, headers []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(headers); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// printJSON prints v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printRows prints rows in the given format; json is an array of
// objects keyed by header.
func printRows(w io.Writer, format string, headers []string, rows [][]string) error {
	switch format {
	case outCSV:
		return printCSV(w, headers, rows)
	case outJSON:
		objs := make([]map[string]string, len(rows))
		for i, r := range rows {
			objs[i] = make(map[string]string, len(headers))
			for j, h := range headers {
				if j < len(r) {
					objs[i][h] = r[j]
				}
			}
		}
		return printJSON(w, objs)
	}
	return printTable(w, headers, rows)
}

// tableWriter aligns columns. It flushes every tableChunk rows, so that
// long outputs stream (column widths are then per chunk).
type tableWriter struct {
	tw   *tabwriter.Writer
	n    int
	err  error
	cols int
}

const tableChunk = 1000

func newTableWriter(w io.Writer, headers []string) *tableWriter {
	t := &tableWriter{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0), cols: len(headers)}
	t.row(headers)
	return t
}

func (t *tableWriter) row(cells []string) {
	if t.err != nil {
		return
	}
	clean := make([]string, len(cells))
	for i, c := range cells {
		// A tab or newline inside a cell would break the alignment.
		clean[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(c)
	}
	_, t.err = fmt.Fprintln(t.tw, strings.Join(clean, "\t"))
	if t.n++; t.n%tableChunk == 0 && t.err == nil {
		t.err = t.tw.Flush()
	}
}

func (t *tableWriter) flush() error {
	if t.err != nil {
		return t.err
	}
	return t.tw.Flush()
}
