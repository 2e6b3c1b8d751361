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

// pathMatcher implements pmatch: a path matches an entry when the entry is
// the path or one of its directory prefixes, component by component.
// Entries without glob characters are looked up by hash for every prefix
// of the path; entries with globs are matched per component.
type pathMatcher struct {
	exact map[string]struct{}
	globs [][]string // split components of glob entries
}

func newPathMatcher(entries []string) *pathMatcher {
	pm := &pathMatcher{exact: map[string]struct{}{}}
	for _, e := range entries {
		if strings.ContainsAny(e, "*?[") {
			pm.globs = append(pm.globs, strings.Split(e, "/"))
			continue
		}
		e = strings.TrimRight(e, "/")
		if e == "" {
			e = "/"
		}
		pm.exact[e] = struct{}{}
	}
	return pm
}

func (pm *pathMatcher) match(path string) bool {
	if len(pm.exact) > 0 {
		if _, ok := pm.exact[path]; ok {
			return true
		}
		if _, ok := pm.exact["/"]; ok && strings.HasPrefix(path, "/") {
			return true
		}
		for i := 1; i < len(path); i++ {
			if path[i] == '/' {
				if _, ok := pm.exact[path[:i]]; ok {
					return true
				}
			}
		}
	}
	if len(pm.globs) == 0 {
		return false
	}
	comps := strings.Split(path, "/")
	for _, g := range pm.globs {
		if len(g) > len(comps) {
			continue
		}
		ok := true
		for i, gc := range g {
			if gc == "" && i == len(g)-1 && i > 0 { // trailing '/'
				break
			}
			if !globMatch(gc, comps[i]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
