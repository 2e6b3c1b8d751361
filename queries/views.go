//go:build duckdb_arrow

package queries

import (
	"strings"

	"github.com/rewind-sh/rewind/format"
)

// A streamView is a view read straight from the recording on every
// statement that uses it: a fresh scanReader is registered under
// sourceName before each statement, and the view selects from it. Views
// whose rows are a large share of the recording (every event, file and
// network activity) are streamed this way so memory stays bounded.
type streamView struct {
	name  string
	kinds format.KindSet // 0: every kind
	doc   string
}

func (v streamView) sourceName() string { return "_rec_" + v.name }

// streamViews lists the streamed views. Their columns are those of
// format.Columns that the view's kinds fill.
var streamViews = []streamView{
	{"events", 0, "Every row of the recording, all columns."},
	{"files", format.SetOf(format.KindOpen, format.KindFile), "File opens and write-side file operations (kinds open and file)."},
	{"network", format.SetOf(format.KindNet), "Socket activity: connect, accept, bind, listen, sends and receives with addresses (kind net)."},
	{"security", format.SetOf(format.KindSecurity), "Privilege, namespace, module, ptrace and memory-exec operations (kind security)."},
}

// lifecycleKinds are the rows the process tables are built from. They are
// a small share of a recording, so they are read once per Runner into a
// DuckDB table (_life) that the derived tables can scan many times.
var lifecycleKinds = format.SetOf(format.KindExec, format.KindFork, format.KindExit,
	format.KindKeyframe, format.KindExeHash, format.KindHeartbeat, format.KindUser, format.KindGroup)

// columnsFor returns the names of the columns that rows of kinds fill, in
// schema order; kinds 0 means every column.
func columnsFor(kinds format.KindSet) []string {
	var out []string
	for _, c := range format.Columns {
		if kinds == 0 || c.Kinds&kinds != 0 {
			out = append(out, c.Name)
		}
	}
	return out
}

// kindNames returns the kind names of s as a SQL list: 'exec', 'fork'.
func kindList(s format.KindSet) string {
	var names []string
	for _, k := range format.Kinds() {
		if s.Has(k) {
			names = append(names, "'"+k.String()+"'")
		}
	}
	return strings.Join(names, ", ")
}

func quoteIdents(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
	}
	return strings.Join(q, ", ")
}

// viewSQL is the CREATE VIEW statement of a streamed view.
func (v streamView) viewSQL() string {
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE TEMP VIEW " + v.name + " AS SELECT ")
	b.WriteString(quoteIdents(columnsFor(v.kinds)))
	b.WriteString(" FROM " + v.sourceName())
	if v.kinds != 0 {
		b.WriteString(" WHERE kind IN (" + kindList(v.kinds) + ")")
	}
	return b.String()
}

// lifecycleSQL loads the lifecycle rows from the source view into _life.
func lifecycleSQL(source string) string {
	return "CREATE OR REPLACE TEMP TABLE _life AS SELECT " + quoteIdents(columnsFor(lifecycleKinds)) +
		", epoch_ns(ts) AS t FROM " + source + " WHERE kind IN (" + kindList(lifecycleKinds) + ")"
}
