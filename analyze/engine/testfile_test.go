package engine

import (
	"strings"
	"testing"
)

func TestMalformedTestFilesAreRejectedWithTheirPlace(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"an unknown key", "rule_files: [r.yaml]\ntests:\n  - name: a\n    recording: rec\n    expect: []\n",
			"t.yaml:5: unknown key expect"},
		{"no rules files", "tests:\n  - name: a\n    recording: rec\n", "t.yaml: rule_files: at least one rules file is needed"},
		{"no tests", "rule_files: [r.yaml]\n", "t.yaml: tests: no test cases"},
		{"a test without a name", "rule_files: [r.yaml]\ntests:\n  - recording: rec\n", "t.yaml:3: test 1: name is missing"},
		{"a test without a recording", "rule_files: [r.yaml]\ntests:\n  - name: a\n", `t.yaml:3: test "a": recording is missing`},
		{"a duplicate name", "rule_files: [r.yaml]\ntests:\n  - name: a\n    recording: x\n  - name: a\n    recording: y\n", `t.yaml:5: test "a": name already used at line 3`},
		{"an expected alert without a rule", "rule_files: [r.yaml]\ntests:\n  - name: a\n    recording: x\n    expected_alerts:\n      - count: 1\n", `t.yaml:6: test "a": expected alert 1: rule is missing`},
		{"a negative count", "rule_files: [r.yaml]\ntests:\n  - name: a\n    recording: x\n    expected_alerts:\n      - rule: r\n        count: -1\n", `t.yaml:6: test "a": expected alert "r": count -1 is negative`},
		{"a count that is not a number", "rule_files: [r.yaml]\ntests:\n  - name: a\n    recording: x\n    expected_alerts:\n      - rule: r\n        count: many\n", "t.yaml:7: cannot unmarshal !!str `many` into int"},
		{"an empty file", "", "t.yaml: empty test file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTest("t.yaml", []byte(tt.src))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v\nwant    %s", err, tt.want)
			}
		})
	}
}

func TestTestFilePathsAreRelativeToTheFile(t *testing.T) {
	tf, err := ParseTest("dir/t.yaml", []byte("rule_files: [../rules/r.yaml, /abs/r.yaml]\ntests:\n  - name: a\n    recording: rec\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tf.RuleFiles[0] != "rules/r.yaml" || tf.RuleFiles[1] != "/abs/r.yaml" || tf.Tests[0].Recording != "dir/rec" {
		t.Errorf("paths = %v %s", tf.RuleFiles, tf.Tests[0].Recording)
	}
	if tf.Tests[0].ExpectedAlerts != nil {
		t.Errorf("no expected alerts means none")
	}
}

func TestCompareReportsEachKindOfMismatch(t *testing.T) {
	two := 2
	got := []*Alert{
		{Rule: "A", OutputFields: []FieldValue{{Name: "proc.name", Value: "cat"}}},
		{Rule: "B"},
	}
	exp := []ExpectedAlert{{Rule: "A", Count: &two, OutputFields: map[string]string{"proc.name": "cat"}}}
	fails := compare(exp, got)
	var lines []string
	for _, f := range fails {
		lines = append(lines, f.Rule+": exp "+f.Exp+" got "+f.Got)
	}
	want := "A: exp count=2 output_fields={proc.name=cat} got count=1|B: exp count=0 got count=1"
	if strings.Join(lines, "|") != want {
		t.Errorf("failures = %q\nwant %q", strings.Join(lines, "|"), want)
	}
}

func FuzzParseTest(f *testing.F) {
	f.Add([]byte("rule_files: [r.yaml]\ntests:\n  - name: a\n    recording: rec\n    expected_alerts:\n      - rule: r\n        count: 2\n        output_fields: {proc.name: x}\n"))
	f.Add([]byte("tests: [[[]]]"))
	f.Add([]byte("- a\n- b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, err := ParseTest("fuzz.yaml", data)
		if err == nil && (len(tf.RuleFiles) == 0 || len(tf.Tests) == 0) {
			t.Fatalf("accepted a file without rules or tests")
		}
	})
}
