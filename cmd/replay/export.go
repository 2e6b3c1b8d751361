//go:build duckdb_arrow

package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/rewind-sh/rewind/format"
	"github.com/rewind-sh/rewind/queries"
	"github.com/spf13/cobra"
)

func init() { register(newExportCmd) }

type exportOptions struct {
	format string
	view   string
	noHost bool
}

func newExportCmd() *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export --format parquet|jsonl DIR OUT",
		Short: "Export a recording to Parquet or JSON lines for other query engines",
		Long: "export writes every row and column of a recording (or of one view with\n" +
			"--view) to the file OUT, streaming. Two columns are put first, host and\n" +
			"boot_id from the manifest, so that the exports of a fleet can be queried\n" +
			"together (see docs/queries.md). Times are UTC nanosecond timestamps.",
		Example: "  rewind-replay export --format parquet rec/ web-1.parquet\n" +
			"  rewind-replay export --format jsonl --view processes rec/ processes.jsonl",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(queries.ExportFormats, o.format) {
				return withCode(exitInvalid, fmt.Errorf("--format %q: want one of %s", o.format, strings.Join(queries.ExportFormats, ", ")))
			}
			rec, err := format.Open(args[0])
			if err != nil {
				return withCode(exitError, err)
			}
			for _, w := range rec.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			watchProgress(cmd, rec)
			r, err := queries.New(rec, queries.Options{AllowFiles: true})
			if err != nil {
				return withCode(exitError, fmt.Errorf("recording %s: %w", args[0], err))
			}
			defer r.Close()
			opts := queries.ExportOptions{Format: o.format, Out: args[1], View: o.view}
			if !o.noHost {
				opts.Host, opts.BootID = queries.HostOf(rec)
			}
			err = r.Export(ctxOf(cmd), opts)
			activeProgress.done()
			if err != nil {
				return withCode(exitError, err)
			}
			st, err := os.Stat(args[1])
			if err != nil {
				return withCode(exitError, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %s of %s to %s (%d bytes)\n", o.view, args[0], args[1], st.Size())
			return nil
		},
	}
	cmd.Flags().StringVar(&o.format, "format", queries.ExportParquet, "output format: "+strings.Join(queries.ExportFormats, "|"))
	cmd.Flags().StringVar(&o.view, "view", "events", "view or table to export: events, files, network, security, processes, execs, ...")
	cmd.Flags().BoolVar(&o.noHost, "no-host", false, "leave out the host and boot_id columns")
	return cmd
}
