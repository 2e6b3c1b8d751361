package capture

import (
	"strings"
	"testing"
)

func TestRedactor(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		argv     []string
		env      []string
		wantArgv []string
		wantEnv  []string
	}{
		{"no patterns change nothing", nil,
			[]string{"mysql", "-psecret"}, []string{"PATH=/bin"},
			[]string{"mysql", "-psecret"}, []string{"PATH=/bin"}},
		{"a password flag is redacted where it matches", []string{`(?i)-p\S+`, `password=\S+`},
			[]string{"mysql", "-pHunter2", "--host", "db", "password=x"}, nil,
			[]string{"mysql", Redacted, "--host", "db", Redacted}, nil},
		{"only the matching part of an argument goes", []string{`token=[A-Za-z0-9]+`},
			[]string{"curl", "https://x/?token=abc123&q=1"}, nil,
			[]string{"curl", "https://x/?" + Redacted + "&q=1"}, nil},
		{"env values are redacted and names kept", []string{`^/tmp/.*`},
			nil, []string{"LD_PRELOAD=/tmp/evil.so", "PATH=/usr/bin"},
			nil, []string{"LD_PRELOAD=" + Redacted, "PATH=/usr/bin"}},
		{"a pattern cannot redact an env name", []string{`LD_PRELOAD`},
			nil, []string{"LD_PRELOAD=/lib/x.so"},
			nil, []string{"LD_PRELOAD=/lib/x.so"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRedactor(tt.patterns)
			if err != nil {
				t.Fatal(err)
			}
			r.Argv(tt.argv)
			r.Env(tt.env)
			if strings.Join(tt.argv, "|") != strings.Join(tt.wantArgv, "|") {
				t.Errorf("argv = %q, want %q", tt.argv, tt.wantArgv)
			}
			if strings.Join(tt.env, "|") != strings.Join(tt.wantEnv, "|") {
				t.Errorf("env = %q, want %q", tt.env, tt.wantEnv)
			}
		})
	}
}

func TestRedactorRejectsABadPattern(t *testing.T) {
	_, err := NewRedactor([]string{"ok", "(unclosed"})
	if err == nil || !strings.HasPrefix(err.Error(), `redact pattern "(unclosed": `) {
		t.Fatalf("err = %v", err)
	}
}
