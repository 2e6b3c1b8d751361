//go:build duckdb_arrow

package queries

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/rewind-sh/rewind/format"
)

// Source is what a Runner reads: a recording, or anything that scans
// record batches of the format.Columns schema in time order.
// *format.Recording is a Source.
type Source interface {
	Scan(opts format.ScanOptions, fn func(*format.Batch) error) error
}

// Options tune a Runner. Zero values pick the defaults.
type Options struct {
	// Threads is DuckDB's worker thread count (default: DuckDB's own,
	// the number of CPUs).
	Threads int
	// MemoryLimit caps DuckDB's memory, e.g. "2GB" (default: DuckDB's
	// own, 80% of RAM). Nothing spills to disk: a query that needs more
	// fails with an out-of-memory error.
	MemoryLimit string
	// AllowFiles lets SQL read and write files (COPY, read_parquet, ...).
	// Off by default: a query sees the recording and nothing else.
	AllowFiles bool
}

// Runner exposes one recording to an in-memory DuckDB database as SQL
// views and tables, and runs queries on it. It is safe for concurrent
// use; statements run one at a time.
type Runner struct {
	src Source

	mu       sync.Mutex
	db       *sql.DB
	conn     *sql.Conn
	arrow    *duckdb.Arrow
	releases []func() // streams registered for the statement in flight
	built    bool     // the process tables exist
	execs    bool     // the execs table exists
	hint     *rowHint // for the statement in flight (see Timeline)
	closed   bool
}

// Open opens the recording in dir and returns a Runner on it, with any
// warnings the reader raised (recovered segments, skipped files).
func Open(dir string, opts Options) (*Runner, []string, error) {
	rec, err := format.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	r, err := New(rec, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("recording %s: %w", dir, err)
	}
	return r, rec.Warnings, nil
}

// New returns a Runner over src. Nothing is read until a statement needs
// it.
func New(src Source, opts Options) (*Runner, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, fmt.Errorf("start duckdb: %w", err)
	}
	db := sql.OpenDB(connector)
	conn, err := db.Conn(context.Background())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("start duckdb: %w", err)
	}
	r := &Runner{src: src, db: db, conn: conn}
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		r.arrow = a
		return err
	})
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("start duckdb arrow interface: %w", err)
	}
	settings := []string{
		"SET TimeZone = 'UTC'",
		// Nothing of a recording is copied to disk.
		"SET temp_directory = ''",
	}
	if !opts.AllowFiles {
		settings = append(settings, "SET enable_external_access = false")
	}
	if opts.Threads > 0 {
		settings = append(settings, fmt.Sprintf("SET threads = %d", opts.Threads))
	}
	if opts.MemoryLimit != "" {
		settings = append(settings, "SET memory_limit = '"+strings.ReplaceAll(opts.MemoryLimit, "'", "''")+"'")
	}
	for _, s := range settings {
		if _, err := conn.ExecContext(context.Background(), s); err != nil {
			r.Close()
			return nil, fmt.Errorf("configure duckdb (%s): %w", s, err)
		}
	}
	if err := r.registerStreams(nil); err != nil {
		r.Close()
		return nil, err
	}
	for _, v := range streamViews {
		if _, err := conn.ExecContext(context.Background(), v.viewSQL()); err != nil {
			r.Close()
			return nil, fmt.Errorf("create view %s: %w", v.name, err)
		}
	}
	return r, nil
}

// Close releases DuckDB and every registered stream.
func (r *Runner) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	var errs []error
	if r.conn != nil {
		errs = append(errs, r.conn.Close())
	}
	r.releaseStreams()
	if r.db != nil {
		errs = append(errs, r.db.Close())
	}
	return errors.Join(errs...)
}

// registerStreams gives every streamed source a fresh, unread
// scanReader. A registered stream can be read once, so this runs before
// every statement; registering is cheap (nothing is scanned until DuckDB
// pulls the first batch). plans gives the columns each source's scan
// will read; a source missing from plans gets one column (a scan that
// reads none still counts rows through it), and all columns when plans
// is nil.
func (r *Runner) registerStreams(plans map[string]scanPlan) error {
	var fresh []func()
	for _, v := range sources {
		var project []int
		if plans != nil {
			project = []int{int(format.ColTs)}
			if p, ok := plans[v.sourceName()]; ok {
				project = p.project
			}
		}
		var hint *rowHint
		if v.name != lifecycleSource.name {
			hint = r.hint
		}
		rd := newScanReader(v.name, r.src, format.ScanOptions{Kinds: v.kinds}, sourceSchema(v.sourceName()), project, hint)
		release, err := r.arrow.RegisterView(rd, v.sourceName())
		rd.Release() // the exported stream holds its own reference
		if err != nil {
			for _, f := range fresh {
				f()
			}
			return fmt.Errorf("register view %s: %w", v.name, err)
		}
		fresh = append(fresh, release)
	}
	r.releaseStreams()
	r.releases = fresh
	return nil
}

func (r *Runner) releaseStreams() {
	for _, f := range r.releases {
		f()
	}
	r.releases = nil
}

// buildTables reads the lifecycle rows once and derives the process
// tables from them (see tables.go).
func (r *Runner) buildTables(ctx context.Context) error {
	if r.built {
		return nil
	}
	load := lifecycleSQL()
	err := r.run(ctx, "", load, nil, true, func() error {
		_, err := r.conn.ExecContext(ctx, load)
		return err
	})
	if err != nil {
		return fmt.Errorf("build process tables: %w", err)
	}
	for _, s := range tableStatements() {
		if _, err := r.conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("build process tables: %w", err)
		}
	}
	if err := r.buildProcessTables(ctx); err != nil {
		return fmt.Errorf("build process tables: %w", err)
	}
	if err := r.finishTables(ctx); err != nil {
		return err
	}
	r.built = true
	return nil
}

// run runs fn, which executes text, with fresh streams registered for
// the sources text reads, each projected to the columns DuckDB's plan
// reads (see planScans), and the filter pushdown optimizers off. name
// labels errors ("" for internal statements).
//
// Only a single statement can be planned: EXPLAIN of several statements
// would run all but the first. single says the caller built text as one
// statement; otherwise DuckDB's parser is asked (json_serialize_sql,
// which takes one or more SELECTs), and anything else is run unplanned.
func (r *Runner) run(ctx context.Context, name, text string, args []any, single bool, fn func() error) error {
	if !needsStreams(text) {
		return fn()
	}
	setOptimizers := func(list string) error {
		_, err := r.conn.ExecContext(ctx, "SET disabled_optimizers = '"+list+"'")
		if err != nil {
			return fmt.Errorf("configure duckdb: %w", err)
		}
		return nil
	}
	if err := setOptimizers(pushdownOptimizers); err != nil {
		return err
	}
	defer r.conn.ExecContext(context.Background(), "RESET disabled_optimizers")
	if err := r.registerStreams(nil); err != nil {
		return err
	}
	plans, ok, err := map[string]scanPlan(nil), false, error(nil)
	if single || r.isOneSelect(ctx, text) {
		plans, ok, err = r.planScans(ctx, text, args)
	}
	if err != nil {
		if name == "" {
			return err
		}
		return fmt.Errorf("query %s: %w", name, err)
	}
	if !ok {
		if err := setOptimizers(fullScanOptimizers); err != nil {
			return err
		}
		plans = nil
	}
	if err := r.registerStreams(plans); err != nil {
		return err
	}
	return fn()
}

// isOneSelect reports whether text parses as exactly one SELECT.
func (r *Runner) isOneSelect(ctx context.Context, text string) bool {
	var out string
	if err := r.conn.QueryRowContext(ctx, "SELECT json_serialize_sql($1::VARCHAR)::VARCHAR", text).Scan(&out); err != nil {
		return false
	}
	var parsed struct {
		Error      bool              `json:"error"`
		Statements []json.RawMessage `json:"statements"`
	}
	return json.Unmarshal([]byte(out), &parsed) == nil && !parsed.Error && len(parsed.Statements) == 1
}

// needsStreams reports whether text may read a streamed view.
func needsStreams(text string) bool {
	lower := strings.ToLower(text)
	for _, v := range sources {
		if containsWord(lower, v.name) || containsWord(lower, v.sourceName()) {
			return true
		}
	}
	return strings.Contains(lower, "_rec_")
}

// ensureTables builds the derived tables text may read. A word match is
// enough: building when not needed only costs time.
func (r *Runner) ensureTables(ctx context.Context, text string) error {
	if !needsTables(text) {
		return nil
	}
	if err := r.buildTables(ctx); err != nil {
		return err
	}
	if r.execs || !containsWord(strings.ToLower(text), "execs") {
		return nil
	}
	if _, err := r.conn.ExecContext(ctx, execsSQL()); err != nil {
		return fmt.Errorf("build table execs: %w", err)
	}
	r.execs = true
	return nil
}

// needsTables reports whether text may read a derived table.
func needsTables(text string) bool {
	lower := strings.ToLower(text)
	for _, t := range derivedTables {
		if containsWord(lower, t) {
			return true
		}
	}
	return false
}

func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || !isIdentByte(s[j-1])) && (end == len(s) || !isIdentByte(s[end])) {
			return true
		}
		i = j + 1
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// A Sink receives a result: its columns once, then each row. The values
// are those database/sql scans into any: nil, bool, int*, uint*,
// float64, string, []byte, time.Time, []any, map[any]any,
// duckdb.Interval, ...
type Sink interface {
	Columns(cols []ResultColumn) error
	Row(vals []any) error
	Flush() error
}

// ResultColumn names a result column and its DuckDB type.
type ResultColumn struct {
	Name string
	Type string
}

// Query runs one SQL statement and streams its result into sink. name
// labels errors (a named query's name, or "sql"); args bind $1.. or,
// given as sql.Named, $name parameters.
func (r *Runner) Query(ctx context.Context, name, text string, sink Sink, args ...any) error {
	return r.queryHinted(ctx, name, text, sink, nil, args)
}

// lockOpen takes the runner's lock, or says the runner is closed (and
// leaves it unlocked).
func (r *Runner) lockOpen() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return errors.New("query runner is closed")
	}
	return nil
}

// queryHinted is Query with a row hint for the streams of this statement.
func (r *Runner) queryHinted(ctx context.Context, name, text string, sink Sink, hint *rowHint, args []any) error {
	if err := r.lockOpen(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	if err := r.ensureTables(ctx, text); err != nil {
		return err
	}
	return r.queryLocked(ctx, name, text, sink, hint, args)
}

// queryLocked is queryHinted with r.mu held, for a statement that reads
// no derived table.
func (r *Runner) queryLocked(ctx context.Context, name, text string, sink Sink, hint *rowHint, args []any) error {
	r.hint = hint
	defer func() { r.hint = nil }()
	return r.run(ctx, name, text, args, false, func() error { return r.query(ctx, name, text, sink, args) })
}

func (r *Runner) query(ctx context.Context, name, text string, sink Sink, args []any) error {
	rows, err := r.conn.QueryContext(ctx, text, args...)
	if err != nil {
		return sqlError(name, text, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return sqlError(name, text, err)
	}
	cols := make([]ResultColumn, len(types))
	for i, t := range types {
		cols[i] = ResultColumn{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	if err := sink.Columns(cols); err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return sqlError(name, text, err)
		}
		if err := sink.Row(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return sqlError(name, text, err)
	}
	return sink.Flush()
}

// Exec runs a statement that returns no rows (COPY, CREATE TEMP ...).
func (r *Runner) Exec(ctx context.Context, name, text string, args ...any) error {
	return r.exec(ctx, name, text, false, args)
}

// exec is Exec; single says text is one statement (see run).
func (r *Runner) exec(ctx context.Context, name, text string, single bool, args []any) error {
	if err := r.lockOpen(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	if err := r.ensureTables(ctx, text); err != nil {
		return err
	}
	return r.run(ctx, name, text, args, single, func() error {
		if _, err := r.conn.ExecContext(ctx, text, args...); err != nil {
			return sqlError(name, text, err)
		}
		return nil
	})
}
