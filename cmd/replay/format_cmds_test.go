package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rewind-sh/rewind/format"
	"github.com/rewind-sh/rewind/format/formattest"
)

// The flag is not called -update: other subcommand tests share this
// package and may define their own.
var updateFormat = flag.Bool("update-format", false, "rewrite testdata/format (recording and golden outputs)")

const formatRec = "testdata/format/rec"

// writeFormatRecording writes the small deterministic recording the
// format subcommand tests read: two segments, busy-host events, a
// keyframe per segment and heartbeats with drops.
func writeFormatRecording(t *testing.T, dir string) {
	t.Helper()
	clock := time.Unix(1_763_900_000, 0)
	lastTs := clock.UnixNano()
	w, err := format.Create(format.WriterOptions{
		Dir: dir,
		Now: func() time.Time { return clock },
		Host: format.HostInfo{
			Hostname: "testhost", BootID: "0b7c5d2e-1f6a-4c1e-9a53-6f0e2d9c8b71", KernelRelease: "6.8.0-test",
			RecorderVersion: "test", BootTimeNs: 1_763_800_000_000_000_000, NumCPU: 2,
		},
		Keyframe: func(emit func(*format.Event) error) error {
			return emit(&format.Event{Kind: format.KindKeyframe, Ts: lastTs, Pid: 1, Tid: 1, Comm: "systemd", ExePath: "/usr/lib/systemd/systemd", State: "S", Argv: []string{"/sbin/init"}})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	g := formattest.BusyHost(7)
	var ev format.Event
	for i := 0; i < 200; i++ {
		g.Next(&ev)
		if err := w.Append(&ev); err != nil {
			t.Fatal(err)
		}
		lastTs = ev.Ts
		if i%50 == 49 {
			hb := format.Event{Kind: format.KindHeartbeat, Ts: ev.Ts, DropsPerCPU: []uint64{uint64(i / 50), 0}, DropsUser: 1}
			if err := w.Append(&hb); err != nil {
				t.Fatal(err)
			}
		}
		if i == 99 {
			clock = clock.Add(time.Minute)
			if err := w.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// As rewind-record --freeze-on does when a rule fires: info shows it.
	w.Freeze(`rule "Shadow file read" at 2026-12-04T12:00:00Z (pid 4242)`)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// formatUpdating reports whether golden files are being rewritten: by
// -update-format, or by the package's shared -update flag if one exists.
func formatUpdating() bool {
	if *updateFormat {
		return true
	}
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

var rewriteRecording sync.Once

// runReplay runs rewind-replay with args and returns stdout and the exit
// code main would return.
func runFormatCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	code := exitOK
	if err != nil {
		code = exitError
		var ce *codeError
		if errors.As(err, &ce) {
			code = ce.code
		}
		out.WriteString("error: " + err.Error() + "\n")
	}
	return out.String(), code
}

func formatGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata/format", name)
	if formatUpdating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update-format)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update-format to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func ensureFormatRecording(t *testing.T) {
	t.Helper()
	if formatUpdating() {
		rewriteRecording.Do(func() {
			if err := os.RemoveAll(formatRec); err != nil {
				t.Fatal(err)
			}
			writeFormatRecording(t, formatRec)
		})
	}
	if _, err := os.Stat(filepath.Join(formatRec, format.ManifestName)); err != nil {
		t.Fatalf("%v: run go test -update-format", err)
	}
}

func TestFormatSubcommands(t *testing.T) {
	ensureFormatRecording(t)
	tests := []struct {
		name   string
		args   []string
		golden string
		code   int
	}{
		{"info prints a table", []string{"info", formatRec}, "info.txt", exitOK},
		{"info prints json", []string{"info", "-o", "json", formatRec}, "info.json", exitOK},
		{"verify passes an intact recording", []string{"verify", formatRec}, "verify.txt", exitOK},
		{"dump prints a table", []string{"dump", "--until", "+150us", formatRec}, "dump.txt", exitOK},
		{"dump filters by kind and relative time", []string{"dump", "--kind", "exec,fork", "--since", "+500us", "--until", "+2ms", formatRec}, "dump-filtered.txt", exitOK},
		{"dump filters by pid as csv", []string{"dump", "--pid", "1", "-o", "csv", formatRec}, "dump-pid1.csv", exitOK},
		{"dump prints json lines", []string{"dump", "--kind", "heartbeat,keyframe", "-o", "json", formatRec}, "dump-json.jsonl", exitOK},
		{"schema prints a table", []string{"schema"}, "schema.txt", exitOK},
		{"schema prints json", []string{"schema", "-o", "json"}, "schema.json", exitOK},
		{"an unknown output format is invalid input", []string{"info", "-o", "yaml", formatRec}, "bad-output.txt", exitInvalid},
		{"an unknown kind is invalid input", []string{"dump", "--kind", "bogus", formatRec}, "bad-kind.txt", exitInvalid},
		{"a bad time is invalid input", []string{"dump", "--since", "yesterday", formatRec}, "bad-time.txt", exitInvalid},
		{"a missing recording is an error", []string{"info", "testdata/format/nope"}, "missing.txt", exitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runFormatCmd(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; output:\n%s", code, tt.code, out)
			}
			formatGolden(t, tt.golden, out)
		})
	}
}

func TestVerifyExitsOneOnTampering(t *testing.T) {
	ensureFormatRecording(t)
	dir := filepath.Join(t.TempDir(), "rec")
	if err := os.CopyFS(dir, os.DirFS(formatRec)); err != nil {
		t.Fatal(err)
	}
	seg := filepath.Join(dir, format.SegmentName(2))
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/3] ^= 0x40
	if err := os.WriteFile(seg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runFormatCmd(t, "verify", dir)
	if code != exitFindings {
		t.Fatalf("exit code %d, want %d; output:\n%s", code, exitFindings, out)
	}
	if !strings.Contains(out, "seg-00000002.arrow: replaced") || !strings.Contains(out, "ALTERED") {
		t.Errorf("output does not name the replaced segment:\n%s", out)
	}
}

func TestSchemaMarkdownMatchesDocs(t *testing.T) {
	out, code := runFormatCmd(t, "schema", "--output", "markdown")
	if code != exitOK {
		t.Fatalf("exit code %d: %s", code, out)
	}
	want, err := os.ReadFile("../../docs/schema.md")
	if err != nil {
		t.Fatalf("%v (run make schema-doc)", err)
	}
	if out != string(want) {
		t.Error("docs/schema.md is stale: run make schema-doc")
	}
}
