package cond

import (
	"errors"
	"fmt"
	"net/netip"
)

// Event is the opaque value that compiled conditions hand to extractors.
// cond never looks inside it: the catalog decides what it is (typically a
// pointer to an enriched event plus its process state) and its extractors
// type-assert it. Passing a pointer keeps the call allocation-free.
type Event = any

// FieldType is the value type of a field, which decides how literals are
// parsed and which operators apply.
type FieldType uint8

const (
	TypeInvalid FieldType = iota
	// TypeString is text (CHARBUF, FSPATH). Extractor.String.
	TypeString
	// TypeInt64 is a signed integer (INT8..INT64, ERRNO, PID, FD). Extractor.Int64.
	TypeInt64
	// TypeUint64 is an unsigned integer (UINT8..UINT64, flags read raw). Extractor.Uint64.
	TypeUint64
	// TypeBool compares only with the literals true and false. Extractor.Bool.
	TypeBool
	// TypeAbsTime is ns since the Unix epoch. Extractor.Int64.
	TypeAbsTime
	// TypeRelTime is a duration in ns. Extractor.Int64.
	TypeRelTime
	// TypeIPAddr is one IPv4 or IPv6 address; "=" with a CIDR literal means
	// membership. Extractor.Addr.
	TypeIPAddr
	// TypeIPNet is an address compared as a network: a literal a.b.c.d/len
	// or a plain address; "=" and "in" mean CIDR membership. Extractor.Addr.
	TypeIPNet
	// TypePort is a TCP/UDP port; literals may be numbers or service names.
	// Extractor.Uint64.
	TypePort
	// TypeBytes is a raw byte buffer (evt.buffer); bcontains/bstartswith
	// take hex digits. Extractor.Bytes.
	TypeBytes
)

var fieldTypeNames = [...]string{
	TypeInvalid: "invalid",
	TypeString:  "string",
	TypeInt64:   "int64",
	TypeUint64:  "uint64",
	TypeBool:    "bool",
	TypeAbsTime: "abstime",
	TypeRelTime: "reltime",
	TypeIPAddr:  "ipaddr",
	TypeIPNet:   "ipnet",
	TypePort:    "port",
	TypeBytes:   "bytes",
}

func (t FieldType) String() string {
	if int(t) < len(fieldTypeNames) {
		return fieldTypeNames[t]
	}
	return fmt.Sprintf("fieldtype(%d)", uint8(t))
}

// FieldSpec describes one field as the catalog resolved it (for one
// concrete name and argument, e.g. proc.aname with arg "2").
type FieldSpec struct {
	// Name is the canonical field name without the argument (proc.aname,
	// evt.arg for evt.arg.flags).
	Name string
	// Type is the type of one value.
	Type FieldType
	// Description is a one-line explanation, for `rewind-replay fields`.
	Description string
	// ArgRequired / ArgAllowed say whether [arg] must / may be given.
	// Lookup has already validated the argument; these are informative.
	ArgRequired, ArgAllowed bool

	// IsList: the field has several values per event, read with the *At
	// extractors. With AnyElement false it follows libs list semantics:
	// "in" holds when every value is in the set, "intersects" when one is,
	// and other operators are rejected. With AnyElement true (proc.aname
	// without an index) every operator holds when any one value satisfies
	// it, and "exists" when there is at least one value.
	IsList     bool
	AnyElement bool

	// NoTransformer: the field cannot be wrapped in tolower()/len()/...
	NoTransformer bool
	// NoRHS: the field cannot be used inside val().
	NoRHS bool
	// FilterOnly: the field cannot be printed in an output.
	FilterOnly bool

	// EventTypes lists the evt.type names (syscall names such as "execve",
	// "openat") for which the field can have a value; nil means any event.
	// It is informational (field listings); cond does not read it.
	EventTypes []string
}

// Extractor reads one field from an Event. Exactly one scalar function
// matching FieldSpec.Type is set (String for TypeString, Int64 for
// TypeInt64/AbsTime/RelTime, Uint64 for TypeUint64/Port, Bool, Addr for
// IPAddr/IPNet, Bytes); for list fields (FieldSpec.IsList) the matching
// *At function is set instead. Every function returns ok=false when the
// value is missing for this event ("<NA>": every check on it is false).
//
// Extractors must be safe for concurrent use if the caller evaluates
// conditions concurrently, and should not allocate on the hot path.
type Extractor struct {
	String func(ev Event) (string, bool)
	Int64  func(ev Event) (int64, bool)
	Uint64 func(ev Event) (uint64, bool)
	Bool   func(ev Event) (bool, bool)
	Addr   func(ev Event) (netip.Addr, bool)
	Bytes  func(ev Event) ([]byte, bool)

	// StringAt .. AddrAt return the i-th value (0-based) of a list field;
	// ok=false past the last value. For proc.aname without an index, i=0
	// is the parent, i=1 the grandparent, and so on.
	StringAt func(ev Event, i int) (string, bool)
	Int64At  func(ev Event, i int) (int64, bool)
	Uint64At func(ev Event, i int) (uint64, bool)
	AddrAt   func(ev Event, i int) (netip.Addr, bool)

	// Text, when set, renders the value for outputs (%field) the way Falco
	// prints it (evt.time as a clock time, flags as names, ...). When nil,
	// outputs render the typed value: integers in decimal, bools as
	// true/false, addresses in standard form, list values joined by a space.
	Text func(ev Event) (string, bool)
}

// Catalog resolves field references written in conditions and outputs.
// Implementations must be safe for concurrent use by Lookup callers.
type Catalog interface {
	// Lookup resolves a field as written: name is the full dotted token
	// (e.g. "proc.aname", "evt.arg.flags", "evt.arg"), arg the text inside
	// [...] when hasArg. A catalog with dotted arguments (evt.arg.flags ->
	// evt.arg + "flags") resolves them itself, by longest known prefix.
	//
	// Errors: wrap ErrUnknownField for a name that does not exist, return
	// an *UnavailableError for a known field that recordings cannot
	// provide (the rule using it is skipped and reported with the reason),
	// and any other error for a bad argument (missing required [arg],
	// non-numeric index, unknown event parameter name ...). Messages are
	// lowercase without the field position; cond adds file:line:col.
	Lookup(name, arg string, hasArg bool) (Extractor, FieldSpec, error)
}

// EventTypeLister is optionally implemented by a Catalog that knows every
// evt.type name a recording can produce. cond uses it to turn negative
// evt.type tests (evt.type != x, not evt.type in (...)) into a concrete
// set and to warn about evt.type literals that can never match.
type EventTypeLister interface {
	EventTypes() []string
}

// ErrUnknownField is wrapped by Catalog.Lookup when the name is not a field.
var ErrUnknownField = errors.New("unknown field")

// UnavailableError is returned by Catalog.Lookup for a real Falco field
// that rewind recordings cannot provide (k8s.*, container.image.*, ...).
type UnavailableError struct {
	Field  string // the field as written, e.g. "k8s.ns.name"
	Reason string // why, e.g. "kubernetes metadata is not recorded"
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("field %s is not available: %s", e.Field, e.Reason)
}
