//go:build duckdb_arrow

package queries

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestScopedQueriesMatchTheProcessTables: the process-tree and timeline
// queries on the subtree read straight from the recording (scope.go)
// answer exactly as the named queries on the process tables, for the
// busiest parents, a pid with no process, several times and windows, on
// the synthetic recording and every sample recording.
func TestScopedQueriesMatchTheProcessTables(t *testing.T) {
	dirs := allRecordings(t)
	ctx := context.Background()
	tree, _ := Named("process-tree")
	timeline, _ := Named("timeline")
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			full, _, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer full.Close()
			scoped, _, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer scoped.Close()
			parents := &collectSink{}
			err = full.Query(ctx, "sql", `SELECT p.pid FROM processes p JOIN processes c ON c.parent_proc_id = p.proc_id
				GROUP BY p.pid ORDER BY count(*) DESC, p.pid LIMIT 3`, parents)
			if err != nil {
				t.Fatal(err)
			}
			span := &collectSink{}
			if err := full.Query(ctx, "sql", "SELECT min(start_t), max(coalesce(end_t, start_t)) FROM processes", span); err != nil {
				t.Fatal(err)
			}
			first, last := toInt(span.rows[0][0]), toInt(span.rows[0][1])
			mid := first + (last-first)/2
			pids := []string{"", "999999"}
			for _, row := range parents.rows {
				pids = append(pids, strconv.FormatInt(toInt(row[0]), 10))
			}
			ats := []string{"", strconv.FormatInt(first, 10), strconv.FormatInt(mid, 10)}
			for _, pid := range pids {
				for _, at := range ats {
					params := map[string]string{}
					if pid != "" {
						params["pid"] = pid
					}
					if at != "" {
						params["at"] = at
					}
					compareNamed(t, full, scoped, tree, params)
				}
				if pid == "" {
					continue
				}
				windows := [][2]string{{"", ""}, {strconv.FormatInt(mid, 10), ""},
					{strconv.FormatInt(first+(last-first)/4, 10), strconv.FormatInt(mid, 10)}}
				for _, w := range windows {
					params := map[string]string{"pid": pid}
					if w[0] != "" {
						params["since"] = w[0]
					}
					if w[1] != "" {
						params["until"] = w[1]
					}
					compareNamed(t, full, scoped, timeline, params)
				}
			}
		})
	}
}

// compareNamed runs q through the process tables of full and through
// RunNamed (the scoped path) on scoped, and compares the JSON output.
func compareNamed(t *testing.T, full, scoped *Runner, q *NamedQuery, params map[string]string) {
	t.Helper()
	args, err := q.Bind(params)
	if err != nil {
		t.Fatal(err)
	}
	var want, got bytes.Buffer
	sink, _ := NewSink(OutputJSON, &want)
	if err := full.Query(context.Background(), q.Name, q.SQL, sink, args...); err != nil {
		t.Fatal(err)
	}
	sink, _ = NewSink(OutputJSON, &got)
	if err := scoped.RunNamed(context.Background(), q, params, sink); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("%s %v: scoped answer differs\n--- scoped\n%s\n--- process tables\n%s", q.Name, params, got.String(), want.String())
	}
}

// TestTreeMatchesTheNamedQuery: Tree, which reads the subtree straight
// from the recording, holds the rows of the process-tree query.
func TestTreeMatchesTheNamedQuery(t *testing.T) {
	r := openSample(t, Options{})
	q, _ := Named("process-tree")
	for _, pid := range []int64{0, 1000, 1001, 710} {
		t.Run(strconv.FormatInt(pid, 10), func(t *testing.T) {
			want := &collectSink{}
			if err := r.Query(context.Background(), q.Name, q.SQL, want, sql.Named("pid", nilIfZero(pid)), sql.Named("at", nil)); err != nil {
				t.Fatal(err)
			}
			roots, err := r.Tree(context.Background(), TreeOptions{Pid: pid})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			var walk func([]*TreeNode)
			walk = func(ns []*TreeNode) {
				for _, n := range ns {
					got = append(got, n.ProcID)
					walk(n.Children)
				}
			}
			walk(roots)
			var ids []string
			for _, row := range want.rows {
				ids = append(ids, str(row[want.index["proc_id"]]))
			}
			if len(ids) == 0 || !slices.Equal(got, ids) {
				t.Errorf("tree holds %v, the query %v", got, ids)
			}
		})
	}
}

func TestDistinctPidsOfABatch(t *testing.T) {
	many := make([]int32, 5000)
	for i := range many {
		many[i] = int32(i * 4096) // all in one home slot modulo small tables
	}
	cases := []struct {
		name string
		pids []int32
		null []bool
	}{
		{"empty", nil, nil},
		{"runs", []int32{7, 7, 7, 8, 8, 7, 9, 7}, nil},
		{"extremes", []int32{-1, 0, math.MinInt32, math.MaxInt32, -1, 0, math.MaxInt32, math.MinInt32}, nil},
		{"nulls", []int32{5, 6, 5, 6}, []bool{true, false, true, true}},
		{"colliding", many, nil},
	}
	var s pidSet
	for round := 0; round < 2; round++ { // the table is reused
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%d", c.name, round), func(t *testing.T) {
				b := array.NewInt32Builder(memory.DefaultAllocator)
				defer b.Release()
				b.AppendValues(c.pids, c.null)
				col := b.NewInt32Array()
				defer col.Release()
				got := s.appendDistinct([]int32{42}, col)
				want := []int32{42}
				seen := map[int32]bool{}
				for i, p := range c.pids {
					if (c.null == nil || c.null[i]) && !seen[p] {
						seen[p] = true
						want = append(want, p)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			})
		}
	}
}

func TestTimeWindows(t *testing.T) {
	ends := func(start, end int64, ok bool) *inst {
		p := &inst{startT: start}
		p.exitT = opt[int64]{end, ok}
		return p
	}
	w := windowsOf([]*inst{ends(50, 60, true), ends(10, 20, true), ends(15, 30, true), ends(100, 0, false)}, 0, 0)
	want := timeWindows{{10, 30}, {50, 60}, {100, math.MaxInt64}}
	if !slices.Equal(w, want) {
		t.Fatalf("windows %v, want %v", w, want)
	}
	if got := windowsOf([]*inst{ends(10, 20, true), ends(100, 0, false)}, 15, 120); !slices.Equal(got, timeWindows{{15, 20}, {100, 119}}) {
		t.Errorf("clipped windows %v", got)
	}
	for _, c := range []struct {
		lo, hi int64
		want   bool
	}{{0, 9, false}, {0, 10, true}, {31, 49, false}, {30, 30, true}, {61, 99, false}, {61, 100, true}, {1 << 62, 1 << 62, true}, {25, 55, true}} {
		if got := w.overlaps(c.lo, c.hi); got != c.want {
			t.Errorf("overlaps(%d, %d) = %v, want %v", c.lo, c.hi, got, c.want)
		}
	}
}
