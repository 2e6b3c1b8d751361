package engine

import (
	"bytes"
	"os"
	"testing"
)

// TestSampleRuleTestsPass runs the committed rule tests in samples/tests
// over the committed sample recordings.
func TestSampleRuleTestsPass(t *testing.T) {
	if _, err := os.Stat("../../samples/recordings/benign/manifest.json"); err != nil {
		t.Skipf("sample recordings not present: %v", err)
	}
	files := []string{"../../samples/tests/rewind_rules_test.yaml", "../../samples/tests/falco_stable_and_rewind_test.yaml"}
	for _, path := range files {
		t.Run(path, func(t *testing.T) {
			tf, err := ParseTestFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, rf := range tf.RuleFiles {
				if _, err := os.Stat(rf); err != nil {
					t.Skipf("rules file %s not available: %v", rf, err)
				}
			}
			res, err := RunTests(tf, TestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if failed := WriteReport(&out, res); failed > 0 || len(res) != len(tf.Tests) {
				t.Errorf("%d tests ran:\n%s", len(res), out.String())
			}
		})
	}
}
