//go:build duckdb_arrow

package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateQueries = flag.Bool("update-queries", false, "rewrite testdata/queries golden outputs")

// queriesRec is the synthetic incident recording of the queries package
// (queries/samplerec_test.go, rewritten by its -update).
const queriesRec = "../../queries/testdata/rec"

// runQueriesCmd runs rewind-replay with args and returns stdout, stderr
// and the exit code main would return.
func runQueriesCmd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	code := exitOK
	if err != nil {
		code = exitError
		var ce *codeError
		if errors.As(err, &ce) {
			code = ce.code
		}
		errOut.WriteString("error: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), code
}

func queriesGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata/queries", name)
	if *updateQueries {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -tags duckdb_arrow -run %s -update-queries)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update-queries to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestQuerySubcommands drives query, sql, tree and timeline through the
// root command and compares stdout, the error and the exit code with
// golden files.
func TestQuerySubcommands(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		golden string
		code   int
	}{
		{"the named queries are listed", []string{"query", "--list"}, "query-list.txt", exitOK},
		{"a named query's SQL is shown", []string{"query", "--show", "drops"}, "query-show-drops.txt", exitOK},
		{"a named query runs", []string{"query", "persistence", queriesRec}, "query-persistence.txt", exitOK},
		{"a named query takes parameters", []string{"query", "timeline", "--param", "pid=1003", "-p", "until=2026-11-23T10:00:02.15Z", "-o", "csv", queriesRec}, "query-timeline-params.csv", exitOK},
		{"an unknown query is invalid input", []string{"query", "no-such-query", queriesRec}, "query-unknown.txt", exitInvalid},
		{"an unknown parameter is invalid input", []string{"query", "drift", "--param", "delay=5", queriesRec}, "query-bad-param.txt", exitInvalid},
		{"a parameter without a value is invalid input", []string{"query", "drift", "--param", "max_delay", queriesRec}, "query-param-syntax.txt", exitInvalid},
		{"a missing recording is a runtime error", []string{"query", "drops", "testdata/queries/no-such-dir"}, "query-missing-dir.txt", exitError},
		{"sql answers in json", []string{"sql", "-o", "json", "SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind", queriesRec}, "sql-kinds.json", exitOK},
		{"a sql error shows the position", []string{"sql", "SELECT pid,\n  exe_pth FROM processes", queriesRec}, "sql-error.txt", exitInvalid},
		{"the tree is drawn", []string{"tree", queriesRec}, "tree.txt", exitOK},
		{"the tree of one process at one time", []string{"tree", queriesRec, "--pid", "1000", "--at", "2026-11-23 10:00:02.25"}, "tree-pid-at.txt", exitOK},
		{"the tree as csv", []string{"tree", queriesRec, "--pid", "710", "-o", "csv"}, "tree-710.csv", exitOK},
		{"a bad --at is invalid input", []string{"tree", queriesRec, "--at", "noon"}, "tree-bad-at.txt", exitInvalid},
		{"the timeline of a subtree", []string{"timeline", queriesRec, "--pid", "1005"}, "timeline-1005.txt", exitOK},
		{"a timeline needs a pid", []string{"timeline", queriesRec}, "timeline-no-pid.txt", exitInvalid},
		{"an unknown output format is invalid input", []string{"timeline", queriesRec, "--pid", "1", "-o", "xml"}, "timeline-bad-output.txt", exitInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runQueriesCmd(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d (stderr: %s)", code, tc.code, errOut)
			}
			got := out
			if code != exitOK {
				got += errOut
			}
			queriesGolden(t, tc.golden, got)
		})
	}
}
