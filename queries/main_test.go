//go:build duckdb_arrow

package queries

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/rec and the golden files")

// sampleDir is the committed synthetic recording (see samplerec_test.go).
const sampleDir = "testdata/rec"

func TestMain(m *testing.M) {
	flag.Parse()
	if *update {
		if err := os.RemoveAll(sampleDir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := writeSampleRecording(sampleDir); err != nil {
			fmt.Fprintln(os.Stderr, "write sample recording:", err)
			os.Exit(2)
		}
	}
	code := m.Run()
	cleanupBench()
	os.Exit(code)
}

func openSample(t testing.TB, opts Options) *Runner {
	t.Helper()
	r, warnings, err := Open(sampleDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Fatalf("sample recording has warnings: %v", warnings)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// checkGolden compares got with testdata/golden/name, or rewrites it
// with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -tags duckdb_arrow ./queries -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (rerun with -update if the change is intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func runNamed(t *testing.T, r *Runner, name string, params map[string]string, format string) []byte {
	t.Helper()
	q, ok := Named(name)
	if !ok {
		t.Fatalf("no named query %s", name)
	}
	args, err := q.Bind(params)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	sink, err := NewSink(format, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Query(context.Background(), q.Name, q.SQL, sink, args...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
