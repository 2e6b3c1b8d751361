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

// tableStatements builds hashes, users and groups (setup/tables.sql);
// finishStatements the rest once the process instances are built (see
// procbuild.go), but for execs, which is built on first use (execsSQL):
// the tree and the timeline do not need it.
func tableStatements() []string { return statements("tables.sql") }

func finishStatements() []string { return statements("finish.sql") }

// execsSQL selects every column an exec row fills (from format.Columns)
// and adds the process instance, the hash of the executable and of the
// #! script it ran (script_sha256), and the user names.
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
SELECT l.pid || ':' || g.gen AS proc_id, ` + strings.Join(sel, ", ") + `,
       h.sha256, h.hash_source, h.hash_error, sh.sha256 AS script_sha256,
       u.user_name, eu.user_name AS euser_name
FROM _exec_gen g
JOIN _life l ON l.rowid = g.rid
LEFT JOIN hashes h
       ON h.exe_dev = l.exe_dev AND h.exe_ino = l.exe_ino
      AND h.exe_ctime IS NOT DISTINCT FROM l.exe_ctime
      AND h.exe_mtime IS NOT DISTINCT FROM l.exe_mtime
      AND h.exe_size IS NOT DISTINCT FROM l.exe_size
LEFT JOIN hashes sh
       ON sh.exe_dev = l.script_dev AND sh.exe_ino = l.script_ino
      AND sh.exe_ctime = l.script_ctime AND sh.exe_mtime = l.script_mtime
      AND sh.exe_size = l.script_size
LEFT JOIN users u ON u.uid = l.uid
LEFT JOIN users eu ON eu.uid = l.euid
ORDER BY l.t`
}

// maxForkChain bounds image inheritance: a chain of forks without exec
// deeper than this keeps unknown images below that depth.
const maxForkChain = 64

// finishTables runs setup/finish.sql once the instances are built.
func (r *Runner) finishTables(ctx context.Context) error {
	for _, s := range finishStatements() {
		if _, err := r.conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("build process tables: %w", err)
		}
	}
	return nil
}
