//go:build duckdb_arrow

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rewind-sh/rewind/format"
	"github.com/rewind-sh/rewind/queries"
	"github.com/spf13/cobra"
)

func init() { register(newQueryCmd) }

type queryOptions struct {
	list   bool
	show   bool
	params []string
	output string
}

func newQueryCmd() *cobra.Command {
	var o queryOptions
	cmd := &cobra.Command{
		Use:   "query NAME [--param KEY=VALUE]... DIR | query --list",
		Short: "Run a named timeline query (process-tree, timeline, drift, ...) on a recording",
		Long: "query runs one of the SQL queries built into rewind-replay against a\n" +
			"recording. --list names them, with the question each answers and its\n" +
			"parameters; --show prints a query's SQL. TIME parameters take RFC 3339,\n" +
			"\"YYYY-MM-DD hh:mm:ss[.frac]\" (UTC) or nanoseconds since the epoch.",
		Example: "  rewind-replay query --list\n" +
			"  rewind-replay query process-tree rec/\n" +
			"  rewind-replay query timeline --param pid=4242 --param since=2026-11-23T14:02:00Z rec/\n" +
			"  rewind-replay query drift -o json rec/\n" +
			"  rewind-replay query --show persistence",
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.list && len(args) != 0:
				return withCode(exitInvalid, errors.New("query --list takes no arguments"))
			case o.show && len(args) != 1:
				return withCode(exitInvalid, errors.New("query --show takes one argument: the query name"))
			case !o.list && !o.show && len(args) != 2:
				return withCode(exitInvalid, fmt.Errorf("query takes a query name and a recording directory, got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(o.output, outTable, outCSV, outJSON); err != nil {
				return err
			}
			if o.list {
				return withCode(exitError, listNamedQueries(cmd.OutOrStdout(), o.output))
			}
			q, ok := queries.Named(args[0])
			if !ok {
				return withCode(exitInvalid, fmt.Errorf("no query named %q (rewind-replay query --list names them)", args[0]))
			}
			if o.show {
				_, err := io.WriteString(cmd.OutOrStdout(), q.SQL)
				return withCode(exitError, err)
			}
			values, err := parseParams(o.params)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			if _, err := q.Bind(values); err != nil {
				return withCode(exitInvalid, err)
			}
			r, err := openRunner(cmd, args[1], queries.Options{})
			if err != nil {
				return err
			}
			defer r.Close()
			sink, err := queries.NewSink(o.output, cmd.OutOrStdout())
			if err != nil {
				return withCode(exitInvalid, err)
			}
			return withCode(exitError, r.RunNamed(ctxOf(cmd), q, values, sink))
		},
	}
	cmd.Flags().BoolVar(&o.list, "list", false, "list the named queries and their parameters")
	cmd.Flags().BoolVar(&o.show, "show", false, "print the SQL of the named query")
	cmd.Flags().StringArrayVarP(&o.params, "param", "p", nil, "query parameter as KEY=VALUE (repeat for several)")
	addOutputFlag(cmd, &o.output, outTable, outTable, outCSV, outJSON)
	return cmd
}

// parseParams reads KEY=VALUE flags.
func parseParams(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--param %q: want KEY=VALUE", kv)
		}
		k = strings.TrimSpace(k)
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("--param %s given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

// listNamedQueries prints the named queries: name, question, parameters.
func listNamedQueries(w io.Writer, output string) error {
	sink, err := queries.NewSink(output, w)
	if err != nil {
		return err
	}
	cols := []queries.ResultColumn{{Name: "name"}, {Name: "answers"}, {Name: "parameters"}}
	if err := sink.Columns(cols); err != nil {
		return err
	}
	for _, q := range queries.NamedQueries() {
		var params []string
		for _, p := range q.Params {
			s := p.Name + " " + string(p.Type)
			if p.Required {
				s += " (required)"
			}
			params = append(params, s)
		}
		sort.Strings(params)
		if err := sink.Row([]any{q.Name, q.Question, strings.Join(params, ", ")}); err != nil {
			return err
		}
	}
	return sink.Flush()
}

// openRunner opens the recording in dir for SQL, printing the reader's
// warnings (recovered segments and the like) on stderr.
func openRunner(cmd *cobra.Command, dir string, opts queries.Options) (*queries.Runner, error) {
	rec, err := format.Open(dir)
	if err != nil {
		return nil, withCode(exitError, err)
	}
	for _, w := range rec.Warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
	watchProgress(cmd, rec)
	r, err := queries.New(rec, opts)
	if err != nil {
		return nil, withCode(exitError, fmt.Errorf("recording %s: %w", dir, err))
	}
	return r, nil
}

// ctxOf returns the command's context, or a background one in tests that
// run a command without one.
func ctxOf(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
