// Command rewind-replay reads recordings made by rewind-record: it shows
// and verifies them, reruns detection rules, tests rules against expected
// alerts, and answers timeline queries. It needs no privileges.
package main

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/spf13/cobra"
)

// Exit codes that scripts can rely on.
const (
	exitOK       = 0
	exitFindings = 1 // verify found tampering, rules raised alerts, tests failed
	exitError    = 2 // runtime error (I/O, unreadable recording)
	exitInvalid  = 3 // invalid input: bad flags, malformed rules or test files
)

// exitError carries an exit code through cobra's RunE.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

// withCode wraps err so that main exits with code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codeError{code: code, err: err}
}

// subcommands is filled by each subcommand file's init, so that files can
// be added without touching this one.
var subcommands []func() *cobra.Command

func register(f func() *cobra.Command) { subcommands = append(subcommands, f) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "rewind-replay",
		Short: "Replay, query and verify rewind recordings",
		Long: "rewind-replay reads a recording directory made by rewind-record. It runs\n" +
			"offline and unprivileged, on any machine.",
		Example: "  rewind-replay info rec/\n" +
			"  rewind-replay rules -r rules.yaml rec/\n" +
			"  rewind-replay query process-tree rec/",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var cmds []*cobra.Command
	for _, f := range subcommands {
		cmds = append(cmds, f())
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	root.AddCommand(cmds...)
	return root
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	activeProgress.done()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "rewind-replay:", err)
	var ce *codeError
	if errors.As(err, &ce) {
		return ce.code
	}
	return exitError
}
