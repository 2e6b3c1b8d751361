//go:build duckdb_arrow

package queries

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoBuiltTablesMatchSQL builds the process instance tables with the
// SQL of testdata/reference_instances.sql, which states the model
// declaratively, and checks that procbuild.go's tables hold exactly the
// same rows, every column, on the synthetic recording and on every
// sample recording.
func TestGoBuiltTablesMatchSQL(t *testing.T) {
	ref, err := os.ReadFile("testdata/reference_instances.sql")
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{sampleDir}
	scenarios, _ := filepath.Glob(filepath.Join(samplesDir, "*", "manifest.json"))
	for _, m := range scenarios {
		dirs = append(dirs, filepath.Dir(m))
	}
	if len(dirs) < 2 {
		t.Fatalf("no sample recordings under %s", samplesDir)
	}
	ctx := context.Background()
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			r, _, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if err := r.Query(ctx, "sql", "SELECT count(*) FROM processes", &collectSink{}); err != nil {
				t.Fatal(err)
			}
			r.mu.Lock()
			for _, s := range strings.SplitAfter(string(ref), ";\n") {
				if strings.TrimSpace(stripComments(s)) == "" {
					continue
				}
				for i := 0; i < maxForkChain; i++ {
					res, err := r.conn.ExecContext(ctx, s)
					if err != nil {
						r.mu.Unlock()
						t.Fatalf("reference SQL: %v", err)
					}
					// Only the inheritance UPDATE repeats.
					if n, _ := res.RowsAffected(); !strings.Contains(s, "UPDATE") || n == 0 {
						break
					}
				}
			}
			r.mu.Unlock()
			var n int
			err = r.conn.QueryRowContext(ctx, "SELECT count(*) FROM _proc3").Scan(&n)
			if err != nil || n == 0 {
				t.Fatalf("no instances (%v)", err)
			}
			for _, pair := range [][2]string{{"_proc3", "_ref_proc3"}, {"_tree", "_ref_tree"}} {
				for _, q := range []string{
					fmt.Sprintf("SELECT * FROM %s EXCEPT ALL SELECT * FROM %s", pair[0], pair[1]),
					fmt.Sprintf("SELECT * FROM %s EXCEPT ALL SELECT * FROM %s", pair[1], pair[0]),
				} {
					c := &collectSink{}
					if err := r.Query(ctx, "sql", q, c); err != nil {
						t.Fatal(err)
					}
					if len(c.rows) > 0 {
						t.Errorf("%s: %d rows differ, first: %v", q, len(c.rows), c.rows[0])
					}
				}
			}
		})
	}
}
