//go:build duckdb_arrow

package queries

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// A scanPlan is what DuckDB will read from one streamed source in a
// statement: the columns, in the order the Arrow scan expects them.
type scanPlan struct {
	source  string
	project []int // indices into sqlSchema
}

// pushdownOptimizers must be off while a statement reads a streamed
// source: they push filters into the Arrow scan, which DuckDB (as of
// v1.5) expects the stream to apply and then does not check itself. A
// stream cannot see them, so rows would pass unfiltered.
const pushdownOptimizers = "filter_pushdown,join_filter_pushdown"

// fullScanOptimizers are turned off as well when the plan cannot be
// read (a statement EXPLAIN does not take): then no projection is pushed
// either, and the scan reads every column in schema order. Correct, and
// slower.
const fullScanOptimizers = pushdownOptimizers + ",unused_columns,statistics_propagation"

// planScans asks DuckDB for the plan of text and returns, per streamed
// source the plan scans, the projection its scan expects. ok is false
// when the plan could not be had.
func (r *Runner) planScans(ctx context.Context, text string, args []any) (map[string]scanPlan, bool, error) {
	var key, plan string
	if err := r.conn.QueryRowContext(ctx, "EXPLAIN (FORMAT json) "+text, args...).Scan(&key, &plan); err != nil {
		return nil, false, nil
	}
	var roots []planNode
	if err := json.Unmarshal([]byte(plan), &roots); err != nil {
		return nil, false, nil
	}
	out := map[string]scanPlan{}
	var walk func(n *planNode) error
	walk = func(n *planNode) error {
		if fn, _ := n.Extra["Function"].(string); fn == "ARROW_SCAN" {
			if n.Extra["Filters"] != nil {
				return fmt.Errorf("plan pushes filters into a recording scan (%v); this DuckDB needs a newer workaround", n.Extra["Filters"])
			}
			names := planStrings(n.Extra["Projections"])
			source, project, err := scanColumns(names)
			if err != nil {
				return err
			}
			if source == "" {
				// No column read (count(*)): the scan still needs one
				// child per row; which one does not matter.
				return fmt.Errorf("plan reads no column of a recording scan")
			}
			if _, dup := out[source]; dup {
				view := strings.TrimPrefix(source, "_rec_")
				return fmt.Errorf("view %s: scanned more than once in one statement; "+
					"read it once, e.g. WITH x AS MATERIALIZED (SELECT ... FROM %s)", view, view)
			}
			out[source] = scanPlan{source: source, project: project}
		}
		for i := range n.Children {
			if err := walk(&n.Children[i]); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range roots {
		if err := walk(&roots[i]); err != nil {
			if strings.HasPrefix(err.Error(), "plan reads no column") {
				return nil, false, nil
			}
			return nil, true, err
		}
	}
	return out, true, nil
}

type planNode struct {
	Name     string         `json:"name"`
	Children []planNode     `json:"children"`
	Extra    map[string]any `json:"extra_info"`
}

// planStrings reads an extra_info value: one string, or a list.
func planStrings(v any) []string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
		return strings.Split(x, "\n")
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// scanColumns maps "<source>:<column>" names to the source and the
// column indices.
func scanColumns(names []string) (string, []int, error) {
	source := ""
	project := make([]int, 0, len(names))
	for _, n := range names {
		n = strings.Trim(n, `"`)
		s, col, ok := strings.Cut(n, ":")
		if !ok {
			return "", nil, fmt.Errorf("recording scan reads unknown column %q", n)
		}
		if source != "" && s != source {
			return "", nil, fmt.Errorf("recording scan mixes sources %s and %s", source, s)
		}
		source = s
		found := false
		for i, f := range sqlSchema.Fields() {
			if f.Name == col {
				project = append(project, i)
				found = true
				break
			}
		}
		if !found {
			return "", nil, fmt.Errorf("recording scan reads unknown column %q", n)
		}
	}
	return source, project, nil
}
