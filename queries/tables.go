//go:build duckdb_arrow

package queries

import (
	"context"
	"embed"
	"fmt"
	"strings"

	"github.com/rewind-sh/rewind/format"
)

//go:embed setup/*.sql
var setupFS embed.FS

// derivedTables are the tables built from the lifecycle rows; a
// statement that names one triggers the build.
var derivedTables = []string{"processes", "execs", "hashes", "users", "groups", "drops", "first_keyframe", "_life"}

// statements splits a setup file at ";" ending a line.
func statements(file string) []string {
	b, err := setupFS.ReadFile("setup/" + file)
	if err != nil {
		panic(err) // embedded at build time
	}
	var out []string
	for _, s := range strings.SplitAfter(string(b), ";\n") {
		if strings.TrimSpace(stripComments(s)) != "" {
			out = append(out, s)
		}
	}
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// tableStatements builds hashes, users, groups and the process
// instances (setup/tables.sql); finishStatements the rest once
// inheritImages has run, but for execs, which is built on first use
// (execsSQL): the tree and the timeline do not need it.
func tableStatements() []string { return statements("tables.sql") }

func finishStatements() []string { return statements("finish.sql") }

// execsSQL selects every column an exec row fills (from format.Columns)
// and adds the process instance, the hash and the user names.
func execsSQL() string {
	cols := columnsFor(format.SetOf(format.KindExec))
	sel := make([]string, 0, len(cols)+8)
	for _, c := range cols {
		if c == "seq" || c == "cpu" {
			continue
		}
		sel = append(sel, "l."+quoteIdents([]string{c}))
	}
	return `CREATE OR REPLACE TEMP TABLE execs AS
SELECT r.pid || ':' || r.gen AS proc_id, ` + strings.Join(sel, ", ") + `,
       h.sha256, h.hash_source, h.hash_error, u.user_name, eu.user_name AS euser_name
FROM _inst_rows r
JOIN _life l ON l.rowid = r.rid
LEFT JOIN hashes h
       ON h.exe_dev = r.exe_dev AND h.exe_ino = r.exe_ino
      AND h.exe_ctime IS NOT DISTINCT FROM r.exe_ctime
      AND h.exe_mtime IS NOT DISTINCT FROM r.exe_mtime
      AND h.exe_size IS NOT DISTINCT FROM r.exe_size
LEFT JOIN users u ON u.uid = r.uid
LEFT JOIN users eu ON eu.uid = r.euid
WHERE r.kind = 'exec'
ORDER BY r.t`
}

// inheritImageSQL gives a process that never exec'd (a fork child) the
// image of its parent, when the parent's image is the same file (same
// dev and inode as the child's own rows report): a fork copies the
// parent's image. Run until nothing changes, so chains of forks inherit.
const inheritImageSQL = `UPDATE _proc3 AS c
SET exe_ctime = p.exe_ctime, exe_mtime = p.exe_mtime, exe_size = p.exe_size,
    exe_mode = p.exe_mode, exe_upper_layer = p.exe_upper_layer,
    exe_from_memfd = p.exe_from_memfd, exe_writable = p.exe_writable,
    argv = p.argv, cwd = p.cwd, interpreter = p.interpreter,
    image_known = true, image_from = coalesce(p.image_from, p.proc_id)
FROM _proc3 AS p
WHERE c.parent_proc_id = p.proc_id AND NOT c.image_known AND p.image_known
  AND c.exe_dev IS NOT DISTINCT FROM p.exe_dev AND c.exe_ino IS NOT DISTINCT FROM p.exe_ino`

// maxForkChain bounds the inheritance passes; a chain of forks without
// exec deeper than this keeps unknown images below that depth.
const maxForkChain = 64

func (r *Runner) inheritImages(ctx context.Context) error {
	for i := 0; i < maxForkChain; i++ {
		res, err := r.conn.ExecContext(ctx, inheritImageSQL)
		if err != nil {
			return fmt.Errorf("build process tables: inherit images: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			break
		}
	}
	for _, s := range finishStatements() {
		if _, err := r.conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("build process tables: %w", err)
		}
	}
	return nil
}
