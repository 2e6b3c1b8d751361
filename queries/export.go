//go:build duckdb_arrow

package queries

import (
	"context"
	"fmt"
	"strings"

	"github.com/rewind-sh/rewind/format"
)

// Export formats.
const (
	ExportParquet = "parquet"
	ExportJSONL   = "jsonl"
)

// ExportFormats lists the accepted export formats.
var ExportFormats = []string{ExportParquet, ExportJSONL}

// ExportOptions say what to export where.
type ExportOptions struct {
	Format string // parquet or jsonl
	Out    string // output file
	// View is the view or table to export (default "events": every row
	// and column of the recording).
	View string
	// Host and BootID, when set, are added as the first two columns so
	// that exports of many machines can be queried together.
	Host, BootID string
}

// HostOf returns the host name and boot id a recording's manifest
// records, for ExportOptions.
func HostOf(rec *format.Recording) (host, bootID string) {
	if rec == nil || rec.Manifest == nil {
		return "", ""
	}
	return rec.Manifest.Host.Hostname, rec.Manifest.Host.BootID
}

// Export writes a view of the recording to a file with DuckDB's COPY,
// streaming: the recording is read once, batch by batch. The Runner must
// have been made with Options.AllowFiles.
func (r *Runner) Export(ctx context.Context, opts ExportOptions) error {
	view := opts.View
	if view == "" {
		view = "events"
	}
	if !isIdent(view) {
		return fmt.Errorf("export: %q is not a view name", view)
	}
	var copyOpts string
	switch opts.Format {
	case ExportParquet:
		copyOpts = "FORMAT parquet, COMPRESSION zstd"
	case ExportJSONL:
		copyOpts = "FORMAT json"
	default:
		return fmt.Errorf("export: unknown format %q (want %s)", opts.Format, strings.Join(ExportFormats, ", "))
	}
	sel := "*"
	if opts.Host != "" || opts.BootID != "" {
		sel = sqlString(opts.Host) + " AS host, " + sqlString(opts.BootID) + " AS boot_id, *"
	}
	stmt := fmt.Sprintf("COPY (SELECT %s FROM %s) TO %s (%s)", sel, view, sqlString(opts.Out), copyOpts)
	if err := r.exec(ctx, "export", stmt, true, nil); err != nil {
		return fmt.Errorf("export %s to %s: %w", view, opts.Out, err)
	}
	return nil
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentByte(s[i]) {
			return false
		}
	}
	return true
}
