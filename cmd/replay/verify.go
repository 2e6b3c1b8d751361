package main

import (
	"fmt"
	"strconv"

	"github.com/rewind-sh/rewind/format"
	"github.com/spf13/cobra"
)

func init() { register(newVerifyCmd) }

type verifyOptions struct {
	output string
}

func newVerifyCmd() *cobra.Command {
	var o verifyOptions
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check a recording against its manifest hash chain",
		Long: "verify recomputes every segment's sha256 and the manifest's hash chain, and\n" +
			"reports segments missing, added, reordered or replaced, edited manifest\n" +
			"entries, and pruning that retention cannot have done. Pruning, time gaps\n" +
			"and the segment still being written are reported as notes.\n\n" +
			"Exit status: 0 intact, 1 altered, 2 unreadable.",
		Example: "  rewind-replay verify rec/\n" +
			"  rewind-replay verify -o json rec/",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(o.output, outTable, outJSON); err != nil {
				return err
			}
			rep, err := format.Verify(args[0])
			if err != nil {
				return withCode(exitError, err)
			}
			w := cmd.OutOrStdout()
			if o.output == outJSON {
				if err := printJSON(w, rep); err != nil {
					return withCode(exitError, err)
				}
			} else if err := printVerifyTable(cmd, rep); err != nil {
				return withCode(exitError, err)
			}
			if !rep.Intact {
				return withCode(exitFindings, fmt.Errorf("verify %s: recording was altered (%d problems)", args[0], len(rep.Problems)))
			}
			return nil
		},
	}
	addOutputFlag(cmd, &o.output, outTable, outTable, outJSON)
	return cmd
}

func printVerifyTable(cmd *cobra.Command, rep *format.VerifyReport) error {
	w := cmd.OutOrStdout()
	var rows [][]string
	for _, s := range rep.Segments {
		size := "-"
		if s.Size >= 0 {
			size = strconv.FormatInt(s.Size, 10)
		}
		rows = append(rows, []string{s.File, s.Status, size})
	}
	if err := printTable(w, []string{"SEGMENT", "STATUS", "SIZE"}, rows); err != nil {
		return err
	}
	findings := func(title string, fs []format.Finding) error {
		if len(fs) == 0 {
			return nil
		}
		if _, err := fmt.Fprintf(w, "\n%s:\n", title); err != nil {
			return err
		}
		for _, f := range fs {
			if _, err := fmt.Fprintf(w, "  %s\n", f); err != nil {
				return err
			}
		}
		return nil
	}
	if err := findings("problems", rep.Problems); err != nil {
		return err
	}
	if err := findings("notes", rep.Notes); err != nil {
		return err
	}
	verdict := "intact"
	if !rep.Intact {
		verdict = "ALTERED"
	}
	_, err := fmt.Fprintf(w, "\n%s: %s (head hash %s)\n", rep.Dir, verdict, rep.HeadHash)
	return err
}
