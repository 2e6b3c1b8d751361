package cond

import (
	"strings"
	"testing"

	"github.com/rewind-sh/rewind/analyze/rule"
)

func TestOutputFormatting(t *testing.T) {
	tests := []struct {
		name, format, want string
	}{
		{"plain fields", "shell %proc.name parent=%proc.pname", "shell bash parent=sshd"},
		{"fields with arguments", "gparent=%proc.aname[2] flags=%evt.arg.flags", "gparent=systemd flags=O_TRUNC|O_CREAT|O_WRONLY"},
		{"missing values print <NA>", "exe=%proc.exepath", "exe=<NA>"},
		{"a leading star is dropped", "*x=%proc.name", "x=bash"},
		{"ancestors without index print as a list", "anames=%proc.aname", "anames=sshd systemd"},
		{"numbers, bools and addresses", "%fd.num %evt.is_open_read %fd.ip %fd.sport", "3 true 10.1.2.3 443"},
		{"transformers", "%toupper(proc.name)!", "BASH!"},
		{"width pads", "[%6proc.name]", "[bash  ]"},
		{"width truncates", "[%2proc.name]", "[ba]"},
		{"punctuation after a field is text", "(%proc.name), %proc.pname.", "(bash), sshd."},
		{"a percent without field is text", "100% sure %", "100% sure %"},
		{"a dotted suffix the catalog lacks is text", "%proc.name.suffix", "bash.suffix"},
		{"an argument the field rejects is text", "%proc.aname[x]!", "sshd systemd[x]!"},
		{"unavailable fields print <NA>", "ns=%k8s.ns.name", "ns=<NA>"},
		{"container.info is accepted and prints nothing", "x %container.info", "x "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, err := NewCompiler(fakeCatalog{}).CompileOutput(rule.NewSource(nil, 0, tt.format))
			if err != nil {
				t.Fatalf("compile %q: %v", tt.format, err)
			}
			if got := f.Format(ev1); got != tt.want {
				t.Errorf("Format(%q) = %q, want %q", tt.format, got, tt.want)
			}
		})
	}
}

func TestOutputFieldsAndWarnings(t *testing.T) {
	f, warns, err := NewCompiler(fakeCatalog{}).CompileOutput(rule.NewSource(nil, 0, "%proc.name %proc.aname[2] %proc.name %k8s.pod.name"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.FieldNames(), ","); got != "proc.name,proc.aname[2],k8s.pod.name" {
		t.Errorf("fields %s", got)
	}
	var kv []string
	f.Values(ev1, func(k, v string) { kv = append(kv, k+"="+v) })
	if got := strings.Join(kv, " "); got != "proc.name=bash proc.aname[2]=systemd k8s.pod.name=<NA>" {
		t.Errorf("values %s", got)
	}
	if len(warns) != 1 || warns[0].Field != "k8s.pod.name" {
		t.Errorf("warnings %+v", warns)
	}
}

func TestOutputErrors(t *testing.T) {
	_, _, err := NewCompiler(fakeCatalog{}).CompileOutput(rule.NewSource(rule.NewFile("o", []byte("x %nosuch.field y")), 0, "x %nosuch.field y"))
	if err == nil || err.Error() != "o:1:4: unknown field nosuch.field in output" {
		t.Fatalf("got %v", err)
	}
}
