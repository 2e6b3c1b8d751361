package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInvalidInvocationsExitWithUsageCode(t *testing.T) {
	used := t.TempDir()
	if err := os.WriteFile(filepath.Join(used, "manifest.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	badRules := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(badRules, []byte("- rule: r\n  desc: d\n  condition: evt.type = open and (\n  output: o\n  priority: INFO\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"the output directory is required", []string{}, `required flag(s) "output" not set`},
		{"an unknown event kind", []string{"-o", "x", "--events", "exec,bogus"}, `--events "bogus": not a kernel event kind`},
		{"a non-kernel kind cannot be filtered", []string{"-o", "x", "--events", "heartbeat"}, `--events "heartbeat": not a kernel event kind`},
		{"a bad redaction pattern", []string{"-o", "x", "--redact", "(oops"}, `redact pattern "(oops"`},
		{"an unknown flag", []string{"-o", "x", "--frobnicate"}, "unknown flag: --frobnicate"},
		{"a stray argument", []string{"-o", "x", "extra"}, `unknown command "extra"`},
		{"a bad size", []string{"-o", "x", "--segment-size", "12 parsecs"}, `size "12 parsecs"`},
		{"a ring that is not a power of two", []string{"-o", "x", "--ring-size", "3MiB"}, "--ring-size 3MiB: want a power of two"},
		{"a retention smaller than a segment", []string{"-o", "x", "--max-size", "1MiB"}, "--max-size 1MiB is smaller than one segment"},
		{"too many env selectors", []string{"-o", "x", "--env", "A,B,C,D,E,F,G,H,I"}, "--env: 9 selectors, at most 8"},
		{"a directory that holds a recording", []string{"-o", used}, "already holds a recording; choose a new directory"},
		{"an unknown dispatch", []string{"-o", "x", "--dispatch", "fast"}, `--dispatch "fast": want default, raw or per-syscall`},
		{"a negative duration", []string{"-o", "x", "--duration", "-1s"}, "durations must be positive"},
		{"a malformed freeze rule names its file and line", []string{"-o", "x", "--freeze-on", badRules}, badRules + ":3:"},
		{"a missing freeze rules file", []string{"-o", "x", "--freeze-on", "/nonexistent/rules.yaml"}, "/nonexistent/rules.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := runMain(tt.args, &stderr)
			if code != exitInvalid {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitInvalid, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Fatalf("stderr %q does not contain %q", stderr.String(), tt.wantErr)
			}
		})
	}
}

func TestHelpShowsAnExample(t *testing.T) {
	var stderr, stdout bytes.Buffer
	root := newRootCmd(&stderr)
	root.SetOut(&stdout)
	root.SetArgs([]string{"--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"rewind-record -o rec --max-size 2GiB", "--redact", "SIGUSR1", "--freeze-on samples/rules/rewind_rules.yaml"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"0", 0, false},
		{"4096", 4096, false},
		{"64MiB", 64 << 20, false},
		{"64M", 64 << 20, false},
		{"64mb", 64 << 20, false},
		{"2GiB", 2 << 30, false},
		{"1T", 1 << 40, false},
		{"10k", 10 << 10, false},
		{"-1", 0, true},
		{"MiB", 0, true},
		{"1.5G", 0, true},
		{"99999999999T", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseBytes(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Fatalf("parseBytes(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
	for _, n := range []int64{0, 1000, 1 << 10, 64 << 20, 3 << 30} {
		back, err := parseBytes(formatBytes(n))
		if err != nil || back != n {
			t.Errorf("formatBytes(%d) = %q does not parse back (%d, %v)", n, formatBytes(n), back, err)
		}
	}
}
