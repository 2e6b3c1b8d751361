package rule

import (
	"strconv"
	"strings"
)

// The condition language is not context free at the token level (a bare
// string may contain '<' or '.', "in" is an operator only after a field), so
// the lexer is a cursor with one function per token class, called by the
// parser where that class may appear, as libsinsp's parser does.

// lexer scans Source.Text from pos.
type lexer struct {
	src  *Source
	text string
	pos  int
}

// isBlank: the blanks that separate tokens (space, \t, \b, \r, \n).
func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\b' || c == '\r' || c == '\n'
}

// isSpace: POSIX [:space:], which ends bare strings and field arguments.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isIdentChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '_'
}

// blank skips blanks and reports whether it skipped any.
func (l *lexer) blank() bool {
	start := l.pos
	for l.pos < len(l.text) && isBlank(l.text[l.pos]) {
		l.pos++
	}
	return l.pos > start
}

func (l *lexer) eof() bool { return l.pos >= len(l.text) }

func (l *lexer) peekByte() byte {
	if l.pos < len(l.text) {
		return l.text[l.pos]
	}
	return 0
}

// literal consumes s if the input continues with it.
func (l *lexer) literal(s string) bool {
	if strings.HasPrefix(l.text[l.pos:], s) {
		l.pos += len(s)
		return true
	}
	return false
}

// peekLiteral reports whether the input continues with s.
func (l *lexer) peekLiteral(s string) bool { return strings.HasPrefix(l.text[l.pos:], s) }

// keyword consumes word if it is followed by a blank or by one of the
// bytes in follow (not consumed).
func (l *lexer) keyword(word, follow string) bool {
	if !l.peekLiteral(word) {
		return false
	}
	next := l.pos + len(word)
	if next < len(l.text) && (isBlank(l.text[next]) || strings.IndexByte(follow, l.text[next]) >= 0) {
		l.pos = next
		return true
	}
	return false
}

// identifierLen returns the length of [a-zA-Z][a-zA-Z0-9_]* at i, or 0.
func identifierLen(s string, i int) int {
	if i >= len(s) || !isAlpha(s[i]) {
		return 0
	}
	j := i + 1
	for j < len(s) && isIdentChar(s[j]) {
		j++
	}
	return j - i
}

// name consumes an Identifier or FieldName (identifiers joined by dots,
// greedily). It returns the text and whether it contains a dot.
func (l *lexer) name() (string, bool) {
	n := identifierLen(l.text, l.pos)
	if n == 0 {
		return "", false
	}
	end := l.pos + n
	dotted := false
	for end < len(l.text) && l.text[end] == '.' {
		m := identifierLen(l.text, end+1)
		if m == 0 {
			break
		}
		end += 1 + m
		dotted = true
	}
	s := l.text[l.pos:end]
	l.pos = end
	return s, dotted
}

// fieldArgBare consumes [^][\"'[:space:]]+ (a bare field argument).
func (l *lexer) fieldArgBare() (string, bool) {
	start := l.pos
	for l.pos < len(l.text) {
		c := l.text[l.pos]
		if c == '[' || c == ']' || c == '"' || c == '\'' || isSpace(c) || c == '\b' {
			break
		}
		l.pos++
	}
	return l.text[start:l.pos], l.pos > start
}

// bareString consumes [^()"'[:space:]=,]+ (a BareStr).
func (l *lexer) bareString() (string, bool) {
	start := l.pos
	for l.pos < len(l.text) {
		c := l.text[l.pos]
		if c == '(' || c == ')' || c == '"' || c == '\'' || c == '=' || c == ',' || isSpace(c) || c == '\b' {
			break
		}
		l.pos++
	}
	return l.text[start:l.pos], l.pos > start
}

// number consumes a HexNumber or Number and returns its text.
func (l *lexer) number() (string, bool) {
	s, i := l.text, l.pos
	if strings.HasPrefix(s[i:], "0x") || strings.HasPrefix(s[i:], "0X") {
		j := i + 2
		for j < len(s) && isHexDigit(s[j]) {
			j++
		}
		if j > i+2 {
			l.pos = j
			return s[i:j], true
		}
	}
	j := i
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	digits := j
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j == digits {
		return "", false
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') && j+1 < len(s) && (s[j+1] == '+' || s[j+1] == '-') {
		k := j + 2
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k > j+2 {
			j = k
		}
	}
	l.pos = j
	return s[i:j], true
}

func isHexDigit(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// quoted consumes a QuotedStr starting at the current quote byte and
// returns its unescaped value. On error it returns the offset of the bad
// byte and a message.
func (l *lexer) quoted() (value string, errOff int, errMsg string) {
	s := l.text
	start := l.pos
	quote := s[start]
	var b strings.Builder
	i := start + 1
	for i < len(s) {
		c := s[i]
		switch {
		case c == quote:
			l.pos = i + 1
			return b.String(), -1, ""
		case c == '\\':
			if i+1 >= len(s) {
				return "", start, "unterminated quoted string"
			}
			e := s[i+1]
			switch e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '\\':
				b.WriteByte('\\')
			case '/':
				b.WriteByte('/')
			case ' ':
				// Legacy quirk kept from libs for old, wrongly escaped
				// rules: backslash-blank reads as one backslash.
				b.WriteByte('\\')
			case 'x':
				if i+3 < len(s) && isHexDigit(s[i+2]) && isHexDigit(s[i+3]) {
					v, _ := strconv.ParseUint(s[i+2:i+4], 16, 8)
					b.WriteByte(byte(v))
					i += 4
					continue
				}
				return "", i, `invalid \x escape: expected two hex digits`
			default:
				if e == quote {
					b.WriteByte(quote)
				} else {
					return "", i, "invalid escape sequence \\" + printable(e)
				}
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", start, "unterminated quoted string"
}

func printable(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return string(c)
	}
	return strconv.QuoteRune(rune(c))
}

// snippet returns up to n bytes of input from off, for error messages.
func (l *lexer) snippet(off int) string {
	if off >= len(l.text) {
		return "end of condition"
	}
	s := l.text[off:]
	if i := strings.IndexAny(s, " \t\r\n\b"); i > 0 {
		s = s[:i]
	} else if i == 0 {
		s = s[:1]
	}
	if len(s) > 20 {
		s = s[:20] + "..."
	}
	return "'" + s + "'"
}

// isBareWord reports whether all of s lexes as one BareStr.
func isBareWord(s string) bool {
	l := lexer{text: s}
	w, _ := l.bareString()
	return w != "" && w == s
}
