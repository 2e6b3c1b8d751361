package layering

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/rewind-sh/rewind/"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	CgoFiles   []string
	Standard   bool
}

// listPackages runs `go list -deps -json` for patterns.
func listPackages(t *testing.T, tags string, patterns ...string) []pkg {
	t.Helper()
	args := append([]string{"list", "-e", "-deps", "-json", "-tags", tags}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func local(path string) (string, bool) {
	if !strings.HasPrefix(path, module) {
		return "", false
	}
	return strings.TrimPrefix(path, module), true
}

func under(rel, top string) bool { return rel == top || strings.HasPrefix(rel, top+"/") }

func TestImportsFollowTheDataFlow(t *testing.T) {
	// forbidden[a] lists the top-level directories a package under a may
	// not import.
	forbidden := map[string][]string{
		"bpf":     {"format", "capture", "analyze", "queries", "cmd"},
		"format":  {"bpf", "capture", "analyze", "queries", "cmd"},
		"capture": {"analyze", "queries", "cmd"},
		"analyze": {"bpf", "capture", "queries", "cmd"},
		"queries": {"bpf", "capture", "cmd"},
	}
	for _, p := range listPackages(t, "duckdb_arrow", "./...") {
		rel, ok := local(p.ImportPath)
		if !ok {
			continue
		}
		top := strings.SplitN(rel, "/", 2)[0]
		for _, imp := range p.Imports {
			irel, ok := local(imp)
			if !ok {
				continue
			}
			if under(irel, "cmd") {
				t.Errorf("%s imports %s: nothing may import cmd/", rel, irel)
			}
			for _, f := range forbidden[top] {
				if under(irel, f) {
					t.Errorf("%s imports %s: %s must not depend on %s/", rel, irel, top, f)
				}
			}
		}
	}
}

func TestRecorderLinksNoCgo(t *testing.T) {
	for _, p := range listPackages(t, "", "./cmd/record") {
		if len(p.CgoFiles) > 0 && !p.Standard {
			t.Errorf("rewind-record depends on %s, which uses cgo (%v): the recorder must stay cgo-free", p.ImportPath, p.CgoFiles)
		}
		if strings.Contains(p.ImportPath, "duckdb") {
			t.Errorf("rewind-record depends on %s: DuckDB is for replay only", p.ImportPath)
		}
	}
}
