package engine

import (
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/rewind-sh/rewind/format"
)

// TestOptions configure RunTests.
type TestOptions struct {
	// Run, when set, selects the tests whose name it matches.
	Run  *regexp.Regexp
	Load LoadOptions
}

// TestResult is the outcome of one test case.
type TestResult struct {
	File     string
	Name     string
	Line     int
	Duration time.Duration
	Alerts   int
	Failures []Failure
}

// Passed reports whether the test had no failure.
func (r *TestResult) Passed() bool { return len(r.Failures) == 0 }

// Failure is one mismatch between expected and raised alerts.
type Failure struct {
	Rule string
	Exp  string
	Got  string
	// Alerts are the texts of the raised alerts involved, for context.
	Alerts []string
}

// RunTests runs every selected test of tf. Problems with the inputs (rules
// that do not load, a recording that cannot be opened) are returned as
// errors; mismatches are in the results.
func RunTests(tf *TestFile, opts TestOptions) ([]TestResult, error) {
	rs, err := Load(tf.RuleFiles, opts.Load)
	if err != nil {
		return nil, fmt.Errorf("%s: rules: %w", tf.Path, err)
	}
	var out []TestResult
	for _, tc := range tf.Tests {
		if opts.Run != nil && !opts.Run.MatchString(tc.Name) {
			continue
		}
		res, err := runTest(rs, tf.Path, tc)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

func runTest(rs *Ruleset, file string, tc TestCase) (TestResult, error) {
	start := time.Now()
	res := TestResult{File: file, Name: tc.Name, Line: tc.Line}
	rec, err := format.Open(tc.Recording)
	if err != nil {
		return res, fmt.Errorf("%s:%d: test %q: %w", file, tc.Line, tc.Name, err)
	}
	var alerts []*Alert
	if _, err := rs.Run(rec, RunOptions{}, func(a *Alert) error {
		alerts = append(alerts, a)
		return nil
	}); err != nil {
		return res, fmt.Errorf("%s:%d: test %q: replay %s: %w", file, tc.Line, tc.Name, tc.Recording, err)
	}
	res.Alerts = len(alerts)
	res.Failures = compare(tc.ExpectedAlerts, alerts)
	res.Duration = time.Since(start)
	return res, nil
}

// compare matches raised alerts against expectations, rule by rule.
func compare(exp []ExpectedAlert, got []*Alert) []Failure {
	byRule := map[string][]*Alert{}
	for _, a := range got {
		byRule[a.Rule] = append(byRule[a.Rule], a)
	}
	expRules := map[string]bool{}
	var fails []Failure
	for _, e := range exp {
		expRules[e.Rule] = true
	}
	for _, e := range exp {
		var matched []*Alert
		for _, a := range byRule[e.Rule] {
			if fieldsMatch(a, e.OutputFields) {
				matched = append(matched, a)
			}
		}
		if len(matched) != e.WantCount() {
			f := Failure{Rule: e.Rule, Exp: describeExp(e), Got: fmt.Sprintf("count=%d", len(matched))}
			for _, a := range byRule[e.Rule] {
				f.Alerts = append(f.Alerts, a.Text())
			}
			fails = append(fails, f)
		}
	}
	// Alerts of an expected rule that no entry's fields describe.
	for rule := range expRules {
		for _, a := range byRule[rule] {
			if !anyEntryMatches(exp, a) {
				fails = append(fails, Failure{Rule: rule, Exp: "no alert with these output fields",
					Got: "1 unexpected alert", Alerts: []string{a.Text()}})
			}
		}
	}
	// Alerts of rules nobody expected.
	var unexpected []string
	for rule := range byRule {
		if !expRules[rule] {
			unexpected = append(unexpected, rule)
		}
	}
	sort.Strings(unexpected)
	for _, rule := range unexpected {
		f := Failure{Rule: rule, Exp: "count=0", Got: fmt.Sprintf("count=%d", len(byRule[rule]))}
		for _, a := range byRule[rule] {
			f.Alerts = append(f.Alerts, a.Text())
		}
		fails = append(fails, f)
	}
	return fails
}

func anyEntryMatches(exp []ExpectedAlert, a *Alert) bool {
	for _, e := range exp {
		if e.Rule == a.Rule && fieldsMatch(a, e.OutputFields) {
			return true
		}
	}
	return false
}

func fieldsMatch(a *Alert, want map[string]string) bool {
	for k, v := range want {
		got, ok := a.Field(k)
		if !ok || got != v {
			return false
		}
	}
	return true
}

func describeExp(e ExpectedAlert) string {
	s := fmt.Sprintf("count=%d", e.WantCount())
	if len(e.OutputFields) > 0 {
		keys := make([]string, 0, len(e.OutputFields))
		for k := range e.OutputFields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + e.OutputFields[k]
		}
		s += " output_fields={" + strings.Join(parts, ", ") + "}"
	}
	return s
}

// WriteReport prints a FAILED: block per mismatch, then a one-line
// summary; it returns the number of failed tests.
func WriteReport(w io.Writer, results []TestResult) int {
	failed := 0
	for _, r := range results {
		if r.Passed() {
			continue
		}
		failed++
		for _, f := range r.Failures {
			fmt.Fprintf(w, "FAILED:\n    test: %s (%s:%d)\n    rule: %s\n    exp: %s\n    got: %s\n", r.Name, r.File, r.Line, f.Rule, f.Exp, f.Got)
			for _, a := range f.Alerts {
				fmt.Fprintf(w, "        %s\n", a)
			}
		}
	}
	if failed == 0 {
		fmt.Fprintf(w, "SUCCESS: %d tests passed\n", len(results))
	} else {
		fmt.Fprintf(w, "%d of %d tests failed\n", failed, len(results))
	}
	return failed
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes results as JUnit XML, one testsuite per test file.
func WriteJUnit(w io.Writer, results []TestResult) error {
	var suites junitSuites
	index := map[string]int{}
	for _, r := range results {
		i, ok := index[r.File]
		if !ok {
			i = len(suites.Suites)
			index[r.File] = i
			suites.Suites = append(suites.Suites, junitSuite{Name: r.File})
		}
		s := &suites.Suites[i]
		c := junitCase{Name: r.Name, Classname: r.File, Time: secs(r.Duration)}
		if !r.Passed() {
			var b strings.Builder
			for _, f := range r.Failures {
				fmt.Fprintf(&b, "rule: %s\nexp: %s\ngot: %s\n", f.Rule, f.Exp, f.Got)
				for _, a := range f.Alerts {
					fmt.Fprintf(&b, "    %s\n", a)
				}
			}
			c.Failure = &junitFailure{Message: fmt.Sprintf("%d mismatches", len(r.Failures)), Text: b.String()}
			s.Failures++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	for i := range suites.Suites {
		var total time.Duration
		for _, r := range results {
			if r.File == suites.Suites[i].Name {
				total += r.Duration
			}
		}
		suites.Suites[i].Time = secs(total)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suites); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
