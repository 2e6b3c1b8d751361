package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rewind-sh/rewind/format"
	"github.com/spf13/cobra"
)

func init() { register(newDumpCmd) }

type dumpOptions struct {
	since, until string
	pids         []int32
	kinds        []string
	output       string
}

func newDumpCmd() *cobra.Command {
	var o dumpOptions
	cmd := &cobra.Command{
		Use:   "dump DIR",
		Short: "Print the events of a recording, optionally filtered by time, pid and kind",
		Long: "dump prints events in recording order. --since and --until take an RFC 3339\n" +
			"time or an offset from the recording's first event (+5s, +2m). The table\n" +
			"shows the common columns and the kind's other non-null columns as\n" +
			"name=value; csv has every column; json prints one object per line with\n" +
			"the row's non-null columns.",
		Example: "  rewind-replay dump rec/\n" +
			"  rewind-replay dump --since +5s --until +10s --kind exec,open rec/\n" +
			"  rewind-replay dump --pid 4242 -o json rec/",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(o.output, outTable, outJSON, outCSV); err != nil {
				return err
			}
			rec, err := format.Open(args[0])
			if err != nil {
				return withCode(exitError, err)
			}
			opts, err := o.scanOptions(rec)
			if err != nil {
				return err
			}
			for _, w := range rec.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			watchProgress(cmd, rec)
			return withCode(exitError, dumpEvents(cmd.OutOrStdout(), rec, opts, o.output))
		},
	}
	cmd.Flags().StringVar(&o.since, "since", "", "first time to print: RFC 3339 or +DURATION from the recording start")
	cmd.Flags().StringVar(&o.until, "until", "", "time to stop before: RFC 3339 or +DURATION from the recording start")
	cmd.Flags().Int32SliceVar(&o.pids, "pid", nil, "only these pids (repeat or comma-separate)")
	cmd.Flags().StringSliceVar(&o.kinds, "kind", nil, "only these kinds: "+kindNames()+" (repeat or comma-separate)")
	addOutputFlag(cmd, &o.output, outTable, outTable, outJSON, outCSV)
	return cmd
}

func kindNames() string {
	var names []string
	for _, k := range format.Kinds() {
		names = append(names, k.String())
	}
	return strings.Join(names, ",")
}

func (o *dumpOptions) scanOptions(rec *format.Recording) (format.ScanOptions, error) {
	var opts format.ScanOptions
	for _, name := range o.kinds {
		k, err := format.ParseKind(strings.TrimSpace(name))
		if err != nil {
			return opts, withCode(exitInvalid, fmt.Errorf("--kind: %w (want %s)", err, kindNames()))
		}
		opts.Kinds |= format.SetOf(k)
	}
	if len(o.pids) > 0 {
		opts.Pids = o.pids
	}
	if o.since == "" && o.until == "" {
		return opts, nil
	}
	start, err := rec.Start()
	if err != nil {
		return opts, withCode(exitError, err)
	}
	if o.since != "" {
		if opts.Since, err = format.ParseTimeBound(o.since, start); err != nil {
			return opts, withCode(exitInvalid, fmt.Errorf("--since: %w", err))
		}
	}
	if o.until != "" {
		if opts.Until, err = format.ParseTimeBound(o.until, start); err != nil {
			return opts, withCode(exitInvalid, fmt.Errorf("--until: %w", err))
		}
	}
	return opts, nil
}

// dumpHeaders are the table columns; the rest goes to DETAILS.
var dumpHeaders = []format.ColumnID{format.ColTs, format.ColKind, format.ColSyscall, format.ColPid, format.ColTid, format.ColComm, format.ColRet}

func dumpEvents(w io.Writer, rec *format.Recording, opts format.ScanOptions, output string) error {
	var (
		table  *tableWriter
		csvOut [][]string
		enc    = json.NewEncoder(w)
		fields []format.FieldValue
	)
	switch output {
	case outTable:
		var h []string
		for _, c := range dumpHeaders {
			h = append(h, strings.ToUpper(format.Columns[c].Name))
		}
		table = newTableWriter(w, append(h, "DETAILS"))
	case outCSV:
		var h []string
		for _, c := range format.Columns {
			h = append(h, c.Name)
		}
		if err := printCSV(w, h, nil); err != nil {
			return err
		}
	}
	err := rec.Scan(opts, func(b *format.Batch) error {
		for i := 0; i < b.Len(); i++ {
			if !opts.Match(b, i) {
				continue
			}
			switch output {
			case outJSON:
				obj := make(map[string]any)
				fields = b.Fields(i, fields[:0])
				for _, f := range fields {
					obj[format.Columns[f.Col].Name] = f.Value
				}
				if err := enc.Encode(obj); err != nil {
					return err
				}
			case outCSV:
				row := make([]string, format.NumColumns)
				for c := range format.Columns {
					row[c] = format.FormatValue(b.Value(format.ColumnID(c), i))
				}
				csvOut = append(csvOut, row)
				if len(csvOut) >= tableChunk {
					if err := writeCSVRows(w, csvOut); err != nil {
						return err
					}
					csvOut = csvOut[:0]
				}
			default:
				table.row(dumpTableRow(b, i, fields[:0]))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch output {
	case outCSV:
		return writeCSVRows(w, csvOut)
	case outTable:
		return table.flush()
	}
	return nil
}

func writeCSVRows(w io.Writer, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

func dumpTableRow(b *format.Batch, i int, fields []format.FieldValue) []string {
	row := make([]string, 0, len(dumpHeaders)+1)
	shown := map[format.ColumnID]bool{}
	for _, c := range dumpHeaders {
		row = append(row, format.FormatValue(b.Value(c, i)))
		shown[c] = true
	}
	var details []string
	for _, f := range b.Fields(i, fields) {
		if shown[f.Col] || f.Col == format.ColCPU || f.Col == format.ColSeq {
			continue
		}
		v := format.FormatValue(f.Value)
		if s, ok := f.Value.(string); ok && strings.ContainsAny(s, " \t") {
			v = strconv.Quote(s)
		}
		details = append(details, format.Columns[f.Col].Name+"="+v)
	}
	return append(row, strings.Join(details, " "))
}
