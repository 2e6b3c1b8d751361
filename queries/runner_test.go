//go:build duckdb_arrow

package queries

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/rewind-sh/rewind/format"
)

func queryText(t *testing.T, r *Runner, text string) string {
	t.Helper()
	var buf bytes.Buffer
	sink, _ := NewSink(OutputCSV, &buf)
	if err := r.Query(context.Background(), "sql", text, sink); err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return buf.String()
}

// decodeAll reads the sample recording with format's own decoder, the
// reference the SQL answers are checked against.
func decodeAll(t *testing.T) []format.Event {
	t.Helper()
	rec, err := format.Open(sampleDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []format.Event
	err = rec.Scan(format.ScanOptions{}, func(b *format.Batch) error {
		for i := 0; i < b.Len(); i++ {
			var ev format.Event
			b.Event(i, &ev)
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStreamScanIgnoresPushdown guards the workaround in Runner.run:
// projecting a column that is not the first one, with a filter on
// another, must give the values format decodes.
func TestStreamScanIgnoresPushdown(t *testing.T) {
	r := openSample(t, Options{})
	var opens, pidSum int64
	var paths []string
	for _, ev := range decodeAll(t) {
		if ev.Kind == format.KindOpen && ev.Ret >= 0 {
			opens++
			pidSum += int64(ev.Pid)
			paths = append(paths, ev.Path)
		}
	}
	got := queryText(t, r, "SELECT count(*), sum(pid) FROM events WHERE kind = 'open' AND ret >= 0")
	if want := fmt.Sprintf("count_star(),sum(pid)\n%d,%d\n", opens, pidSum); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	got = queryText(t, r, "SELECT path FROM files WHERE kind = 'open' AND ret >= 0 ORDER BY seq")
	if want := "path\n" + strings.Join(paths, "\n") + "\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestEveryViewAndTableAnswers(t *testing.T) {
	r := openSample(t, Options{})
	events := decodeAll(t)
	count := func(kinds ...format.Kind) int {
		n := 0
		for _, ev := range events {
			for _, k := range kinds {
				if ev.Kind == k {
					n++
				}
			}
		}
		return n
	}
	cases := []struct {
		view string
		want int
	}{
		{"events", len(events)},
		{"files", count(format.KindOpen, format.KindFile)},
		{"network", count(format.KindNet)},
		{"security", count(format.KindSecurity)},
		{"execs", count(format.KindExec)},
		{"processes", 15},
		{"hashes", count(format.KindExeHash)},
		{"users", 3},
		{"groups", 3},
		{"drops", count(format.KindHeartbeat)},
		{"first_keyframe", 5},
	}
	for _, c := range cases {
		t.Run(c.view, func(t *testing.T) {
			got := queryText(t, r, "SELECT count(*) AS n FROM "+c.view)
			if want := fmt.Sprintf("n\n%d\n", c.want); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestSQLErrorsNameTheQueryAndPosition(t *testing.T) {
	r := openSample(t, Options{})
	cases := []struct {
		name, sql, want string
	}{
		{"a misspelt column", "SELECT pid,\n       exe_pth\nFROM processes",
			"query sql:2:8: Binder Error: Referenced column \"exe_pth\" not found in FROM clause!\n" +
				"Candidate bindings: \"exe_path\", \"exec_ts\", \"exe_ctime\", \"exe_mtime\", \"exe_dev\"\n" +
				"           exe_pth\n           ^"},
		{"a syntax error", "SELECT count(*)\nFROM events\nWHERE kind = = 'exec'",
			"query sql:3:14: Parser Error: syntax error at or near \"=\"\n    WHERE kind = = 'exec'\n                 ^"},
		{"an unknown table", "SELECT * FROM proceses",
			"query sql:1:15: Catalog Error: Table with name proceses does not exist!\nDid you mean \"processes\"?\n    SELECT * FROM proceses\n                  ^"},
		{"a second scan of a streamed view", "SELECT count(*) FROM (SELECT pid FROM network UNION ALL SELECT pid FROM network)",
			"query sql: view network: scanned more than once in one statement; read it once, e.g. WITH x AS MATERIALIZED (SELECT ... FROM network)"},
		{"file access, which is off", "SELECT * FROM read_csv('/etc/passwd')",
			"query sql:1:15: Permission Error: Cannot access file \"/etc/passwd\" - file system operations are disabled by configuration\n" +
				"    SELECT * FROM read_csv('/etc/passwd')\n                  ^"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := r.Query(context.Background(), "sql", c.sql, &collectSink{})
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", err, c.want)
			}
		})
	}
}

func TestSQLErrorOfANamedQueryPointsIntoItsFile(t *testing.T) {
	r := openSample(t, Options{})
	q, _ := Named("process-tree")
	broken := strings.Replace(q.SQL, "exe_path, sha256", "exe_path, sha265", 1)
	err := r.Query(context.Background(), q.Name, broken, &collectSink{}, sql.Named("pid", nil), sql.Named("at", nil))
	var se *SQLError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want an *SQLError", err)
	}
	lines := strings.Split(broken, "\n")
	for i, l := range lines {
		if col := strings.Index(l, "sha265"); col >= 0 {
			if se.Query != "process-tree" || se.Line != i+1 || se.Column != col+1 {
				t.Errorf("got %s:%d:%d, want process-tree:%d:%d", se.Query, se.Line, se.Column, i+1, col+1)
			}
		}
	}
}

func FuzzSQLErrorPosition(f *testing.F) {
	f.Add("SELECT 1\nFROM x", "Parser Error: x\n\nLINE 2: FROM x\n             ^")
	f.Add("a", "LINE 9: ...abc...\n   ^")
	f.Fuzz(func(t *testing.T, text, msg string) {
		err := sqlError("fuzz", text, &duckdb.Error{Msg: msg})
		var se *SQLError
		if !errors.As(err, &se) {
			t.Fatal("not an SQLError")
		}
		_ = se.Error()
		if se.Line != 0 && (se.Column < 1 || se.Line > strings.Count(text, "\n")+1) {
			t.Fatalf("position %d:%d outside the text", se.Line, se.Column)
		}
	})
}

// sliceSource is a Source over fixed batches, standing for a recording
// written with an older, smaller schema.
type sliceSource []arrow.RecordBatch

func (s sliceSource) Scan(_ format.ScanOptions, fn func(*format.Batch) error) error {
	for i, rec := range s {
		if err := fn(&format.Batch{Segment: "old.arrow", Index: i, Record: rec}); err != nil {
			return err
		}
	}
	return nil
}

func TestColumnsMissingFromASegmentReadAsNull(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: format.TypeTimestamp, Nullable: true},
		{Name: "kind", Type: format.TypeDictString, Nullable: true},
		{Name: "pid", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := 0; i < 3; i++ {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(1_000_000_000 + i))
		b.Field(1).(*array.BinaryDictionaryBuilder).AppendString("open")
		b.Field(2).(*array.Int32Builder).Append(int32(10 + i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	r, err := New(sliceSource{rec}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := queryText(t, r, "SELECT count(*), sum(pid), count(path), max(ts) FROM files")
	if want := "count_star(),sum(pid),count(path),max(ts)\n3,33,0,1970-01-01T00:00:01.000000002Z\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAColumnOfAnotherTypeIsAnError(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "pid", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append("1")
	rec := b.NewRecordBatch()
	defer rec.Release()
	r, err := New(sliceSource{rec}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	err = r.Query(context.Background(), "sql", "SELECT pid FROM events", &collectSink{})
	want := "segment old.arrow batch 0: column pid has type utf8, want int32"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want it to contain %q", err, want)
	}
}

func TestParquetExportReadsBackAsTheRecording(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sample.parquet")
	r := openSample(t, Options{AllowFiles: true})
	if err := r.Export(context.Background(), ExportOptions{Format: ExportParquet, Out: out, Host: "sample-host", BootID: "b1"}); err != nil {
		t.Fatal(err)
	}
	events := decodeAll(t)
	pq := fmt.Sprintf("read_parquet('%s')", out)
	// Every value of every column, compared as multisets both ways.
	for _, q := range []string{
		"SELECT count(*) AS n FROM (SELECT * FROM events EXCEPT ALL SELECT * EXCLUDE (host, boot_id) FROM " + pq + ")",
		"SELECT count(*) AS n FROM (SELECT * EXCLUDE (host, boot_id) FROM " + pq + " EXCEPT ALL SELECT * FROM events)",
	} {
		if got := queryText(t, r, q); got != "n\n0\n" {
			t.Errorf("%s: got %q, want no differing rows", q, got)
		}
	}
	// Row count, order and a few columns against format's own decoding.
	c := &collectSink{}
	if err := r.Query(context.Background(), "sql", "SELECT epoch_ns(ts), kind, pid, path, argv, host FROM "+pq, c); err != nil {
		t.Fatal(err)
	}
	if len(c.rows) != len(events) {
		t.Fatalf("parquet has %d rows, the recording %d", len(c.rows), len(events))
	}
	for i, ev := range events {
		row := c.rows[i]
		wantArgv := "<nil>"
		if ev.Argv != nil {
			wantArgv = fmt.Sprint(toAny(ev.Argv))
		}
		got := fmt.Sprint(row[0], row[1], row[2], str(row[3]), row[5])
		want := fmt.Sprint(ev.Ts, ev.Kind.String(), pidOrNil(ev), ev.Path, "sample-host")
		if got != want || fmt.Sprint(row[4]) != wantArgv {
			t.Fatalf("row %d: got %v %v, want %v %v", i, got, row[4], want, wantArgv)
		}
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// pidOrNil is the pid as SQL sees it: null on rows whose kind has none.
func pidOrNil(ev format.Event) any {
	if format.Columns[format.ColPid].Kinds.Has(ev.Kind) {
		return ev.Pid
	}
	return nil
}

func TestJSONLinesExport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sample.jsonl")
	r := openSample(t, Options{AllowFiles: true})
	if err := r.Export(context.Background(), ExportOptions{Format: ExportJSONL, Out: out, View: "execs"}); err != nil {
		t.Fatal(err)
	}
	got := queryText(t, r, fmt.Sprintf("SELECT count(*) AS n, count(DISTINCT proc_id) AS p FROM read_json('%s', format = 'newline_delimited')", out))
	if got != "n,p\n10,9\n" {
		t.Errorf("got %q", got)
	}
}

// TestTwoStreamedViewsInOneStatement reads two sources in one plan, each
// projected to its own columns.
func TestTwoStreamedViewsInOneStatement(t *testing.T) {
	r := openSample(t, Options{})
	var want int
	events := decodeAll(t)
	for _, f := range events {
		if f.Kind != format.KindOpen && f.Kind != format.KindFile {
			continue
		}
		for _, n := range events {
			if n.Kind == format.KindNet && n.Pid == f.Pid {
				want++
			}
		}
	}
	got := queryText(t, r, "SELECT count(*) AS n FROM files f JOIN network n ON f.pid = n.pid")
	if got != fmt.Sprintf("n\n%d\n", want) {
		t.Errorf("got %q, want %d pairs", got, want)
	}
}

// TestAStatementWithoutAPlanReadsEveryColumn covers the fallback: text
// that EXPLAIN does not take (two statements) still answers right, with
// every column read.
func TestAStatementWithoutAPlanReadsEveryColumn(t *testing.T) {
	r := openSample(t, Options{})
	var opens int
	var pids int64
	for _, ev := range decodeAll(t) {
		if ev.Kind == format.KindOpen {
			opens++
			pids += int64(ev.Pid)
		}
	}
	got := queryText(t, r, "SELECT 1; SELECT count(*) AS n, sum(pid) AS s FROM files WHERE kind = 'open'")
	if want := fmt.Sprintf("n,s\n%d,%d\n", opens, pids); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestTimelineMatchesTheNamedQuery: Runner.Timeline narrows the stream
// to the subtree's pids and window; the answer must be the query's.
func TestTimelineMatchesTheNamedQuery(t *testing.T) {
	r := openSample(t, Options{})
	cases := []struct {
		name   string
		opts   TimelineOptions
		params map[string]string
	}{
		{"a whole subtree", TimelineOptions{Pid: 1000}, map[string]string{"pid": "1000"}},
		{"a reused pid", TimelineOptions{Pid: 1001}, map[string]string{"pid": "1001"}},
		{"a window", TimelineOptions{Pid: 1003, Since: 1795428002100000000, Until: 1795428002250000000},
			map[string]string{"pid": "1003", "since": "1795428002100000000", "until": "1795428002250000000"}},
		{"a process in a container", TimelineOptions{Pid: 710}, map[string]string{"pid": "710"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := runNamed(t, r, "timeline", c.params, OutputCSV)
			var got bytes.Buffer
			sink, _ := NewSink(OutputCSV, &got)
			if err := r.Timeline(context.Background(), c.opts, sink); err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("Timeline:\n%s\nnamed query:\n%s", got.String(), want)
			}
			q, _ := Named("timeline")
			var viaName bytes.Buffer
			sink, _ = NewSink(OutputCSV, &viaName)
			if err := r.RunNamed(context.Background(), q, c.params, sink); err != nil {
				t.Fatal(err)
			}
			if viaName.String() != string(want) {
				t.Errorf("RunNamed:\n%s\nnamed query:\n%s", viaName.String(), want)
			}
			if strings.Count(string(want), "\n") < 2 {
				t.Errorf("empty timeline: %q", want)
			}
		})
	}
}
