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

// lifecycleSource streams the lifecycle rows for _life.
var lifecycleSource = streamView{"lifecycle", lifecycleKinds, "Rows the process tables are built from."}

// sources are every streamed source a statement may read.
var sources = append(append([]streamView(nil), streamViews...), lifecycleSource)

// selectFrom selects the columns that rows of kinds fill from a source
// (whose columns are named "<source>:<column>", see sourceSchema) under
// their own names, and only rows of kinds.
func (v streamView) selectFrom() string {
	cols := columnsFor(v.kinds)
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = quoteIdents([]string{v.sourceName() + ":" + c}) + " AS " + quoteIdents([]string{c})
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + v.sourceName()
	if v.kinds != 0 {
		q += " WHERE " + quoteIdents([]string{v.sourceName() + ":kind"}) + " IN (" + kindList(v.kinds) + ")"
	}
	return q
}

// viewSQL is the CREATE VIEW statement of a streamed view.
func (v streamView) viewSQL() string {
	return "CREATE OR REPLACE TEMP VIEW " + v.name + " AS " + v.selectFrom()
}

// lifecycleSQL loads the lifecycle rows into _life.
func lifecycleSQL() string {
	return "CREATE OR REPLACE TEMP TABLE _life AS SELECT *, epoch_ns(ts) AS t FROM (" + lifecycleSource.selectFrom() + ")"
}
