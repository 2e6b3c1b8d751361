package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// TestFile is a rule test file, in the spirit of `promtool test rules`:
//
//	rule_files:                 # loaded in order, relative to this file
//	  - ../rules/rewind_rules.yaml
//	tests:
//	  - name: drop, chmod and exec of a new binary
//	    recording: ../recordings/drift   # relative to this file
//	    expected_alerts:
//	      - rule: Executable changed just before it ran
//	        count: 1                   # default 1; 0 asserts no alert
//	        output_fields:             # optional; exact values of fields
//	                                   # the rule's output prints
//	          proc.exepath: /tmp/rewind-drift/payload
//
// Every alert a test raises must be expected: for each rule, the alerts
// whose output fields match an entry are counted against that entry's
// count, and alerts matching no entry are failures. Unknown keys are
// errors.
type TestFile struct {
	Path      string     `yaml:"-"`
	RuleFiles []string   `yaml:"rule_files"`
	Tests     []TestCase `yaml:"tests"`
}

// TestCase is one named run of the rules over one recording.
type TestCase struct {
	Name           string          `yaml:"name"`
	Recording      string          `yaml:"recording"`
	ExpectedAlerts []ExpectedAlert `yaml:"expected_alerts"`
	Line           int             `yaml:"-"`
}

// ExpectedAlert is one expectation of a test.
type ExpectedAlert struct {
	Rule         string            `yaml:"rule"`
	Count        *int              `yaml:"count"`
	OutputFields map[string]string `yaml:"output_fields"`
	Line         int               `yaml:"-"`
}

// WantCount is the expected number of alerts (1 when count is omitted).
func (e *ExpectedAlert) WantCount() int {
	if e.Count == nil {
		return 1
	}
	return *e.Count
}

// InvalidTestError reports a malformed test file with its place.
type InvalidTestError struct {
	Path string
	Line int
	Msg  string
}

func (e *InvalidTestError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return e.Path + ": " + e.Msg
}

// ParseTestFile reads a test file strictly: unknown keys, a missing name,
// recording or rule, and negative counts are errors naming the line.
// Paths inside are resolved relative to the file's directory.
func ParseTestFile(path string) (*TestFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read test file: %w", err)
	}
	return ParseTest(path, data)
}

// ParseTest parses test file content; path names it in errors and
// anchors relative paths.
func ParseTest(path string, data []byte) (*TestFile, error) {
	bad := func(line int, format string, args ...any) error {
		return &InvalidTestError{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	var tf TestFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&tf); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, bad(0, "empty test file")
		}
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			return nil, yamlTypeError(path, te)
		}
		return nil, bad(0, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	// Positions come from a second, untyped decode.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil {
		annotateLines(&root, &tf)
	}
	tf.Path = path
	if len(tf.RuleFiles) == 0 {
		return nil, bad(0, "rule_files: at least one rules file is needed")
	}
	if len(tf.Tests) == 0 {
		return nil, bad(0, "tests: no test cases")
	}
	dir := filepath.Dir(path)
	for i, rf := range tf.RuleFiles {
		if rf == "" {
			return nil, bad(0, "rule_files: entry %d is empty", i+1)
		}
		tf.RuleFiles[i] = resolve(dir, rf)
	}
	names := map[string]int{}
	for i := range tf.Tests {
		tc := &tf.Tests[i]
		if tc.Name == "" {
			return nil, bad(tc.Line, "test %d: name is missing", i+1)
		}
		if prev, dup := names[tc.Name]; dup {
			return nil, bad(tc.Line, "test %q: name already used at line %d", tc.Name, prev)
		}
		names[tc.Name] = tc.Line
		if tc.Recording == "" {
			return nil, bad(tc.Line, "test %q: recording is missing", tc.Name)
		}
		tc.Recording = resolve(dir, tc.Recording)
		for j := range tc.ExpectedAlerts {
			ea := &tc.ExpectedAlerts[j]
			if ea.Rule == "" {
				return nil, bad(ea.Line, "test %q: expected alert %d: rule is missing", tc.Name, j+1)
			}
			if ea.Count != nil && *ea.Count < 0 {
				return nil, bad(ea.Line, "test %q: expected alert %q: count %d is negative", tc.Name, ea.Rule, *ea.Count)
			}
		}
	}
	return &tf, nil
}

var yamlLineMsg = regexp.MustCompile(`^line (\d+): (.*)$`)
var yamlUnknownKey = regexp.MustCompile(`^field (\S+) not found in type \S+$`)

// yamlTypeError renders the decoder's problems as path:line: message,
// the first one with its place (the others follow, joined by "; ").
func yamlTypeError(path string, te *yaml.TypeError) error {
	first := &InvalidTestError{Path: path}
	var rest []string
	for i, msg := range te.Errors {
		line := 0
		if m := yamlLineMsg.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		if m := yamlUnknownKey.FindStringSubmatch(msg); m != nil {
			msg = "unknown key " + m[1]
		}
		if i == 0 {
			first.Line, first.Msg = line, msg
		} else {
			rest = append(rest, fmt.Sprintf("line %d: %s", line, msg))
		}
	}
	if len(rest) > 0 {
		first.Msg += "; " + strings.Join(rest, "; ")
	}
	return first
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// annotateLines copies the line of each test and expected alert from the
// YAML node tree into tf.
func annotateLines(root *yaml.Node, tf *TestFile) {
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	tests := mapValue(root, "tests")
	if tests == nil || tests.Kind != yaml.SequenceNode {
		return
	}
	for i, tn := range tests.Content {
		if i >= len(tf.Tests) {
			return
		}
		tf.Tests[i].Line = tn.Line
		eas := mapValue(tn, "expected_alerts")
		if eas == nil || eas.Kind != yaml.SequenceNode {
			continue
		}
		for j, en := range eas.Content {
			if j < len(tf.Tests[i].ExpectedAlerts) {
				tf.Tests[i].ExpectedAlerts[j].Line = en.Line
			}
		}
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
