// Package queries answers timeline questions about a recording in SQL. It
// exposes a recording to an embedded DuckDB as views (events, processes,
// execs, files, network, drops, ...) fed by streaming Arrow readers over
// format.Recording.Scan, holds the named queries (*.sql, embedded), and
// exports recordings to Parquet or JSON lines. It does not evaluate rules.
//
// DuckDB is linked through cgo and its Arrow support is behind the
// duckdb_arrow build tag; every file of this package needs that tag.
package queries
