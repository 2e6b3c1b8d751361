//go:build duckdb_arrow

package queries

import (
	"context"
	"database/sql"
	"fmt"
)

// TimelineOptions select a process subtree and a time window; Since and
// Until are ns since the epoch, 0 for unbounded.
type TimelineOptions struct {
	Pid          int64
	Since, Until int64
}

// Timeline runs the timeline named query for a process subtree into
// sink. It gives the same answer as running the query by name, faster:
// the subtree's pids are looked up first, and the recording stream then
// hands DuckDB only those pids' rows in the window, instead of every row.
func (r *Runner) Timeline(ctx context.Context, opts TimelineOptions, sink Sink) error {
	q, _ := Named("timeline")
	var since, until any
	if opts.Since != 0 {
		since = opts.Since
	}
	if opts.Until != 0 {
		until = opts.Until
	}
	pids := &collectSink{}
	err := r.Query(ctx, q.Name, "SELECT DISTINCT pid FROM processes WHERE pid = $pid OR list_contains(lineage, $pid)",
		pids, sql.Named("pid", opts.Pid))
	if err != nil {
		return err
	}
	hint := &rowHint{pids: map[int32]bool{int32(opts.Pid): true}, since: opts.Since, until: opts.Until}
	for _, row := range pids.rows {
		hint.pids[int32(toInt(row[0]))] = true
	}
	args := []any{sql.Named("pid", opts.Pid), sql.Named("since", since), sql.Named("until", until)}
	if err := r.queryHinted(ctx, q.Name, q.SQL, sink, hint, args); err != nil {
		return fmt.Errorf("timeline of pid %d: %w", opts.Pid, err)
	}
	return nil
}

// RunNamed runs the named query q with the given parameter values (as
// typed by a user, see NamedQuery.Bind) into sink. The timeline query
// goes through Timeline, which answers the same, reading less.
func (r *Runner) RunNamed(ctx context.Context, q *NamedQuery, values map[string]string, sink Sink) error {
	args, err := q.Bind(values)
	if err != nil {
		return err
	}
	if q.Name != "timeline" {
		return r.Query(ctx, q.Name, q.SQL, sink, args...)
	}
	var opts TimelineOptions
	for _, a := range args {
		na := a.(sql.NamedArg)
		v, _ := na.Value.(int64)
		switch na.Name {
		case "pid":
			opts.Pid = v
		case "since":
			opts.Since = v
		case "until":
			opts.Until = v
		}
	}
	return r.Timeline(ctx, opts, sink)
}
