package rule

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

func upstreamBytes(b *testing.B) [][]byte {
	var out [][]byte
	for _, f := range []string{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"} {
		data, err := os.ReadFile(filepath.Join(upstreamDir, f))
		if err != nil {
			b.Skipf("upstream Falco rules not readable (%v); skipping", err)
		}
		out = append(out, data)
	}
	return out
}

// BenchmarkLoadUpstream loads, expands and parses the three upstream files.
func BenchmarkLoadUpstream(b *testing.B) {
	files := upstreamBytes(b)
	size := 0
	for _, f := range files {
		size += len(f)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		l := NewLoader()
		for i, data := range files {
			l.Load([]string{"a.yaml", "b.yaml", "c.yaml"}[i], data)
		}
		if _, err := l.Build(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "loads/s")
}

// BenchmarkLoadUpstreamBaseline only decodes the YAML of the same files,
// the floor under BenchmarkLoadUpstream.
func BenchmarkLoadUpstreamBaseline(b *testing.B) {
	files := upstreamBytes(b)
	size := 0
	for _, f := range files {
		size += len(f)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		for _, data := range files {
			var n yaml.Node
			if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&n); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "loads/s")
}
