package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/rewind-sh/rewind/analyze/engine"
)

func init() { register(newTestCmd) }

type testOptions struct {
	run             string
	junit           string
	skipUnavailable bool
}

func newTestCmd() *cobra.Command {
	o := &testOptions{}
	cmd := &cobra.Command{
		Use:   "test FILE.yaml [FILE.yaml...]",
		Short: "Test rules against recordings with expected alerts (like promtool test rules)",
		Long: "test reads rule test files, replays each test's recording through the rules and\n" +
			"prints a FAILED: block with exp: and got: for every mismatch. Every alert a\n" +
			"recording raises must be expected. The YAML is strict (an unknown key is an\n" +
			"error); paths are relative to the test file:\n\n" +
			"  rule_files:\n" +
			"    - ../rules/rewind_rules.yaml\n" +
			"  tests:\n" +
			"    - name: drop, chmod and exec\n" +
			"      recording: ../recordings/drift\n" +
			"      expected_alerts:\n" +
			"        - rule: Executable changed just before it ran\n" +
			"          count: 1              # default 1; 0 asserts none\n" +
			"          output_fields:        # optional: values the output prints\n" +
			"            proc.cmdline: payload\n\n" +
			"Exit codes: 0 all passed, 1 a test failed, 3 invalid input.",
		Example: "  rewind-replay test samples/tests/rewind_rules_test.yaml\n" +
			"  rewind-replay test --run 'memfd|shm' --junit report.xml samples/tests/*.yaml",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.runTests(cmd, args) },
	}
	f := cmd.Flags()
	f.StringVar(&o.run, "run", "", "run only the tests whose name matches this regular expression")
	f.StringVar(&o.junit, "junit", "", "also write the results as JUnit XML to this file")
	f.BoolVar(&o.skipUnavailable, "skip-unavailable", false, "skip rules that need fields recordings cannot provide")
	return cmd
}

func (o *testOptions) runTests(cmd *cobra.Command, files []string) error {
	opts := engine.TestOptions{Load: engine.LoadOptions{SkipUnavailable: o.skipUnavailable}}
	if o.run != "" {
		re, err := regexp.Compile(o.run)
		if err != nil {
			return withCode(exitInvalid, fmt.Errorf("--run: %w", err))
		}
		opts.Run = re
	}
	var all []engine.TestResult
	for _, path := range files {
		tf, err := engine.ParseTestFile(path)
		if err != nil {
			return withCode(exitInvalid, err)
		}
		res, err := engine.RunTests(tf, opts)
		if err != nil {
			var inv *engine.InvalidError
			if errors.As(err, &inv) {
				fmt.Fprintln(cmd.ErrOrStderr(), inv.Detail())
			}
			return withCode(exitInvalid, err)
		}
		all = append(all, res...)
	}
	failed := engine.WriteReport(cmd.OutOrStdout(), all)
	if o.junit != "" {
		f, err := os.Create(o.junit)
		if err != nil {
			return withCode(exitError, err)
		}
		werr := engine.WriteJUnit(f, all)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return withCode(exitError, fmt.Errorf("write junit report: %w", werr))
		}
	}
	if failed > 0 {
		return withCode(exitFindings, fmt.Errorf("%d tests failed", failed))
	}
	return nil
}
