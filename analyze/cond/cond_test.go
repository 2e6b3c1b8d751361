package cond

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/rewind-sh/rewind/analyze/rule"
)

func compileString(t testing.TB, cond string) (*Condition, error) {
	t.Helper()
	e, perr := rule.ParseString("c", cond)
	if perr != nil {
		t.Fatalf("parse %q: %s", cond, perr.Detail())
	}
	return NewCompiler(fakeCatalog{}).Compile(e)
}

func mustCompile(t testing.TB, cond string) *Condition {
	t.Helper()
	c, err := compileString(t, cond)
	if err != nil {
		t.Fatalf("compile %q: %v", cond, err)
	}
	return c
}

var (
	ev1 = fakeEvent{
		"proc.name": "bash", "proc.pname": "sshd", "proc.cmdline": "bash -c id", "proc.args": "-c id",
		"proc.aname": []string{"sshd", "systemd"}, "proc.aname[1]": "sshd", "proc.aname[2]": "systemd",
		"fd.name": "/tmp/hello/x", "fd.nameraw": "/etc/../etc/../etc/shadow", "fd.num": int64(3),
		"fd.types": []string{"ipv4", "file"}, "evt.rawres": int64(-115), "evt.res": "EINPROGRESS",
		"evt.is_open_read": true, "fd.ip": netip.MustParseAddr("10.1.2.3"), "fd.net": netip.MustParseAddr("127.0.0.1"),
		"fd.snet": netip.MustParseAddr("192.168.7.1"), "fd.sport": uint64(443), "user.uid": uint64(0),
		"evt.buffer": []byte{0x00, 0xca, 0xfe, 0xba, 0xbe}, "thread.cap_effective": "CAP_SYS_ADMIN CAP_SYS_MODULE",
		"evt.arg[flags]": "O_TRUNC|O_CREAT|O_WRONLY", "proc.env": "SGVsbG8=", "proc.exe": "/usr/bin/",
		"proc.duration": int64(4_000_000_000),
	}
)

func TestOperatorSemantics(t *testing.T) {
	tests := []struct {
		name, cond string
		want       bool
	}{
		{"equality on strings", "proc.name = bash", true},
		{"double equals is equality", "proc.name == bash", true},
		{"inequality", "proc.name != bash", false},
		{"a missing field makes = false", "proc.exepath = x", false},
		{"a missing field makes != false too", "proc.exepath != x", false},
		{"not of a check on a missing field is true", "not proc.exepath = x", true},
		{"string ordering is byte order", "proc.pname > val(proc.name) and proc.name < val(proc.pname) and proc.name <= val(proc.name) and proc.name >= val(proc.name)", true},
		{"numeric comparison", "fd.num >= 0 and fd.num < 4 and fd.num > 2 and fd.num <= 3", true},
		{"negative numbers compare as signed", "evt.rawres >= 0", false},
		{"bare numbers convert to the field type", "fd.num = 3 and fd.num != -1 and fd.num = 0x3", true},
		{"or holds when one side holds", "(evt.rawres >= 0 or evt.res = EINPROGRESS)", true},
		{"contains is a substring test", `proc.cmdline contains " -c"`, true},
		{"contains is case sensitive", `proc.cmdline contains " -C"`, false},
		{"icontains ignores case", "thread.cap_effective icontains sys_module", true},
		{"startswith", "fd.name startswith /tmp/", true},
		{"endswith", "fd.name endswith /x", true},
		{"flags render as text", `evt.arg.flags contains "O_TRUNC"`, true},
		{"glob star also matches slashes", `fd.nameraw glob '*../*../*'`, true},
		{"glob must match the whole value", `fd.nameraw glob '*../*../'`, false},
		{"glob classes and question marks", `proc.name glob 'b[a-c]?h'`, true},
		{"negated glob classes", `proc.name glob 'b[!a]sh'`, false},
		{"iglob ignores case", `proc.name iglob 'BA*'`, true},
		{"regex is fully anchored", `proc.name regex 'as'`, false},
		{"regex matches the whole value", `proc.name regex 'b[a-z]+'`, true},
		{"exists on a present field", "proc.pname exists", true},
		{"exists on a missing field", "proc.exepath exists", false},
		{"in uses the set", "proc.name in (zsh, bash)", true},
		{"in with a large set", "proc.name in (a1, a2, a3, a4, a5, a6, a7, a8, bash)", true},
		{"in misses", "proc.name in (zsh, sh)", false},
		{"in on a list field needs every value", "fd.types in (ipv4, file, unix)", true},
		{"in on a list field fails when one value is outside", "fd.types in (ipv4)", false},
		{"intersects on a list field needs one value", "fd.types intersects (ipv4)", true},
		{"intersects on a scalar is in", `proc.args intersects ("-c id", "-V")`, true},
		{"pmatch matches the path itself", "fd.name pmatch (/tmp/hello/x)", true},
		{"pmatch matches a directory prefix", "fd.name pmatch (/usr, /tmp/hello)", true},
		{"pmatch is per component", "fd.name pmatch (/tmp/hell)", false},
		{"pmatch accepts glob components", "fd.name pmatch (/tmp/*)", true},
		{"pmatch ignores repeated slashes", "fd.name pmatch (//tmp//hello/)", true},
		{"pmatch needs the whole entry", "fd.name pmatch (/tmp/hello/x/y)", false},
		{"proc.aname without index: any ancestor", "proc.aname = systemd", true},
		{"proc.aname without index starts at the parent", "proc.aname = bash", false},
		{"proc.aname in (...) checks every ancestor", "proc.aname in (init, systemd)", true},
		{"proc.aname[N] is one ancestor", "proc.aname[2] = systemd and proc.aname[1] = sshd", true},
		{"a missing ancestor is false", "proc.aname[3] = systemd", false},
		{"ip equality", `fd.ip = 10.1.2.3 and fd.ip != "0.0.0.0"`, true},
		{"ip equality with a CIDR is membership", "fd.ip = 10.0.0.0/8", true},
		{"net inequality with a CIDR", `fd.net != "127.0.0.0/8"`, false},
		{"net in CIDR list", `fd.snet in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")`, true},
		{"ports accept service names", "fd.sport in (80, https)", true},
		{"booleans", "evt.is_open_read = true and evt.is_open_read != false", true},
		{"bcontains takes hex", "evt.buffer bcontains cafebabe", true},
		{"raw bytes in quoted strings compare as bytes", `proc.name != "\xff"`, true},
		{"bstartswith takes hex", "evt.buffer bstartswith 00ca", true},
		{"bstartswith misses", "evt.buffer bstartswith cafe", false},
		{"startswith anyof", "proc.name startswith anyof (z, b)", true},
		{"startswith allof", "proc.name startswith allof (b, ba)", true},
		{"startswith allof fails on one", "proc.name startswith allof (b, z)", false},
		{"oneof needs exactly one", "proc.name startswith oneof (b, ba)", false},
		{"oneof with one match", "proc.name startswith oneof (b, z)", true},
		{"= anyof is in", "proc.name = anyof (zsh, bash)", true},
		{"!= allof is not in", "proc.name != allof (zsh, bash)", false},
		{"numeric modifiers", "fd.num = anyof (1, 3)", true},
		{"val compares two fields", "proc.aname[1] = val(proc.pname)", true},
		{"val with a missing side is false", "proc.name != val(proc.exepath)", false},
		{"tolower", "toupper(proc.name) = BASH and tolower(toupper(proc.name)) = bash", true},
		{"b64 decodes", "b64(proc.env) = Hello", true},
		{"basename of a path ending in / is empty", `basename(proc.exe) = ""`, true},
		{"basename", "basename(fd.name) = x", true},
		{"len counts bytes", "len(proc.name) = 4", true},
		{"len counts list values", "len(fd.types) = 2 and len(fd.types) > 1", true},
		{"transformers on the right", "proc.name = tolower(proc.name)", true},
		{"join", `join("|", proc.name, proc.pname) = "bash|sshd"`, true},
		{"join of a transformer list", `join("-", (proc.name, toupper(proc.pname))) = "bash-SSHD"`, true},
		{"getopt gives an option's value", `getopt(proc.cmdline, "c:x")[c] = id`, true},
		{"getopt of an absent option is missing", `getopt(proc.cmdline, "c:x")[x] exists`, false},
		{"getopt lists the options seen", `getopt(proc.cmdline, "c:x") intersects (c)`, true},
		{"concat", `concat(proc.name, "-", proc.pname) = "bash-sshd"`, true},
		{"not binds tighter than and", "not proc.name = zsh and proc.name = bash", true},
		{"durations compare as numbers", "proc.duration <= 5000000000", true},
		{"exponent literals convert to integers", "proc.duration <= 5e+9", true},
		{"the root uid", "user.uid = 0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, tt.cond)
			if got := c.Match(ev1); got != tt.want {
				t.Errorf("%s = %v, want %v", tt.cond, got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, cond, want string
	}{
		{"an unknown field", "proc.nme = x", "c:1:1: unknown field proc.nme"},
		{"a NUL byte in a string value", `proc.name = "a\x00b"`, "c:1:13: value contains a NUL byte, which only byte-buffer fields accept"},
		{"a non-numeric literal for an integer field", "fd.num = abc", `c:1:10: value for int64 field fd.num: "abc" is not a valid integer`},
		{"a fractional literal for an integer field", "fd.num > 1.5", `c:1:10: value for int64 field fd.num: "1.5" is not a valid integer`},
		{"a boolean literal other than true/false", "evt.is_open_read = yes", `c:1:20: value for bool field evt.is_open_read: "yes" is not a boolean (use true or false)`},
		{"contains on a number", "fd.num contains 1", "c:1:8: operator contains cannot be used on int64 field fd.num"},
		{"the operator is checked before the value", "fd.num glob abc", "c:1:8: operator glob cannot be used on int64 field fd.num"},
		{"ordering on a boolean", "evt.is_open_read > 1", "c:1:18: operator > cannot be used on bool field evt.is_open_read"},
		{"a scalar operator on a list field", "fd.types = ipv4", "c:1:10: operator = cannot be used on list field fd.types (use in or intersects)"},
		{"an invalid regex", "proc.name regex 'a('", "c:1:17: invalid regex: error parsing regexp: missing closing ): `a(`"},
		{"an invalid CIDR", `fd.ip = "10.0.0.0/33"`, `c:1:9: value for ipaddr field fd.ip: "10.0.0.0/33" is not a valid CIDR network`},
		{"bcontains without hex", "evt.buffer bcontains xyz", `c:1:22: bcontains: "xyz" is not an even, non-empty run of hex digits`},
		{"an unknown service name", "fd.sport = nosuchservice", `c:1:12: value for port field fd.sport: "nosuchservice" is not a port number or known service name`},
		{"a transformer on a field that forbids it", "tolower(proc.aname) = x", "c:1:9: field proc.aname cannot be used in a transformer"},
		{"val of another type", "fd.num = val(proc.name)", "c:1:1: cannot compare int64 field fd.num with string value proc.name"},
		{"getopt without an option string", "getopt(proc.args)[c] exists", `c:1:1: getopt() takes the arguments and an option string, e.g. getopt(proc.args, "nt:")`},
		{"getopt of an option not in the option string", `getopt(proc.args, "ab:")[c] exists`, `c:1:1: getopt()[c]: the option must be one letter of the option string "ab:"`},
		{"an unknown event argument", "evt.arg.nosuchparam = x", "c:1:1: field evt.arg.nosuchparam: unknown event argument nosuchparam"},
		{"a bad ancestor index", "proc.aname[x] = y", `c:1:1: field proc.aname[x]: argument "x" is not an ancestor number`},
		{"several errors are all reported", "fd.num = a or fd.num = b",
			"c:1:10: value for int64 field fd.num: \"a\" is not a valid integer\n\tfd.num = a or fd.num = b\n\t         ^\n" +
				"c:1:24: value for int64 field fd.num: \"b\" is not a valid integer\n\tfd.num = a or fd.num = b\n\t                       ^"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compileString(t, tt.cond)
			ce, ok := err.(*CompileError)
			if !ok {
				t.Fatalf("compile %q: got %v, want a CompileError", tt.cond, err)
			}
			got := ce.Errors.Error()
			if len(ce.Errors) > 1 {
				got = ce.Errors.Detail()
			}
			if got != tt.want {
				t.Errorf("compile %q:\n got %s\nwant %s", tt.cond, got, tt.want)
			}
		})
	}
}

func TestUnavailableFieldsAreReportedNotErrors(t *testing.T) {
	_, err := compileString(t, "proc.name = x and k8s.ns.name = y")
	ce, ok := err.(*CompileError)
	if !ok || len(ce.Errors) != 0 || len(ce.Unavailable) != 1 {
		t.Fatalf("got %#v", err)
	}
	if u := ce.Unavailable[0]; u.Field != "k8s.ns.name" || u.Reason != "kubernetes metadata is not recorded" || u.Pos.Position().Col != 19 {
		t.Errorf("unavailable %+v at %v", u, u.Pos.Position())
	}
}

// countingCatalog counts extractions of test.count to observe short-circuits.
type countingCatalog struct {
	fakeCatalog
	n *int
}

func (c countingCatalog) Lookup(name, arg string, hasArg bool) (Extractor, FieldSpec, error) {
	if name == "test.count" {
		return Extractor{String: func(Event) (string, bool) { *c.n++; return "x", true }}, FieldSpec{Name: name, Type: TypeString}, nil
	}
	return c.fakeCatalog.Lookup(name, arg, hasArg)
}

func TestAndOrShortCircuit(t *testing.T) {
	tests := []struct {
		cond  string
		calls int
	}{
		{"proc.name = zsh and test.count = x", 0},
		{"proc.name = bash and test.count = x", 1},
		{"proc.name = bash or test.count = x", 0},
		{"proc.name = zsh or test.count = x or test.count = x", 1},
		{"proc.name = zsh or proc.name = sh or proc.name = ksh or test.count = y or test.count = x", 2},
	}
	for _, tt := range tests {
		n := 0
		e, _ := rule.ParseString("c", tt.cond)
		c, err := NewCompiler(countingCatalog{n: &n}).Compile(e)
		if err != nil {
			t.Fatal(err)
		}
		c.Match(ev1)
		if n != tt.calls {
			t.Errorf("%s: %d extractions, want %d", tt.cond, n, tt.calls)
		}
	}
}

func TestInferTypes(t *testing.T) {
	tests := []struct {
		name, cond, want string
	}{
		{"equality names one type", "evt.type = open", "open"},
		{"in names several", "evt.type in (open, openat)", "open openat"},
		{"and intersects", "evt.type in (open, openat) and evt.type in (openat, execve)", "openat"},
		{"or unites", "evt.type = open or evt.type = execve", "execve open"},
		{"other fields do not restrict", "proc.name = x", "all"},
		{"and with an unrestricted check keeps the set", "evt.type = open and proc.name = x", "open"},
		{"or with an unrestricted check is everything", "evt.type = open or proc.name = x", "all"},
		{"!= is everything but", "evt.type != open", "all except open"},
		{"not in is everything but", "not evt.type in (open, close)", "all except close open"},
		{"not of != is the type", "not evt.type != open", "open"},
		{"De Morgan over and", "not (evt.type != open and evt.type != close)", "close open"},
		{"not of an unrestricted check is everything", "evt.type = open and not proc.name = x", "open"},
		{"evt.num=0 matches nothing", "evt.type = open and evt.num = 0", "none"},
		{"the never_true idiom stays harmless under not", "evt.type = open and not evt.num = 0", "open"},
		{"contradictions are empty", "evt.type = open and evt.type = close", "none"},
		{"evt.type exists is every type", "evt.type exists", "all"},
		{"not evt.type exists is no type", "not evt.type exists", "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := rule.ParseString("c", tt.cond)
			s := InferTypes(e)
			got := strings.Join(s.Sorted(), " ")
			switch {
			case s.IsAll():
				got = "all"
			case s.IsEmpty():
				got = "none"
			case s.Except:
				got = "all except " + got
			}
			if got != tt.want {
				t.Errorf("InferTypes(%s) = %s, want %s", tt.cond, got, tt.want)
			}
		})
	}
}

func TestCaseTransformersChangeASCIILettersOnly(t *testing.T) {
	ev := fakeEvent{"proc.name": "ÉtÉ"}
	if !mustCompile(t, `tolower(proc.name) = "ÉtÉ" and toupper(proc.name) = "ÉTÉ"`).Match(ev) {
		t.Error("non-ASCII letters changed case")
	}
}

func TestGetopt(t *testing.T) {
	tests := []struct {
		name, args, cond string
		want             bool
	}{
		{"grouped flags with an attached value", "-lvp80 host", `getopt(proc.args, "lvp:")[p] = 80`, true},
		{"a value in the next word", "-l -p 8080", `getopt(proc.args, "lp:")[p] = 8080`, true},
		{"a flag has an empty value", "-l", `getopt(proc.args, "lp:")[l] = ""`, true},
		{"options after -- are not options", "-l -- -p 1", `getopt(proc.args, "lp:")[p] exists`, false},
		{"non-options are skipped", "file -p 1", `getopt(proc.args, "lp:")[p] = 1`, true},
		{"long options are skipped", "--port 1 -l", `getopt(proc.args, "lp:") in (l)`, true},
		{"in needs every option seen in the set", "-l -p 1", `getopt(proc.args, "lp:") in (l)`, false},
		{"intersects needs one", "-l -p 1", `getopt(proc.args, "lp:") intersects (p)`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustCompile(t, tt.cond).Match(fakeEvent{"proc.args": tt.args}); got != tt.want {
				t.Errorf("%s on %q = %v, want %v", tt.cond, tt.args, got, tt.want)
			}
		})
	}
}

func TestStringSetsOfEverySize(t *testing.T) {
	items := []string{"", "a", "bash", "b", "zsh", "sshd", "x-y", strings.Repeat("L", 70), "\xff", "ksh"}
	for n := 0; n <= len(items); n++ {
		s := newStrSet(items[:n])
		for i, it := range items {
			if got, want := s.has(it), i < n; got != want {
				t.Errorf("set of %d: has(%q) = %v, want %v", n, it, got, want)
			}
		}
		for _, miss := range []string{"bas", "bashx", "c", strings.Repeat("L", 71), "\xfe"} {
			if s.has(miss) {
				t.Errorf("set of %d has %q", n, miss)
			}
		}
	}
}
