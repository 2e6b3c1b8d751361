//go:build duckdb_arrow

package main

import (
	"errors"

	"github.com/rewind-sh/rewind/queries"
	"github.com/spf13/cobra"
)

func init() { register(newSQLCmd) }

type sqlOptions struct {
	output      string
	memoryLimit string
}

func newSQLCmd() *cobra.Command {
	var o sqlOptions
	cmd := &cobra.Command{
		Use:   "sql 'SELECT ...' DIR",
		Short: "Run a SQL statement (DuckDB dialect) on a recording",
		Long: "sql runs one statement against the recording's views and tables:\n" +
			"  events     every row, every column (see rewind-replay schema)\n" +
			"  files      kinds open and file        network   kind net\n" +
			"  security   kind security\n" +
			"  processes  one row per process instance: start, end, parent, lineage,\n" +
			"             exe identity and sha256, user, container\n" +
			"  execs      one row per exec, with its hash and user\n" +
			"  hashes, users, groups, drops, first_keyframe\n" +
			"Times are TIMESTAMP_NS in UTC. The recording is streamed, not loaded: a\n" +
			"streamed view (events, files, network, security) can be read once per\n" +
			"statement; use a MATERIALIZED CTE to read it twice. Files outside the\n" +
			"recording cannot be read or written.",
		Example: "  rewind-replay sql \"SELECT kind, count(*) FROM events GROUP BY ALL\" rec/\n" +
			"  rewind-replay sql \"SELECT pid, exe_path, sha256 FROM processes WHERE user_name = 'alice'\" rec/\n" +
			"  rewind-replay sql -o csv \"SELECT * FROM network WHERE dport = 4444\" rec/",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(o.output, outTable, outCSV, outJSON); err != nil {
				return err
			}
			r, err := openRunner(cmd, args[1], queries.Options{MemoryLimit: o.memoryLimit})
			if err != nil {
				return err
			}
			defer r.Close()
			sink, err := queries.NewSink(o.output, cmd.OutOrStdout())
			if err != nil {
				return withCode(exitInvalid, err)
			}
			err = r.Query(ctxOf(cmd), "sql", args[0], sink)
			var se *queries.SQLError
			if errors.As(err, &se) {
				// The statement is the user's input.
				return withCode(exitInvalid, err)
			}
			return withCode(exitError, err)
		},
	}
	addOutputFlag(cmd, &o.output, outTable, outTable, outCSV, outJSON)
	cmd.Flags().StringVar(&o.memoryLimit, "memory-limit", "", "cap DuckDB's memory, e.g. 2GB (default: DuckDB's, 80% of RAM); nothing spills to disk")
	return cmd
}
