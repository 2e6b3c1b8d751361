//go:build duckdb_arrow

package main

import (
	"errors"
	"fmt"

	"github.com/rewind-sh/rewind/queries"
	"github.com/spf13/cobra"
)

func init() { register(newTimelineCmd) }

type timelineOptions struct {
	pid          int64
	since, until string
	output       string
}

func newTimelineCmd() *cobra.Command {
	var o timelineOptions
	cmd := &cobra.Command{
		Use:   "timeline DIR --pid N [--since TIME] [--until TIME]",
		Short: "List, in order, everything a process and its descendants did",
		Long: "timeline prints the execs, forks, exits, file opens and changes, network\n" +
			"and security operations of every instance of the process --pid and of\n" +
			"all its descendants, one line each with a summary. It answers as the\n" +
			"named query timeline (rewind-replay query --show timeline), reading only\n" +
			"the subtree's rows of the recording.",
		Example: "  rewind-replay timeline rec/ --pid 4242\n" +
			"  rewind-replay timeline rec/ --pid 4242 --since 2026-11-23T14:02:00Z --until 2026-11-23T14:05:00Z -o csv",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(o.output, outTable, outCSV, outJSON); err != nil {
				return err
			}
			if o.pid <= 0 {
				return withCode(exitInvalid, errors.New("timeline needs --pid N (a positive process id)"))
			}
			opts := queries.TimelineOptions{Pid: o.pid}
			for _, t := range []struct {
				flag, value string
				dst         *int64
			}{{"--since", o.since, &opts.Since}, {"--until", o.until, &opts.Until}} {
				if t.value == "" {
					continue
				}
				ns, err := queries.ParseTime(t.value)
				if err != nil {
					return withCode(exitInvalid, fmt.Errorf("%s: %w", t.flag, err))
				}
				*t.dst = ns
			}
			sink, err := queries.NewSink(o.output, cmd.OutOrStdout())
			if err != nil {
				return withCode(exitInvalid, err)
			}
			r, err := openRunner(cmd, args[0], queries.Options{})
			if err != nil {
				return err
			}
			defer r.Close()
			return withCode(exitError, r.Timeline(ctxOf(cmd), opts, sink))
		},
	}
	cmd.Flags().Int64Var(&o.pid, "pid", 0, "process at the top of the subtree (required)")
	cmd.Flags().StringVar(&o.since, "since", "", "only events at or after this time")
	cmd.Flags().StringVar(&o.until, "until", "", "only events before this time")
	addOutputFlag(cmd, &o.output, outTable, outTable, outCSV, outJSON)
	return cmd
}
