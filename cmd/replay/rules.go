package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/rewind-sh/rewind/analyze/engine"
	"github.com/rewind-sh/rewind/format"
)

func init() { register(newRulesCmd) }

type rulesOptions struct {
	rules           []string
	output          string
	since, until    string
	skipUnavailable bool
	quiet           bool
}

func newRulesCmd() *cobra.Command {
	o := &rulesOptions{}
	cmd := &cobra.Command{
		Use:   "rules -r FILE [-r FILE...] DIR",
		Short: "Run Falco-format detection rules over a recording and print alerts",
		Long: "rules replays the recording in DIR through the rules files (loaded in order, later\n" +
			"files may append to or override earlier ones) and prints one alert per match.\n" +
			"Rules that need fields recordings cannot provide (k8s.*, container image...) run\n" +
			"with those fields missing and are listed on stderr; --skip-unavailable skips them.\n\n" +
			"Exit codes: 0 no alerts, 1 alerts, 2 runtime error, 3 invalid rules.",
		Example: "  rewind-replay rules -r falco_rules.yaml -r samples/rules/rewind_rules.yaml rec/\n" +
			"  rewind-replay rules -r rules.yaml -o json --since 2026-01-02T03:04:00Z rec/ | jq .rule\n" +
			"  rewind-replay rules -r rules.yaml --since +30s --until +2m rec/",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args[0]) },
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.rules, "rules", "r", nil, "rules file to load (repeatable, loaded in order)")
	f.StringVarP(&o.output, "output", "o", "text", "alert format: text|json (JSON lines shaped like Falco's)")
	f.StringVar(&o.since, "since", "", "test only events at or after this time: RFC 3339 or +DURATION from the recording start")
	f.StringVar(&o.until, "until", "", "test only events before this time: RFC 3339 or +DURATION from the recording start")
	f.BoolVar(&o.skipUnavailable, "skip-unavailable", false, "skip rules that need fields recordings cannot provide instead of running them with those fields missing")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "do not print the rule summary on stderr")
	cmd.AddCommand(newRulesValidateCmd())
	return cmd
}

func (o *rulesOptions) run(cmd *cobra.Command, dir string) error {
	if len(o.rules) == 0 {
		return withCode(exitInvalid, errors.New("no rules file: give at least one -r FILE"))
	}
	if o.output != "text" && o.output != "json" {
		return withCode(exitInvalid, fmt.Errorf("--output %q: want text or json", o.output))
	}
	rs, err := engine.Load(o.rules, engine.LoadOptions{SkipUnavailable: o.skipUnavailable})
	if err != nil {
		return loadError(cmd.ErrOrStderr(), err)
	}
	if !o.quiet {
		printSummary(cmd.ErrOrStderr(), rs.Summary)
	}
	rec, err := format.Open(dir)
	if err != nil {
		return withCode(exitError, err)
	}
	relaxGC()
	since, until, err := o.window(rec)
	if err != nil {
		return err
	}
	watchProgress(cmd, rec)
	w := bufio.NewWriter(cmd.OutOrStdout())
	st, err := rs.Run(rec, engine.RunOptions{Since: since, Until: until}, func(a *engine.Alert) error {
		if o.output == "json" {
			return a.WriteJSON(w)
		}
		return a.WriteText(w)
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	activeProgress.done()
	for _, warn := range rec.Warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", warn)
	}
	if err != nil {
		return withCode(exitError, fmt.Errorf("replay %s: %w", dir, err))
	}
	if !o.quiet {
		fmt.Fprintf(cmd.ErrOrStderr(), "%d events, %d alerts\n", st.Events, st.Alerts)
	}
	if st.Alerts > 0 {
		return withCode(exitFindings, fmt.Errorf("%d alerts", st.Alerts))
	}
	return nil
}

// relaxGC lets the heap grow further between collections: a replay keeps
// little live data (the process table) while the reader allocates whole
// batches, so collecting at the default 100% growth mostly re-marks the
// same small heap. A GOGC set by the user wins.
func relaxGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// window parses --since and --until against the recording's start.
func (o *rulesOptions) window(rec *format.Recording) (since, until int64, err error) {
	if o.since == "" && o.until == "" {
		return 0, 0, nil
	}
	start, err := rec.Start()
	if err != nil {
		return 0, 0, withCode(exitError, err)
	}
	if o.since != "" {
		if since, err = format.ParseTimeBound(o.since, start); err != nil {
			return 0, 0, withCode(exitInvalid, fmt.Errorf("--since: %w", err))
		}
	}
	if o.until != "" {
		if until, err = format.ParseTimeBound(o.until, start); err != nil {
			return 0, 0, withCode(exitInvalid, fmt.Errorf("--until: %w", err))
		}
	}
	return since, until, nil
}

// loadError prints rule problems in full and picks the exit code.
func loadError(w io.Writer, err error) error {
	var inv *engine.InvalidError
	if errors.As(err, &inv) {
		fmt.Fprintln(w, inv.Detail())
		return withCode(exitInvalid, fmt.Errorf("%d problems in the rules", len(inv.Errors)))
	}
	return withCode(exitInvalid, err)
}

func printSummary(w io.Writer, s *engine.Summary) {
	fmt.Fprintln(w, s.String())
	if len(s.Degraded) > 0 {
		fmt.Fprintln(w, "rules running with unavailable fields treated as missing (checks on them are false):")
		fmt.Fprint(w, engine.DescribeNotes(s.Degraded))
	}
	if len(s.Skipped) > 0 {
		fmt.Fprintln(w, "rules skipped:")
		fmt.Fprint(w, engine.DescribeNotes(s.Skipped))
	}
}

type rulesValidateOptions struct {
	skipUnavailable bool
}

func newRulesValidateCmd() *cobra.Command {
	o := &rulesValidateOptions{}
	cmd := &cobra.Command{
		Use:   "validate FILE [FILE...]",
		Short: "Check rules files and report problems with file, line and column",
		Long: "validate loads the rules files in order and compiles every condition and output\n" +
			"against the field catalog, without a recording. Problems print as\n" +
			"file:line:col: message with the source line. Exit codes: 0 valid, 3 invalid.",
		Example: "  rewind-replay rules validate samples/rules/rewind_rules.yaml",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := engine.Load(args, engine.LoadOptions{SkipUnavailable: o.skipUnavailable})
			if err != nil {
				return loadError(cmd.OutOrStdout(), err)
			}
			for _, w := range rs.Summary.Warnings {
				fmt.Fprintln(cmd.OutOrStdout(), w.Error())
			}
			printSummary(cmd.OutOrStdout(), rs.Summary)
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.skipUnavailable, "skip-unavailable", false, "report rules needing unavailable fields as skipped")
	return cmd
}
