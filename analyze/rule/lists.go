package rule

import "strings"

// List is a named list of values (`- list:`). Items are kept as written in
// the rules file; nested list names are flattened when the rule set is
// built.
type List struct {
	Name  string
	Items []ListItem
	At    Pos // the `list:` key
	used  bool
	// index is the load position of the first definition; visibility that
	// of the latest definition, append or override. An item names an
	// earlier list when that list's index is below this list's visibility.
	index, visibility, slot int
}

// ListItem is one list value with its position.
type ListItem struct {
	Text string
	At   Pos
}

// isListDelimiter reports whether c may border a list name that is
// substituted into a condition.
func isListDelimiter(c byte) bool {
	return isBlank(c) || c == '(' || c == ')' || c == ',' || c == '='
}

// substituteLists replaces every occurrence of a list name, delimited by
// blanks, parentheses, commas, '=' or the ends of the text, with the list's
// items joined by ", ", as Falco does before parsing. Items containing a
// blank are double-quoted. An empty list also takes an adjacent comma
// with it. Substituted bytes are reported at the list name's position.
//
// Falco substitutes the lists one after the other in definition order, so
// when a list's items name a list defined after it, that name is replaced
// in turn; expandLaterLists reproduces this (items naming earlier lists
// were already flattened).
func substituteLists(src *Source, lists map[string]*List) *Source {
	text := src.Text
	var b sourceBuilder
	copied := 0 // text[:copied] is already in b
	changed := false
	i := 0
	for i < len(text) {
		if isListDelimiter(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && !isListDelimiter(text[j]) {
			j++
		}
		l, ok := lists[text[i:j]]
		if !ok {
			i = j
			continue
		}
		l.used = true
		changed = true
		items := expandLaterLists(l, lists)
		start, end := i, j
		if len(items) == 0 {
			start, end = widenOverComma(text, start, end, copied)
		}
		b.addFrom(src, copied, start)
		b.addAt(joinListItems(items), src.Pos(i))
		copied = end
		i = end
	}
	if !changed {
		return src
	}
	b.addFrom(src, copied, len(text))
	return b.source()
}

// widenOverComma extends [start,end) over a following comma (and blanks),
// or else over a preceding one, so an empty list leaves no dangling comma.
func widenOverComma(text string, start, end, floor int) (int, int) {
	k := end
	for k < len(text) && isBlank(text[k]) {
		k++
	}
	if k < len(text) && text[k] == ',' {
		k++
		for k < len(text) && isBlank(text[k]) {
			k++
		}
		return start, k
	}
	k = start - 1
	for k >= floor && isBlank(text[k]) {
		k--
	}
	if k >= floor && text[k] == ',' {
		return k, end
	}
	return start, end
}

// expandLaterLists returns l's items with every item that names a list
// defined after l replaced by that list's (expanded) items.
func expandLaterLists(l *List, lists map[string]*List) []ListItem {
	var out []ListItem
	for _, it := range l.Items {
		if m := lists[it.Text]; m != nil && m.index > l.index {
			m.used = true
			out = append(out, expandLaterLists(m, lists)...)
			continue
		}
		out = append(out, it)
	}
	return out
}

func joinListItems(items []ListItem) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteListItem(it.Text))
	}
	return b.String()
}

// quoteListItem wraps an item containing a space in double quotes unless
// it starts with a quote, exactly as Falco does (so escapes inside items
// are not handled, in Falco either).
func quoteListItem(s string) string {
	if strings.Contains(s, " ") && s[0] != '"' && s[0] != '\'' {
		return `"` + s + `"`
	}
	return s
}

// trimSource drops leading and trailing white space, keeping positions.
func trimSource(src *Source) *Source {
	text := src.Text
	start := len(text) - len(strings.TrimLeft(text, " \t\r\n\f\v"))
	end := len(strings.TrimRight(text, " \t\r\n\f\v"))
	if start == 0 && end == len(text) {
		return src
	}
	var b sourceBuilder
	if start < end {
		b.addFrom(src, start, end)
	} else {
		b.addAt("", src.Pos(0))
	}
	out := b.source()
	if len(out.segs) == 0 && len(src.segs) > 0 { // empty output: keep a position for messages
		out.segs = []segment{{file: src.segs[0].file, at: src.segs[0].at}}
		if len(src.segs[0].offs) > 0 {
			out.segs[0].at = src.segs[0].offs[0]
		}
	}
	return out
}
