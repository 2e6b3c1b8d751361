package bpf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKernelSymbol(t *testing.T) {
	for _, tt := range []struct {
		name, kallsyms string
		want           uint64
		err            string // part of the error; "" for none
	}{
		{"found", "ffffffff816dde20 t __fput\nffffffff816de130 t ____fput\n", 0xffffffff816de130, ""},
		{"a module symbol", "ffffffffc0a01000 t ____fput\t[mod]\n", 0xffffffffc0a01000, ""},
		{"hidden addresses", "0000000000000000 t ____fput\n", 0, "kptr_restrict"},
		{"absent", "ffffffff816dde20 t __fput\n", 0, "not in"},
		{"bad address", "zz t ____fput\n", 0, "bad address"},
		{"short lines are skipped", "ffff\n\nffffffff816de130 t ____fput\n", 0xffffffff816de130, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kallsyms")
			if err := os.WriteFile(path, []byte(tt.kallsyms), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := kernelSymbol(path, "____fput")
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one saying %q", err, tt.err)
			case got != tt.want:
				t.Fatalf("address %#x, want %#x", got, tt.want)
			}
		})
	}
	if _, err := kernelSymbol(filepath.Join(t.TempDir(), "missing"), "____fput"); err == nil {
		t.Fatal("no error for a missing kallsyms file")
	}
}
