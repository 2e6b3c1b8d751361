package cond

import (
	"strings"

	"github.com/rewind-sh/rewind/analyze/rule"
)

// getoptTransform compiles getopt(args, "optstring") and
// getopt(args, "optstring")[o]. The arguments (a string field split at
// blanks, or a list field) are scanned like getopt(3) on Linux: "-abc"
// groups flags, an option followed by ':' in optstring takes the rest of
// its word or the next word as its value, "--" ends the options, words
// that are not options (and "--long" options) are skipped, and unknown
// letters are ignored. Without [o] the result is the list of options seen
// (one letter each, in order); with [o] it is o's value ("" for a flag),
// missing when o was not given.
func (c *compiler) getoptTransform(t *rule.Transform) *operand {
	if len(t.Args) != 2 {
		c.errorf(t.At, "getopt() takes the arguments and an option string, e.g. getopt(proc.args, \"nt:\")")
		return nil
	}
	optstring, ok := t.Args[1].(*rule.StringValue)
	if !ok || !validOptstring(optstring.Text) {
		c.errorf(t.Args[1].Pos(), "the option string of getopt() must be quoted letters or digits, each optionally followed by ':'")
		return nil
	}
	in := c.transformArg(t, t.Args[0])
	if in == nil {
		return nil
	}
	if familyOf(in.spec.Type) != famString {
		c.errorf(t.At, "getopt() needs a string field, not %s field %s", in.spec.Type, in.text)
		return nil
	}
	words := wordsOf(in)
	opts := optstring.Text
	out := &operand{text: t.String(), pos: t.At}
	if t.HasArg {
		if len(t.Arg) != 1 || !strings.Contains(opts, t.Arg) || t.Arg == ":" {
			c.errorf(t.At, "getopt()[%s]: the option must be one letter of the option string %q", t.Arg, opts)
			return nil
		}
		want := t.Arg[0]
		out.spec = FieldSpec{Name: out.text, Type: TypeString}
		out.ex.String = func(ev Event) (string, bool) {
			ws, ok := words(ev)
			if !ok {
				return "", false
			}
			val, found := "", false
			scanOptions(ws, opts, func(o byte, v string) {
				if o == want {
					val, found = v, true
				}
			})
			return val, found
		}
		return out
	}
	out.spec = FieldSpec{Name: out.text, Type: TypeString, IsList: true}
	out.ex.StringAt = func(ev Event, i int) (string, bool) {
		ws, ok := words(ev)
		if !ok {
			return "", false
		}
		n, res := 0, ""
		found := false
		scanOptions(ws, opts, func(o byte, _ string) {
			if n == i {
				res, found = string(o), true
			}
			n++
		})
		return res, found
	}
	return out
}

func validOptstring(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ':' && i > 0 && s[i-1] != ':' {
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// wordsOf returns the argument words of a string or list operand.
func wordsOf(in *operand) func(Event) ([]string, bool) {
	if in.spec.IsList {
		at := in.ex.StringAt
		return func(ev Event) ([]string, bool) {
			var ws []string
			for i := 0; ; i++ {
				w, ok := at(ev, i)
				if !ok {
					return ws, i > 0
				}
				ws = append(ws, w)
			}
		}
	}
	get := in.ex.String
	return func(ev Event) ([]string, bool) {
		s, ok := get(ev)
		if !ok {
			return nil, false
		}
		return strings.Fields(s), true
	}
}

// scanOptions calls fn for each option found in words.
func scanOptions(words []string, opts string, fn func(opt byte, value string)) {
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			return
		}
		if len(w) < 2 || w[0] != '-' || w[1] == '-' {
			continue
		}
		for j := 1; j < len(w); j++ {
			k := strings.IndexByte(opts, w[j])
			if k < 0 || w[j] == ':' {
				continue
			}
			if k+1 < len(opts) && opts[k+1] == ':' {
				switch {
				case j+1 < len(w):
					fn(w[j], w[j+1:])
				case i+1 < len(words):
					i++
					fn(w[j], words[i])
				}
				break
			}
			fn(w[j], "")
		}
	}
}
