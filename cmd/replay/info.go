package main

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/rewind-sh/rewind/format"
	"github.com/spf13/cobra"
)

func init() { register(newInfoCmd) }

type infoOptions struct {
	output string
}

func newInfoCmd() *cobra.Command {
	var o infoOptions
	cmd := &cobra.Command{
		Use:   "info DIR",
		Short: "Summarise a recording: host, span, segments, events per kind, drops, size",
		Example: "  rewind-replay info rec/\n" +
			"  rewind-replay info -o json rec/",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(o.output, outTable, outJSON); err != nil {
				return err
			}
			rec, err := format.Open(args[0])
			if err != nil {
				return withCode(exitError, err)
			}
			info, err := rec.Info()
			if err != nil {
				return withCode(exitError, err)
			}
			if o.output == outJSON {
				return withCode(exitError, printJSON(cmd.OutOrStdout(), info))
			}
			return withCode(exitError, printTable(cmd.OutOrStdout(), []string{"FIELD", "VALUE"}, infoRows(info)))
		},
	}
	addOutputFlag(cmd, &o.output, outTable, outTable, outJSON)
	return cmd
}

func infoRows(in *format.Info) [][]string {
	ts := func(ns int64) string {
		if ns == 0 {
			return "-"
		}
		return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
	}
	rows := [][]string{
		{"dir", in.Dir},
		{"host", in.Host.Hostname},
		{"kernel", in.Host.KernelRelease},
		{"boot id", in.Host.BootID},
		{"recorder", in.RecorderVersion},
		{"schema version", strconv.Itoa(in.SchemaVersion)},
		{"first event", ts(in.FirstTs)},
		{"last event", ts(in.LastTs)},
		{"span", in.Span.String()},
		{"segments", fmt.Sprintf("%d (%d pruned, %d unsealed)", in.Segments, in.Pruned, in.Unsealed)},
		{"events", strconv.FormatUint(in.Events, 10)},
	}
	kinds := make([]string, 0, len(in.EventsByKind))
	for k := range in.EventsByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		rows = append(rows, []string{"  " + k, strconv.FormatUint(in.EventsByKind[k], 10)})
	}
	rows = append(rows,
		[]string{"drops", fmt.Sprintf("%d (kernel %d, user %d)", in.KernelDrops+in.UserDrops, in.KernelDrops, in.UserDrops)},
		[]string{"bytes", strconv.FormatInt(in.Bytes, 10)},
		[]string{"bytes/event", strconv.FormatFloat(in.BytesPerEvent, 'f', 2, 64)},
		[]string{"frozen", frozenText(in)},
		[]string{"head hash", in.HeadHash},
	)
	for _, w := range in.Warnings {
		rows = append(rows, []string{"warning", w})
	}
	return rows
}

func frozenText(in *format.Info) string {
	if in.Frozen && in.FrozenBy != "" {
		return "true, by " + in.FrozenBy
	}
	return strconv.FormatBool(in.Frozen)
}
