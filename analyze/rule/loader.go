package rule

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// Loader reads rules files in order and builds a Ruleset. Items of later
// files may append to or override items of earlier ones. A Loader is not
// safe for concurrent use.
type Loader struct {
	lists      []*List
	listByName map[string]*List
	macros     []*Macro
	macroByNam map[string]*Macro
	rules      []*Rule
	ruleByName map[string]*Rule

	errs      ErrorList
	warns     ErrorList
	fileErrs  int
	buildErrs map[string]int // errors per file while building

	engineVersion string
	plugins       []PluginRequirement

	// seq numbers every list, macro and rule item in load order, across
	// kinds and files, as Falco's collector does; it decides which
	// macros and lists an item can see.
	seq int
}

func (l *Loader) nextSeq() int {
	l.seq++
	return l.seq
}

// NewLoader returns an empty Loader.
func NewLoader() *Loader {
	return &Loader{
		listByName: map[string]*List{},
		macroByNam: map[string]*Macro{},
		ruleByName: map[string]*Rule{},
	}
}

// LoadFiles loads the files in order and builds the rule set. The error,
// when not nil, is an ErrorList; the Ruleset then still holds every rule
// that loaded.
func LoadFiles(paths ...string) (*Ruleset, error) {
	l := NewLoader()
	for _, p := range paths {
		if err := l.LoadFile(p); err != nil {
			return nil, err
		}
	}
	return l.Build()
}

// LoadFile reads and loads one file. Only an I/O error is returned here;
// problems in the content are reported by Build.
func (l *Loader) LoadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read rules file: %w", err)
	}
	l.Load(path, data)
	return nil
}

// errTooMany stops reading a file once it has MaxErrors errors.
var errTooMany = errors.New("too many errors")

func (l *Loader) addErr(e *Error) error {
	l.errs = append(l.errs, e)
	l.fileErrs++
	if l.fileErrs >= MaxErrors {
		l.errs = append(l.errs, &Error{Pos: Position{Filename: e.Pos.Filename}, Msg: fmt.Sprintf("too many errors (%d), skipping the rest of the file", l.fileErrs)})
		return errTooMany
	}
	return nil
}

func (l *Loader) warn(e *Error) {
	e.Severity = SeverityWarning
	l.warns = append(l.warns, e)
}

// Load reads one rules file's content; name is used in messages.
func (l *Loader) Load(name string, data []byte) {
	fc := newFileCtx(name, data)
	l.fileErrs = 0
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			return
		}
		if err != nil {
			l.addErr(fc.yamlError(err))
			return
		}
		root := &doc
		if doc.Kind == yaml.DocumentNode {
			if len(doc.Content) == 0 {
				continue
			}
			root = deref(doc.Content[0])
		}
		if root == nil || root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue
		}
		if root.Kind != yaml.SequenceNode {
			l.addErr(fc.errorf(root, "a rules file must be a sequence of items (- rule:, - macro:, - list:), not %s", kindName(root)))
			return
		}
		for _, item := range root.Content {
			if n := deref(item); n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				continue // an empty "-" entry, skipped as Falco does
			}
			if err := l.item(fc, item); err != nil {
				return
			}
		}
	}
}

// item dispatches one top-level item.
func (l *Loader) item(fc *fileCtx, n *yaml.Node) error {
	m, e := fc.asMapping(n, "an item")
	if e != nil {
		return l.addErr(e)
	}
	switch {
	case m.has("rule"):
		e = l.ruleItem(fc, m)
	case m.has("macro"):
		e = l.macroItem(fc, m)
	case m.has("list"):
		e = l.listItem(fc, m)
	case m.has("required_engine_version"):
		e = l.engineVersionItem(fc, m)
	case m.has("required_plugin_versions"):
		e = l.pluginsItem(fc, m)
	default:
		key := "?"
		if len(m.keys) > 0 {
			key = m.keys[0].Value
		}
		l.warn(fc.errorf(n, "unknown item %q ignored (expected rule, macro, list, required_engine_version or required_plugin_versions)", key))
	}
	if e != nil {
		return l.addErr(e)
	}
	return nil
}

// checkKeys warns about keys outside allowed (Falco ignores them too).
func (l *Loader) checkKeys(fc *fileCtx, m *mapping, what string, allowed ...string) {
	for _, k := range m.keys {
		ok := false
		for _, a := range allowed {
			if k.Value == a {
				ok = true
				break
			}
		}
		if !ok {
			l.warn(fc.errorf(k, "unknown key %q in %s ignored", k.Value, what))
		}
	}
}

func (l *Loader) engineVersionItem(fc *fileCtx, m *mapping) *Error {
	v, e := fc.nonEmptyStr(m.vals["required_engine_version"], "required_engine_version")
	if e != nil {
		return e
	}
	if l.engineVersion == "" || compareVersions(v, l.engineVersion) > 0 {
		l.engineVersion = v
	}
	return nil
}

func (l *Loader) pluginsItem(fc *fileCtx, m *mapping) *Error {
	seq := deref(m.vals["required_plugin_versions"])
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return fc.errorf(m.vals["required_plugin_versions"], "required_plugin_versions must be a sequence of {name, version}")
	}
	for _, c := range seq.Content {
		req, e := l.pluginRequirement(fc, c)
		if e != nil {
			return e
		}
		pm, _ := fc.asMapping(c, "a plugin requirement")
		if alts, ok := pm.vals["alternatives"]; ok {
			alts = deref(alts)
			if alts == nil || alts.Kind != yaml.SequenceNode {
				return fc.errorf(alts, "alternatives must be a sequence of {name, version}")
			}
			for _, a := range alts.Content {
				alt, e := l.pluginRequirement(fc, a)
				if e != nil {
					return e
				}
				req.Alternatives = append(req.Alternatives, alt)
			}
		}
		l.plugins = append(l.plugins, req)
	}
	return nil
}

func (l *Loader) pluginRequirement(fc *fileCtx, n *yaml.Node) (PluginRequirement, *Error) {
	m, e := fc.asMapping(n, "a plugin requirement")
	if e != nil {
		return PluginRequirement{}, e
	}
	var req PluginRequirement
	if req.Name, e = fc.nonEmptyStr(m.vals["name"], "plugin name"); e != nil {
		return req, e
	}
	if req.Version, e = fc.nonEmptyStr(m.vals["version"], "plugin version"); e != nil {
		return req, e
	}
	return req, nil
}

// overrideModes reads `override: {key: append|replace}`.
func (fc *fileCtx) overrideModes(n *yaml.Node, appendable, replaceable []string) (map[string]string, *Error) {
	m, e := fc.asMapping(n, "override")
	if e != nil {
		return nil, e
	}
	modes := map[string]string{}
	for _, k := range m.keys {
		v, e := fc.str(m.vals[k.Value], "override mode")
		if e != nil {
			return nil, e
		}
		var allowed []string
		switch v {
		case "append":
			allowed = appendable
		case "replace":
			allowed = replaceable
		default:
			return nil, fc.errorf(m.vals[k.Value], "override mode for %q must be append or replace, not %q", k.Value, v)
		}
		if !contains(allowed, k.Value) {
			return nil, fc.errorf(k, "key %q cannot be overridden with %s (allowed: %v)", k.Value, v, allowed)
		}
		modes[k.Value] = v
	}
	return modes, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkOverrideKeys makes sure the keys listed in override and the keys
// present in the item are the same set.
func checkOverrideKeys(fc *fileCtx, m *mapping, modes map[string]string, nameKey string) *Error {
	if len(modes) == 0 {
		return fc.errorf(m.vals["override"], "override lists no key to append or replace")
	}
	for key := range modes {
		if !m.has(key) {
			return fc.errorf(m.vals["override"], "override lists %q but the item has no %q key", key, key)
		}
	}
	for _, k := range m.keys {
		if k.Value == nameKey || k.Value == "override" {
			continue
		}
		if _, ok := modes[k.Value]; !ok {
			return fc.errorf(k, "key %q must be listed in override: (append or replace)", k.Value)
		}
	}
	return nil
}

func (l *Loader) listItem(fc *fileCtx, m *mapping) *Error {
	l.checkKeys(fc, m, "a list", "list", "items", "append", "override")
	name, e := fc.nonEmptyStr(m.vals["list"], "list name")
	if e != nil {
		return e
	}
	if !isBareWord(name) {
		return fc.errorf(m.vals["list"], "list name %q must be a bare word (no blanks, quotes, parentheses, commas or '=')", name)
	}
	mode, e := l.itemMode(fc, m, "list", name, l.listByName[name] != nil, "items")
	if e != nil {
		return e
	}
	var items []ListItem
	if n, ok := m.vals["items"]; ok {
		texts, nodes, e := fc.strSeq(n, "items", false)
		if e != nil {
			return e
		}
		for i, t := range texts {
			items = append(items, ListItem{Text: t, At: fc.pos(nodes[i])})
		}
	} else if mode == "" {
		return fc.errorf(m.node, "list %q has no items key", name)
	}
	seq := l.nextSeq()
	switch mode {
	case "append":
		old := l.listByName[name]
		old.Items = append(old.Items, items...)
		old.visibility = seq
	case "replace":
		old := l.listByName[name]
		old.Items = items
		old.visibility = seq
	default:
		nl := &List{Name: name, Items: items, At: fc.pos(m.keyN["list"]), index: seq, visibility: seq}
		if old := l.listByName[name]; old != nil {
			nl.index, nl.slot = old.index, old.slot
			l.lists[old.slot] = nl
		} else {
			nl.slot = len(l.lists)
			l.lists = append(l.lists, nl)
		}
		l.listByName[name] = nl
	}
	return nil
}

// itemMode works out how a list or macro item combines with an earlier
// one of the same name: "" (define or redefine), "append" or "replace".
func (l *Loader) itemMode(fc *fileCtx, m *mapping, kind, name string, exists bool, body string) (string, *Error) {
	appendFlag := false
	if n, ok := m.vals["append"]; ok {
		b, e := fc.boolean(n, "append")
		if e != nil {
			return "", e
		}
		appendFlag = b
	}
	if n, ok := m.vals["override"]; ok {
		if appendFlag {
			return "", fc.errorf(m.keyN["override"], "%s %q uses both append and override; use only override", kind, name)
		}
		modes, e := fc.overrideModes(n, []string{body}, []string{body})
		if e != nil {
			return "", e
		}
		if e := checkOverrideKeys(fc, m, modes, kind); e != nil {
			return "", e
		}
		if !exists {
			return "", fc.errorf(m.keyN[kind], "%s %q has override but no %s by that name is defined before it", kind, name, kind)
		}
		return modes[body], nil
	}
	if appendFlag {
		if !exists {
			return "", fc.errorf(m.keyN[kind], "%s %q has append: true but no %s by that name is defined before it", kind, name, kind)
		}
		l.warn(fc.errorf(m.keyN["append"], "%s %q: append: true is deprecated; use override: {%s: append}", kind, name, body))
		return "append", nil
	}
	return "", nil
}

func (l *Loader) macroItem(fc *fileCtx, m *mapping) *Error {
	l.checkKeys(fc, m, "a macro", "macro", "condition", "append", "override")
	name, e := fc.nonEmptyStr(m.vals["macro"], "macro name")
	if e != nil {
		return e
	}
	if identifierLen(name, 0) != len(name) {
		return fc.errorf(m.vals["macro"], "macro name %q is not an identifier ([a-zA-Z][a-zA-Z0-9_]*)", name)
	}
	mode, e := l.itemMode(fc, m, "macro", name, l.macroByNam[name] != nil, "condition")
	if e != nil {
		return e
	}
	cn, ok := m.vals["condition"]
	if !ok {
		return fc.errorf(m.node, "macro %q has no condition key", name)
	}
	if _, e := fc.str(cn, "condition"); e != nil {
		return e
	}
	cond := fc.scalarSource(deref(cn))
	seq := l.nextSeq()
	switch mode {
	case "append":
		old := l.macroByNam[name]
		old.Condition = appendText(old.Condition, cond)
		old.visibility = seq
	case "replace":
		old := l.macroByNam[name]
		old.Condition = cond
		old.visibility = seq
	default:
		nm := &Macro{Name: name, Condition: cond, At: fc.pos(m.keyN["macro"]), index: seq, visibility: seq}
		if old := l.macroByNam[name]; old != nil {
			nm.index, nm.slot = old.index, old.slot
			l.macros[old.slot] = nm
		} else {
			nm.slot = len(l.macros)
			l.macros = append(l.macros, nm)
		}
		l.macroByNam[name] = nm
	}
	return nil
}

// appendText joins two texts with a blank, as Falco appends conditions.
func appendText(a, b *Source) *Source {
	var sb sourceBuilder
	sb.addSource(a)
	sb.addAt(" ", b.Pos(0))
	sb.addSource(b)
	return sb.source()
}

// compareVersions compares dotted numeric versions (a plain integer is a
// version too); non-numeric parts compare as text.
func compareVersions(a, b string) int {
	pa, pb := splitVersion(a), splitVersion(b)
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func splitVersion(v string) []int {
	var out []int
	n, digits := 0, false
	for i := 0; i <= len(v); i++ {
		if i < len(v) && isDigit(v[i]) {
			n = n*10 + int(v[i]-'0')
			digits = true
			continue
		}
		if digits {
			out = append(out, n)
		}
		n, digits = 0, false
	}
	return out
}
