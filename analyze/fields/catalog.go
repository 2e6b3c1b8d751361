package fields

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/rewind-sh/rewind/analyze/cond"
	"github.com/rewind-sh/rewind/format"
)

// ArgMode says whether and how a field takes an argument in brackets.
type ArgMode uint8

// The argument forms.
const (
	ArgNone          ArgMode = iota
	ArgIndexOptional         // proc.aname[2]; without it, every ancestor
	ArgIndexRequired
	ArgKeyOptional // proc.env[HOME]
	ArgNameRequired
)

// Field is one row of the catalog.
type Field struct {
	Name string
	Type cond.FieldType
	// Desc explains the field in our words.
	Desc string
	// Kinds are the row kinds that can give the field a value; 0 means
	// every event kind.
	Kinds format.KindSet
	Arg   ArgMode
	// ArgHint names the argument in listings (N, NAME, param).
	ArgHint string
	// Unavailable, when set, is why recordings cannot provide the field;
	// a rule that uses it is reported and skipped.
	Unavailable string
	// Ours marks fields that rewind adds (Falco has no such field).
	Ours bool

	FilterOnly, NoRHS, NoTransformer bool

	// x is the extractor of a field without an argument (or the
	// argument-less form of an ArgIndexOptional field).
	x cond.Extractor
	// build returns the extractor for a given argument.
	build func(arg string) (cond.Extractor, error)
	// list: the field has several values (both ends of a socket), any
	// of which may satisfy a check.
	list bool
	// anyAncestor: without an argument the field is a list over every
	// ancestor, any of which may satisfy a check.
	anyAncestor bool
}

// Available reports whether recordings can provide the field.
func (f *Field) Available() bool { return f.Unavailable == "" }

// Display is the name as listed, with its argument form.
func (f *Field) Display() string {
	switch f.Arg {
	case ArgIndexOptional, ArgKeyOptional:
		return f.Name + "[" + f.ArgHint + "]"
	case ArgIndexRequired:
		return f.Name + "[" + f.ArgHint + "]"
	case ArgNameRequired:
		return f.Name + "." + f.ArgHint
	}
	return f.Name
}

// KindNames lists the kinds that provide the field, or "any".
func (f *Field) KindNames() []string {
	if f.Kinds == 0 {
		return []string{"any"}
	}
	var out []string
	for _, k := range format.Kinds() {
		if f.Kinds.Has(k) {
			out = append(out, k.String())
		}
	}
	return out
}

// Catalog is the field table; it implements cond.Catalog and
// cond.EventTypeLister. It is immutable after New and safe for
// concurrent use.
type Catalog struct {
	fields []*Field
	byName map[string]*Field
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
)

// Default returns the catalog of every field rewind knows.
func Default() *Catalog {
	defaultOnce.Do(func() { defaultCat = newCatalog(allFields()) })
	return defaultCat
}

func allFields() []*Field {
	var all []*Field
	all = append(all, evtFields()...)
	all = append(all, procFields()...)
	all = append(all, threadFields()...)
	all = append(all, fdFields()...)
	all = append(all, userFields()...)
	all = append(all, containerFields()...)
	all = append(all, unavailableFields()...)
	return all
}

func newCatalog(fs []*Field) *Catalog {
	c := &Catalog{fields: fs, byName: make(map[string]*Field, len(fs))}
	for _, f := range fs {
		if _, dup := c.byName[f.Name]; dup {
			panic("fields: duplicate field " + f.Name) // a programming error in the table
		}
		c.byName[f.Name] = f
	}
	sort.Slice(c.fields, func(i, j int) bool { return c.fields[i].Name < c.fields[j].Name })
	return c
}

// Fields returns every field, sorted by name.
func (c *Catalog) Fields() []*Field { return c.fields }

// Field returns the catalog row for an exact name.
func (c *Catalog) Field(name string) (*Field, bool) {
	f, ok := c.byName[name]
	return f, ok
}

// unknownPrefixes are whole field classes recordings cannot provide; a
// name under them that the table does not list is still reported as
// unavailable rather than unknown, since Falco plugins define many.
var unknownPrefixes = []struct{ prefix, reason string }{
	{"k8s.", reasonK8s},
	{"container.", reasonContainerMeta},
}

// Lookup implements cond.Catalog.
func (c *Catalog) Lookup(name, arg string, hasArg bool) (cond.Extractor, cond.FieldSpec, error) {
	f, ok := c.byName[name]
	if !ok {
		// evt.arg.flags, evt.rawarg.request, proc.env.HOME-style names:
		// longest known prefix, the rest is the argument.
		for cut := strings.LastIndexByte(name, '.'); cut > 0; cut = strings.LastIndexByte(name[:cut], '.') {
			pf, ok := c.byName[name[:cut]]
			if ok && pf.Arg == ArgNameRequired && !hasArg {
				f, arg, hasArg = pf, name[cut+1:], true
				break
			}
		}
	}
	if f == nil {
		for _, u := range unknownPrefixes {
			if strings.HasPrefix(name, u.prefix) {
				return cond.Extractor{}, cond.FieldSpec{}, &cond.UnavailableError{Field: name, Reason: u.reason}
			}
		}
		return cond.Extractor{}, cond.FieldSpec{}, fmt.Errorf("%w %s", cond.ErrUnknownField, name)
	}
	spec := cond.FieldSpec{
		Name:          f.Name,
		Type:          f.Type,
		Description:   f.Desc,
		ArgRequired:   f.Arg == ArgIndexRequired || f.Arg == ArgNameRequired,
		ArgAllowed:    f.Arg != ArgNone,
		NoTransformer: f.NoTransformer,
		NoRHS:         f.NoRHS,
		FilterOnly:    f.FilterOnly,
	}
	if !f.Available() {
		written := name
		if hasArg {
			written += "[" + arg + "]"
		}
		return cond.Extractor{}, spec, &cond.UnavailableError{Field: written, Reason: f.Unavailable}
	}
	switch f.Arg {
	case ArgNone:
		if hasArg {
			return cond.Extractor{}, spec, fmt.Errorf("field %s takes no argument", f.Name)
		}
		if f.list {
			spec.IsList, spec.AnyElement = true, true
		}
		return f.x, spec, nil
	case ArgIndexRequired, ArgNameRequired:
		if !hasArg || arg == "" {
			return cond.Extractor{}, spec, fmt.Errorf("field %s needs an argument: %s", f.Name, f.Display())
		}
	case ArgIndexOptional, ArgKeyOptional:
		if !hasArg {
			if f.anyAncestor {
				spec.IsList, spec.AnyElement = true, true
			}
			return f.x, spec, nil
		}
	}
	x, err := f.build(arg)
	if err != nil {
		return cond.Extractor{}, spec, fmt.Errorf("field %s: %w", f.Name, err)
	}
	return x, spec, nil
}

// EventTypes implements cond.EventTypeLister: every evt.type a recording
// can hold.
func (c *Catalog) EventTypes() []string { return EventTypes() }

// parseIndex parses an ancestor or argument index.
func parseIndex(arg string) (int, error) {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("index %q is not a non-negative integer", arg)
	}
	return n, nil
}

// Reasons shared by unavailable fields.
const (
	reasonK8s           = "kubernetes metadata is not recorded (the recorder does not query the kubelet or the API server)"
	reasonContainerMeta = "container runtime metadata (image, name, mounts, privileges, labels) is not recorded; only the id from the cgroup path is"
	reasonDNS           = "reverse DNS names are not recorded"
	reasonBuffers       = "I/O data buffers are not recorded"
	reasonEnter         = "recordings hold exit events only; latencies need the enter event"
	reasonUsage         = "resource usage counters (memory, page faults, CPU) are not recorded per event"
	reasonFDLayer       = "overlayfs layer flags are recorded for executables only, not for opened files"
)
