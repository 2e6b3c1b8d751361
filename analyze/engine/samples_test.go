package engine

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/rewind-sh/rewind/format"
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

// TestDriftAlertCarriesTheTruthHash checks the whole chain on the real
// drift recording: the alert on the dropped binary names the sha256 the
// scenario computed itself while it ran.
func TestDriftAlertCarriesTheTruthHash(t *testing.T) {
	truthFile := "../../samples/recordings/drift.truth.json"
	data, err := os.ReadFile(truthFile)
	if err != nil {
		t.Skipf("sample recordings not present: %v", err)
	}
	var truth struct {
		Execs []struct {
			Exe struct {
				Path   string `json:"path"`
				Sha256 string `json:"sha256"`
			} `json:"exe"`
		} `json:"execs"`
	}
	if err := json.Unmarshal(data, &truth); err != nil {
		t.Fatalf("%s: %v", truthFile, err)
	}
	want := map[string]string{}
	for _, e := range truth.Execs {
		if e.Exe.Sha256 != "" {
			want[e.Exe.Path] = e.Exe.Sha256
		}
	}
	rs, err := Load([]string{ourRules}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := format.Open("../../samples/recordings/drift")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	if _, err := rs.Run(rec, RunOptions{}, func(a *Alert) error {
		exe, _ := a.Field("proc.exepath")
		sum, _ := a.Field("proc.exe.sha256")
		if w, ok := want[exe]; ok {
			checked++
			if sum != w {
				t.Errorf("%s: alert sha256 %s, truth %s", exe, sum, w)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Errorf("no alert named an executable of the truth file %v", want)
	}
}
