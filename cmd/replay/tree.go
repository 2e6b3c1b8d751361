//go:build duckdb_arrow

package main

import (
	"fmt"
	"strconv"

	"github.com/rewind-sh/rewind/queries"
	"github.com/spf13/cobra"
)

func init() { register(newTreeCmd) }

type treeOptions struct {
	pid    int64
	at     string
	output string
}

func newTreeCmd() *cobra.Command {
	var o treeOptions
	cmd := &cobra.Command{
		Use:   "tree DIR [--pid N] [--at TIME]",
		Short: "Draw the process tree of a recording",
		Long: "tree draws every process instance under its parent: pid, executable,\n" +
			"sha256 prefix, user (\"alice as root\" when the effective user differs),\n" +
			"container id prefix and exit code. --pid keeps that process and its\n" +
			"descendants; --at keeps the processes alive at that time. csv and json\n" +
			"print the rows of the process-tree query instead.",
		Example: "  rewind-replay tree rec/\n" +
			"  rewind-replay tree rec/ --pid 4242\n" +
			"  rewind-replay tree rec/ --at 2026-11-23T14:02:00Z -o json",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(o.output, outTable, outCSV, outJSON); err != nil {
				return err
			}
			var at int64
			if o.at != "" {
				var err error
				if at, err = queries.ParseTime(o.at); err != nil {
					return withCode(exitInvalid, fmt.Errorf("--at: %w", err))
				}
			}
			r, err := openRunner(cmd, args[0], queries.Options{})
			if err != nil {
				return err
			}
			defer r.Close()
			if o.output == outTable {
				roots, err := r.Tree(ctxOf(cmd), queries.TreeOptions{Pid: o.pid, At: at})
				if err != nil {
					return withCode(exitError, err)
				}
				return withCode(exitError, queries.WriteTree(cmd.OutOrStdout(), roots))
			}
			params := map[string]string{}
			if o.pid != 0 {
				params["pid"] = strconv.FormatInt(o.pid, 10)
			}
			if at != 0 {
				params["at"] = strconv.FormatInt(at, 10)
			}
			return runNamed(cmd, r, "process-tree", params, o.output)
		},
	}
	cmd.Flags().Int64Var(&o.pid, "pid", 0, "only this process and its descendants")
	cmd.Flags().StringVar(&o.at, "at", "", "only processes alive at this time (RFC 3339, \"YYYY-MM-DD hh:mm:ss\" UTC, or ns since the epoch)")
	addOutputFlag(cmd, &o.output, outTable, outTable, outCSV, outJSON)
	return cmd
}

// runNamed runs a named query with text parameters and prints its rows.
func runNamed(cmd *cobra.Command, r *queries.Runner, name string, params map[string]string, output string) error {
	q, _ := queries.Named(name)
	if _, err := q.Bind(params); err != nil {
		return withCode(exitInvalid, err)
	}
	sink, err := queries.NewSink(output, cmd.OutOrStdout())
	if err != nil {
		return withCode(exitInvalid, err)
	}
	return withCode(exitError, r.RunNamed(ctxOf(cmd), q, params, sink))
}
