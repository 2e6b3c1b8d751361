//go:build duckdb_arrow

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rewind-sh/rewind/queries"
)

func TestExportWritesParquetThatSQLReadsBack(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sample.parquet")
	_, errOut, code := runQueriesCmd(t, "export", "--format", "parquet", queriesRec, out)
	if code != exitOK {
		t.Fatalf("export exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(errOut, "exported events of "+queriesRec+" to "+out) {
		t.Errorf("unexpected summary %q", errOut)
	}
	// Read it back with DuckDB: as many rows as the recording, each
	// labelled with the manifest's host.
	r, _, err := queries.Open(queriesRec, queries.Options{AllowFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var buf bytes.Buffer
	sink, _ := queries.NewSink(queries.OutputCSV, &buf)
	q := "SELECT (SELECT count(*) FROM events) AS recording, count(*) AS exported, string_agg(DISTINCT host, ',') AS hosts FROM read_parquet('" + out + "')"
	if err := r.Query(context.Background(), "sql", q, sink); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "recording,exported,hosts\n93,93,sample-host\n" {
		t.Errorf("got %q", got)
	}
	jsonl := filepath.Join(t.TempDir(), "execs.jsonl")
	_, errOut, code = runQueriesCmd(t, "export", "--format", "jsonl", "--view", "execs", "--no-host", queriesRec, jsonl)
	if code != exitOK {
		t.Fatalf("export exit %d: %s", code, errOut)
	}
	if b, err := os.ReadFile(jsonl); err != nil || bytes.Count(b, []byte("\n")) != 10 || bytes.Contains(b, []byte(`"host"`)) {
		t.Errorf("jsonl export: %v, %d lines", err, bytes.Count(b, []byte("\n")))
	}
}

func TestExportRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
		code int
	}{
		{"an unknown format", []string{"export", "--format", "orc", queriesRec, "x.orc"}, `--format "orc": want one of parquet, jsonl`, exitInvalid},
		{"a view that is no name", []string{"export", "--view", "events; DROP", queriesRec, filepath.Join(t.TempDir(), "x")}, `export: "events; DROP" is not a view name`, exitError},
		{"a missing recording", []string{"export", "testdata/queries/no-such-dir", filepath.Join(t.TempDir(), "x")}, "no-such-dir", exitError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runQueriesCmd(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, tc.code, tc.want)
			}
		})
	}
}
