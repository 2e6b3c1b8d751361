package cond

import (
	"strings"
)

// strSet is a set of strings; small sets are scanned, which beats hashing.
// Larger sets first test the value's length and first byte against
// bitmaps, so most values that are not members skip the hash.
type strSet struct {
	small   []string
	m       map[string]struct{}
	lenMask uint64    // bit n: a member has length n (bit 63: length >= 63)
	first   [4]uint64 // bit b: a member starts with byte b
}

func newStrSet(items []string) *strSet {
	if len(items) <= 6 {
		return &strSet{small: items}
	}
	s := &strSet{m: make(map[string]struct{}, len(items))}
	for _, it := range items {
		s.m[it] = struct{}{}
		s.lenMask |= 1 << min(len(it), 63)
		if it != "" {
			s.first[it[0]>>6] |= 1 << (it[0] & 63)
		}
	}
	return s
}

func (s *strSet) has(v string) bool {
	if s.m == nil {
		for _, it := range s.small {
			if it == v {
				return true
			}
		}
		return false
	}
	if s.lenMask&(1<<min(len(v), 63)) == 0 {
		return false
	}
	if v != "" && s.first[v[0]>>6]&(1<<(v[0]&63)) == 0 {
		return false
	}
	_, ok := s.m[v]
	return ok
}

// lowerASCII lower-cases ASCII letters only, like strcasestr in the C
// locale.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// upperASCII upper-cases ASCII letters only.
func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// containsFoldASCII reports whether lowerNeedle (already lower case)
// occurs in s ignoring ASCII case, without allocating.
func containsFoldASCII(s, lowerNeedle string) bool {
	n := len(lowerNeedle)
	if n == 0 {
		return true
	}
	first := lowerNeedle[0]
	for i := 0; i+n <= len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != first {
			continue
		}
		j := 1
		for ; j < n; j++ {
			d := s[i+j]
			if d >= 'A' && d <= 'Z' {
				d += 'a' - 'A'
			}
			if d != lowerNeedle[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// glob is an fnmatch(3) pattern with flags 0: '*' matches any run of
// bytes including '/', '?' any one byte, [...] a class ([!...] or [^...]
// negated, ranges a-z), and a backslash quotes the next byte. With fold,
// matching ignores ASCII case.
type glob struct {
	pattern string
	fold    bool
	literal bool // no special characters: plain comparison
}

func newGlob(pattern string, fold bool) *glob {
	if fold {
		pattern = lowerASCII(pattern)
	}
	return &glob{pattern: pattern, fold: fold, literal: !strings.ContainsAny(pattern, `*?[\`)}
}

func (g *glob) match(s string) bool {
	if g.fold {
		s = lowerASCII(s)
	}
	if g.literal {
		return s == g.pattern
	}
	return globMatch(g.pattern, s)
}

// globMatch matches with the classic single-backtrack algorithm: on a
// mismatch, retry from the last '*' one byte further. This is linear in
// practice and never exponential.
func globMatch(p, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, -1
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; c {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				pi++
				si++
				continue
			case '[':
				if ok, width, valid := matchClass(p[pi:], s[si]); valid {
					if ok {
						pi += width
						si++
						continue
					}
				} else if s[si] == '[' { // unterminated class: literal '['
					pi++
					si++
					continue
				}
			case '\\':
				if pi+1 < len(p) && p[pi+1] == s[si] {
					pi += 2
					si++
					continue
				}
				if pi+1 == len(p) && s[si] == '\\' {
					pi++
					si++
					continue
				}
			default:
				if c == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		pi = starP + 1
		starS++
		si = starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchClass matches c against the class at the start of p ("[...]").
// It returns whether c matched, the class width, and whether the class is
// well formed.
func matchClass(p string, c byte) (matched bool, width int, valid bool) {
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	first := true
	for i < len(p) {
		if p[i] == ']' && !first {
			return matched != negate, i + 1, true
		}
		first = false
		lo := p[i]
		if lo == '\\' && i+1 < len(p) {
			i++
			lo = p[i]
		}
		hi := lo
		if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
			hi = p[i+2]
			if hi == '\\' && i+3 < len(p) {
				hi = p[i+3]
				i++
			}
			i += 2
		}
		if lo <= c && c <= hi {
			matched = true
		}
		i++
	}
	return false, 0, false
}

// pathMatcher implements pmatch: a path matches an entry when the
// entry's components are the first components of the path. As in libs,
// paths and entries are split at '/' and empty components are dropped
// ("/tmp//x" is /tmp/x). Entries without glob characters live in a trie
// walked once per path, without allocating; entries with globs are
// matched component by component.
type pathMatcher struct {
	root  *pathNode
	globs [][]string
}

type pathNode struct {
	end      bool // an entry ends here
	children map[string]*pathNode
}

func newPathMatcher(entries []string) *pathMatcher {
	pm := &pathMatcher{root: &pathNode{}}
	for _, e := range entries {
		comps := pathComponents(e)
		if strings.ContainsAny(e, "*?[") {
			pm.globs = append(pm.globs, comps)
			continue
		}
		n := pm.root
		for _, c := range comps {
			if n.children == nil {
				n.children = map[string]*pathNode{}
			}
			next := n.children[c]
			if next == nil {
				next = &pathNode{}
				n.children[c] = next
			}
			n = next
		}
		n.end = true
	}
	return pm
}

func pathComponents(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// nextComponent returns the component of p starting at or after i, and
// the index after it; ok is false when no component is left.
func nextComponent(p string, i int) (comp string, next int, ok bool) {
	for i < len(p) && p[i] == '/' {
		i++
	}
	if i >= len(p) {
		return "", i, false
	}
	j := i
	for j < len(p) && p[j] != '/' {
		j++
	}
	return p[i:j], j, true
}

func (pm *pathMatcher) match(path string) bool {
	n := pm.root
	if n.end {
		return true
	}
	for i := 0; n.children != nil; {
		comp, next, ok := nextComponent(path, i)
		if !ok {
			break
		}
		if n = n.children[comp]; n == nil {
			break
		}
		if n.end {
			return true
		}
		i = next
	}
	for _, g := range pm.globs {
		if globPrefixMatch(g, path) {
			return true
		}
	}
	return false
}

// globPrefixMatch reports whether the pattern components match the first
// components of path.
func globPrefixMatch(pattern []string, path string) bool {
	i := 0
	for _, pc := range pattern {
		comp, next, ok := nextComponent(path, i)
		if !ok || !globMatch(pc, comp) {
			return false
		}
		i = next
	}
	return true
}
