package rule

import (
	"strings"
	"testing"
)

func TestParseConditions(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a field compared with a bare string", "proc.name=sshd", `proc.name = sshd`},
		{"symbolic operators need no blanks", "fd.num>=0", `fd.num >= 0`},
		{"double equals is kept as written", "proc.name == bash", `proc.name == bash`},
		{"and binds tighter than or", "a or b and not c", `(a or (b and not c))`},
		{"and and or are n-ary", "a and b and c or d or e", `((a and b and c) or d or e)`},
		{"not binds tightest", "not a and b", `(not a and b)`},
		{"not not toggles twice", "not not a", `not not a`},
		{"not may touch a parenthesis", "not(a)", `not a`},
		{"and may touch a parenthesis", "a and(b or c)", `(a and (b or c))`},
		{"or( takes only the parenthesised expression", "a or(b) or c", `(a or b or c)`},
		{"or followed by a blank takes an and-expression", "a or (b) and c", `(a or (b and c))`},
		{"parentheses group", "(a or b) and c", `((a or b) and c)`},
		{"newlines and tabs are blanks", "a\n\tand\r\nb", `(a and b)`},
		{"in takes a list", `proc.name in (a, "b c", 'd')`, `proc.name in (a, "b c", "d")`},
		{"in needs no blank before the list", "proc.name in(a,b)", `proc.name in (a, b)`},
		{"an empty list is allowed", "proc.name in ()", `proc.name in ()`},
		{"intersects is not read as in", "proc.args intersects (-V)", `proc.args intersects (-V)`},
		{"pmatch takes a list", "fd.name pmatch (/tmp, /etc)", `fd.name pmatch (/tmp, /etc)`},
		{"a bare identifier after in is a one-item list", "proc.name in sshd", `proc.name in (sshd)`},
		{"exists is unary", "proc.pname exists and a", `(proc.pname exists and a)`},
		{"field arguments", "proc.aname[2]=redis-server", `proc.aname[2] = redis-server`},
		{"quoted field arguments", `proc.env["HOME"] = /root`, `proc.env[HOME] = /root`},
		{"bare arguments may hold slashes and globs", "container.mount.dest[/proc*] exists", `container.mount.dest[/proc*] exists`},
		{"dotted argument names stay in the field name", "evt.arg.flags contains O_TRUNC", `evt.arg.flags contains O_TRUNC`},
		{"bare strings may hold special bytes", "proc.name in (<NA>, runc:[0:PARENT], 127.0.0.0/8)", `proc.name in (<NA>, runc:[0:PARENT], 127.0.0.0/8)`},
		{"quoted strings are unescaped", `fd.name = "a\"b\\c\x41\t"`, `fd.name = "a\"b\\cA\t"`},
		{"backslash-blank is read as one backslash (a libs quirk)", `fd.name = "a\ b"`, `fd.name = "a\\b"`},
		{"single-quoted strings escape single quotes", `fd.name = 'it\'s'`, `fd.name = "it's"`},
		{"glob keeps its pattern", `fd.nameraw glob '*../*../*'`, `fd.nameraw glob "*../*../*"`},
		{"numbers may be hex, signed or exponent", "proc.duration <= 5e+9 and fd.num > -1 and evt.num < 0x10", `(proc.duration <= 5e+9 and fd.num > -1 and evt.num < 0x10)`},
		{"equality takes negative bare numbers", "fd.num=-1", `fd.num = -1`},
		{"transformers on the left", "tolower(proc.name) = bash", `tolower(proc.name) = bash`},
		{"transformers nest", "toupper(b64(evt.arg.data)) contains X", `toupper(b64(evt.arg.data)) contains X`},
		{"val on the right", "proc.name = val(proc.pname)", `proc.name = val(proc.pname)`},
		{"a transformer on the right", "proc.name = tolower(proc.pname)", `proc.name = tolower(proc.pname)`},
		{"len compares as a number", "len(proc.args) > 3", `len(proc.args) > 3`},
		{"transformer lists hold fields, strings and numbers", `concat((proc.name, "x", 1), fd.name) exists`, `concat((proc.name, "x", 1), fd.name) exists`},
		{"join takes strings and fields", `join(",", proc.name, proc.pname) = "a,b"`, `join(",", proc.name, proc.pname) = "a,b"`},
		{"modifiers take a list", "proc.name startswith anyof (a, b)", `proc.name startswith anyof (a, b)`},
		{"symbolic operators take modifiers too", "proc.name != allof(a, b)", `proc.name != allof (a, b)`},
		{"a macro name alone is a check", "spawned_process", `spawned_process`},
		{"keywords inside names are not keywords", "notme and orange", `(notme and orange)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseString("c", tt.in)
			if err != nil {
				t.Fatalf("ParseString(%q): %s", tt.in, err.Detail())
			}
			if got := Format(e); got != tt.want {
				t.Errorf("ParseString(%q) = %s, want %s", tt.in, got, tt.want)
			}
			// The rendering parses back to the same rendering.
			again, err := ParseString("c", Format(e))
			if err != nil {
				t.Fatalf("reparse %q: %s", Format(e), err.Detail())
			}
			if Format(again) != Format(e) {
				t.Errorf("round trip: %s != %s", Format(again), Format(e))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"or( does not extend to a following and", "a or(b) and c",
			"c:1:9: unexpected 'and' after 'or(...)': 'or(' takes only the parenthesised expression; write 'or (' to combine it with 'and'\n\ta or(b) and c\n\t        ^"},
		{"an empty condition", "", "c:1:1: unexpected end of condition, expecting a check, a macro name or '('"},
		{"a field without operator", "proc.name",
			"c:1:10: unexpected end of condition after proc.name, expecting an operator\n\tproc.name\n\t         ^"},
		{"an unknown operator", "proc.name like x",
			"c:1:11: unexpected 'like' after proc.name, expecting an operator\n\tproc.name like x\n\t          ^"},
		{"trailing garbage", "a b",
			"c:1:3: unexpected 'b' after the end of an expression, expecting 'and' or 'or'\n\ta b\n\t  ^"},
		{"an unclosed parenthesis", "(a or b",
			"c:1:8: unexpected end of condition, expecting ')' to close the '(' at column 1\n\t(a or b\n\t       ^"},
		{"a numeric operator with a string", "fd.num > abc",
			"c:1:10: unexpected 'abc' after '>', expecting a number\n\tfd.num > abc\n\t         ^"},
		{"a word operator glued to its value", "proc.name contains/x",
			"c:1:11: unexpected 'contains/x' after proc.name, expecting an operator\n\tproc.name contains/x\n\t          ^"},
		{"an unterminated string", `proc.name = "abc`,
			"c:1:13: unterminated quoted string\n\tproc.name = \"abc\n\t            ^"},
		{"an unknown escape", `proc.name = "a\qb"`,
			"c:1:15: invalid escape sequence \\q\n\tproc.name = \"a\\qb\"\n\t              ^"},
		{"an escaped double quote inside single quotes", `proc.name = 'a\"b'`,
			"c:1:15: invalid escape sequence \\\"\n\tproc.name = 'a\\\"b'\n\t              ^"},
		{"a short hex escape", `proc.name = "\x4"`,
			"c:1:14: invalid \\x escape: expected two hex digits\n\tproc.name = \"\\x4\"\n\t             ^"},
		{"an unterminated list", "proc.name in (a, b",
			"c:1:19: unexpected end of condition in the list opened at column 14, expecting ',' or ')'\n\tproc.name in (a, b\n\t                  ^"},
		{"a missing value", "proc.name = ",
			"c:1:12: unexpected end of condition after '=', expecting a value\n\tproc.name = \n\t           ^"},
		{"an unclosed field argument", "proc.aname[2 = x",
			"c:1:13: unexpected ' ', expecting ']' after the argument of field proc.aname\n\tproc.aname[2 = x\n\t            ^"},
		{"and without a right side", "a and",
			"c:1:6: unexpected end of condition after 'and', expecting a check\n\ta and\n\t     ^"},
		{"not at the end", "a and not",
			"c:1:10: unexpected end of condition after 'not', expecting a check\n\ta and not\n\t         ^"},
		{"the error is on the right line", "a and\n  b c",
			"c:2:5: unexpected 'c' after the end of an expression, expecting 'and' or 'or'\n\t  b c\n\t    ^"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseString("c", tt.in)
			if err == nil {
				t.Fatalf("ParseString(%q) succeeded, want error", tt.in)
			}
			if got := err.Detail(); got != tt.want {
				t.Errorf("ParseString(%q) error:\n%s\nwant:\n%s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDepthIsBounded(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+10) + "a" + strings.Repeat(")", MaxDepth+10)
	_, err := ParseString("c", deep)
	if err == nil || !strings.Contains(err.Msg, "nested deeper than") {
		t.Fatalf("deep nesting: got %v, want a depth error", err)
	}
	ok := strings.Repeat("(", 200) + "a" + strings.Repeat(")", 200)
	if _, err := ParseString("c", ok); err != nil {
		t.Fatalf("200 levels: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"proc.name=sshd", "a or b and not c", `proc.name in (a, "b c", 'd')`, "fd.num>=0",
		"proc.aname[2]=x", `fd.name = "a\x41"`, "tolower(proc.name) = val(proc.pname)",
		"join(',', proc.name, (a,b))[x] exists", "not(a)", "proc.name startswith oneof (a, b)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseString("fuzz", s)
		if err != nil {
			_ = err.Detail()
			return
		}
		// What parses must render to text that parses to the same rendering.
		text := Format(e)
		again, err := ParseString("fuzz", text)
		if err != nil {
			t.Fatalf("%q parsed, its rendering %q does not: %s", s, text, err.Detail())
		}
		if Format(again) != text {
			t.Fatalf("rendering of %q is not stable: %q then %q", s, text, Format(again))
		}
	})
}

func TestFieldArgumentsRenderQuotedWhenNeeded(t *testing.T) {
	for _, in := range []string{`proc.env["a]"] exists`, `proc.env[""] exists`, `proc.env["a b"] exists`} {
		e, err := ParseString("c", in)
		if err != nil {
			t.Fatalf("%q: %s", in, err.Detail())
		}
		if _, err := ParseString("c", Format(e)); err != nil {
			t.Errorf("rendering %q of %q does not parse: %s", Format(e), in, err.Detail())
		}
	}
}

func TestLongLinesAreCutAroundTheError(t *testing.T) {
	in := "proc.name = a and " + strings.Repeat("x.y = 1 and ", 40) + "x.y ?? 2 and " + strings.Repeat("x.y = 1 and ", 40) + "b"
	_, err := ParseString("c", in)
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Detail(), "\n")
	if len(lines) != 3 || len(lines[1]) > 2*80+8 || !strings.HasPrefix(lines[1], "\t...") || !strings.HasSuffix(lines[1], "...") {
		t.Fatalf("detail not cut: %q", err.Detail())
	}
	caret := strings.Index(lines[2], "^")
	if lines[1][caret:caret+2] != "??" {
		t.Errorf("caret under %q, want under ??", lines[1][caret:caret+2])
	}
}
