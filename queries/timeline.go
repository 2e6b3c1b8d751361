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
// the subtree's instances are read straight from the recording (see
// scope.go) instead of building the process tables, and the recording
// stream then hands DuckDB only the subtree's rows in its lifetime and
// the window, instead of every row.
func (r *Runner) Timeline(ctx context.Context, opts TimelineOptions, sink Sink) error {
	args := []any{sql.Named("pid", opts.Pid), sql.Named("since", nilIfZero(opts.Since)), sql.Named("until", nilIfZero(opts.Until))}
	if err := r.timeline(ctx, opts, args, sink); err != nil {
		return fmt.Errorf("timeline of pid %d: %w", opts.Pid, err)
	}
	return nil
}

func nilIfZero(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// RunNamed runs the named query q with the given parameter values (as
// typed by a user, see NamedQuery.Bind) into sink. The timeline and
// process-tree queries read their subtree straight from the recording
// (see scope.go), which answers the same, reading less.
func (r *Runner) RunNamed(ctx context.Context, q *NamedQuery, values map[string]string, sink Sink) error {
	args, err := q.Bind(values)
	if err != nil {
		return err
	}
	if q.Name != "timeline" && q.Name != "process-tree" {
		return r.Query(ctx, q.Name, q.SQL, sink, args...)
	}
	var pid, at, since, until int64
	for _, a := range args {
		na := a.(sql.NamedArg)
		v, _ := na.Value.(int64)
		switch na.Name {
		case "pid":
			pid = v
		case "at":
			at = v
		case "since":
			since = v
		case "until":
			until = v
		}
	}
	if q.Name == "process-tree" {
		return r.processTree(ctx, pid, at, args, sink)
	}
	return r.Timeline(ctx, TimelineOptions{Pid: pid, Since: since, Until: until}, sink)
}
