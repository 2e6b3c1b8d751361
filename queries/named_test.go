//go:build duckdb_arrow

package queries

import (
	"strings"
	"testing"
	"testing/fstest"
)

// goldenCases run every named query on the sample recording; each named
// query must appear at least once (TestEveryNamedQueryHasAGolden).
var goldenCases = []struct {
	name   string
	query  string
	params map[string]string
	format string
}{
	{"process-tree", "process-tree", nil, OutputTable},
	{"process-tree-of-bash", "process-tree", map[string]string{"pid": "1000"}, OutputTable},
	{"process-tree-at-10-00-04", "process-tree", map[string]string{"at": "2026-11-23T10:00:04.0015Z"}, OutputCSV},
	{"timeline-of-bash", "timeline", map[string]string{"pid": "1000"}, OutputTable},
	{"timeline-of-dropper-window", "timeline", map[string]string{"pid": "1003", "since": "2026-11-23 10:00:02.1", "until": "2026-11-23 10:00:02.25"}, OutputJSON},
	{"drift", "drift", nil, OutputTable},
	{"drift-within-1s", "drift", map[string]string{"max_delay": "1"}, OutputTable},
	{"persistence", "persistence", nil, OutputTable},
	{"sensitive-reads", "sensitive-reads", nil, OutputTable},
	{"privilege-changes", "privilege-changes", nil, OutputTable},
	{"outbound-connections", "outbound-connections", nil, OutputTable},
	{"first-seen-binaries", "first-seen-binaries", nil, OutputTable},
	{"drops", "drops", nil, OutputCSV},
}

func TestNamedQueriesMatchGoldens(t *testing.T) {
	r := openSample(t, Options{})
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			got := runNamed(t, r, c.query, c.params, c.format)
			checkGolden(t, c.name+"."+c.format, got)
		})
	}
}

func TestEveryNamedQueryHasAGolden(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range goldenCases {
		covered[c.query] = true
	}
	for _, q := range NamedQueries() {
		if !covered[q.Name] {
			t.Errorf("named query %s has no golden case", q.Name)
		}
	}
	for _, want := range []string{"process-tree", "timeline", "drift", "persistence", "sensitive-reads",
		"privilege-changes", "outbound-connections", "first-seen-binaries"} {
		if _, ok := Named(want); !ok {
			t.Errorf("named query %s is missing", want)
		}
	}
}

func TestEveryNamedQuerySaysWhatItAnswers(t *testing.T) {
	for _, q := range NamedQueries() {
		if !strings.HasSuffix(q.Question, "?") {
			t.Errorf("%s: header's first line should be the question it answers, got %q", q.Name, q.Question)
		}
		if q.Doc == "" {
			t.Errorf("%s: header has no description", q.Name)
		}
		for _, p := range q.Params {
			if p.Doc == "" {
				t.Errorf("%s: parameter %s is not described", q.Name, p.Name)
			}
		}
	}
}

func TestMalformedHeadersAreRejected(t *testing.T) {
	cases := []struct {
		name, text, want string
	}{
		{"a query without a header", "SELECT 1;", "query q:1: no header comment saying what the query answers"},
		{"a parameter with too few words", "-- Q?\n-- @param pid\nSELECT $pid;", `query q:2: @param wants NAME TYPE required|optional DOC, got "pid"`},
		{"a parameter of an unknown type", "-- Q?\n-- @param pid FLOAT optional x\nSELECT $pid;", "query q:2: parameter pid: unknown type FLOAT (want INTEGER, TEXT, TIME or BOOLEAN)"},
		{"a parameter neither required nor optional", "-- Q?\n-- @param pid INTEGER maybe x\nSELECT $pid;", `query q:2: parameter pid: want required or optional, got "maybe"`},
		{"a parameter declared twice", "-- Q?\n-- @param pid INTEGER optional x\n-- @param pid INTEGER optional y\nSELECT $pid;", "query q:3: parameter pid declared twice"},
		{"a parameter the SQL never uses", "-- Q?\n-- @param pid INTEGER optional x\nSELECT 1;", "query q: parameter pid is declared but never used as $pid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadNamed(fstest.MapFS{"q.sql": {Data: []byte(c.text)}})
			if err == nil || err.Error() != c.want {
				t.Fatalf("got error %v, want %q", err, c.want)
			}
		})
	}
}

func TestParametersAreCheckedBeforeRunning(t *testing.T) {
	q, _ := Named("timeline")
	cases := []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"a missing required parameter", nil, "query timeline: parameter pid is required (The process at the top of the subtree.)"},
		{"an unknown parameter", map[string]string{"pid": "1", "pdi": "2"}, `query timeline: unknown parameter "pdi" (it takes: pid, since, until)`},
		{"an integer that is not one", map[string]string{"pid": "12a"}, `query timeline: parameter pid: want an integer, got "12a"`},
		{"a time that is not one", map[string]string{"pid": "1", "since": "yesterday"}, `query timeline: parameter since: want a time like 2026-11-23T14:02:00Z, "2026-11-23 14:02:00.5" or ns since the epoch, got "yesterday"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := q.Bind(c.params)
			if err == nil || err.Error() != c.want {
				t.Fatalf("got error %v, want %q", err, c.want)
			}
		})
	}
}

func TestTimesAreReadInEverySpelling(t *testing.T) {
	const want = int64(1795428000500000000) // 2026-11-23T10:00:00.5Z
	for _, s := range []string{"2026-11-23T10:00:00.5Z", "2026-11-23T11:00:00.5+01:00", "2026-11-23T10:00:00.5",
		"2026-11-23 10:00:00.5", "2026-11-23 10:00:00.500000000Z", "1795428000500000000"} {
		got, err := ParseTime(s)
		if err != nil || got != want {
			t.Errorf("ParseTime(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
}

func FuzzParseNamed(f *testing.F) {
	for _, q := range NamedQueries() {
		f.Add(q.SQL)
	}
	f.Add("-- Q?\n-- @param x TIME required\nSELECT $x")
	f.Fuzz(func(t *testing.T, text string) {
		q, err := parseNamed("fuzz", text)
		if err != nil {
			return
		}
		if q.Question == "" {
			t.Fatal("accepted a query without a question")
		}
		if _, err := q.Bind(map[string]string{}); err != nil && !strings.Contains(err.Error(), "required") {
			t.Fatalf("binding no values: %v", err)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-23T10:00:00.5Z", "2026-11-23", "123", "", "2026-13-40"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseTime(s)
	})
}
