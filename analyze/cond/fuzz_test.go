package cond

import (
	"testing"

	"github.com/rewind-sh/rewind/analyze/rule"
)

// FuzzCompile checks that whatever parses either compiles or gives a
// positioned error, and that compiled conditions and outputs evaluate
// without panicking on a full and on an empty event.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"proc.name = bash", "fd.num >= 0 and fd.types in (ipv4)", `fd.nameraw glob '*../*'`,
		"proc.aname[2] startswith anyof (a, b)", "fd.snet in (10.0.0.0/8)", "len(fd.types) > 1",
		"evt.buffer bcontains cafe", "proc.name regex 'b.*'", "b64(proc.env) = x", "fd.name pmatch (/tmp/*/x)",
		`join(",", proc.name, proc.aname[1]) = "a,b"`, "not evt.type != open",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, perr := rule.ParseString("fuzz", s)
		if perr != nil {
			return
		}
		cc := NewCompiler(fakeCatalog{})
		c, err := cc.Compile(e)
		if err != nil {
			if ce, ok := err.(*CompileError); !ok || len(ce.Errors) == 0 && len(ce.Unavailable) == 0 {
				t.Fatalf("compile %q: unexpected error %v", s, err)
			}
			_ = err.Error()
		} else {
			c.Match(ev1)
			c.Match(fakeEvent{})
		}
		_ = InferTypes(e)
		if out, _, err := cc.CompileOutput(rule.NewSource(nil, 0, s)); err == nil {
			out.Format(ev1)
			out.Format(fakeEvent{})
		}
	})
}
