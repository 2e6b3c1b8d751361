package fields

import (
	"net/netip"

	"github.com/rewind-sh/rewind/analyze/cond"
	"github.com/rewind-sh/rewind/format"
)

// Constructors that keep the tables below one line per field.

func strF(name string, kinds format.KindSet, desc string, fn func(*Event) (string, bool)) *Field {
	return &Field{Name: name, Type: cond.TypeString, Desc: desc, Kinds: kinds,
		x: cond.Extractor{String: func(x any) (string, bool) { return fn(ev(x)) }}}
}

func intF(name string, kinds format.KindSet, desc string, fn func(*Event) (int64, bool)) *Field {
	return &Field{Name: name, Type: cond.TypeInt64, Desc: desc, Kinds: kinds,
		x: cond.Extractor{Int64: func(x any) (int64, bool) { return fn(ev(x)) }}}
}

func uintF(name string, kinds format.KindSet, desc string, fn func(*Event) (uint64, bool)) *Field {
	return &Field{Name: name, Type: cond.TypeUint64, Desc: desc, Kinds: kinds,
		x: cond.Extractor{Uint64: func(x any) (uint64, bool) { return fn(ev(x)) }}}
}

func portF(name string, kinds format.KindSet, desc string, fn func(*Event) (uint64, bool)) *Field {
	f := uintF(name, kinds, desc, fn)
	f.Type = cond.TypePort
	return f
}

func boolF(name string, kinds format.KindSet, desc string, fn func(*Event) (bool, bool)) *Field {
	return &Field{Name: name, Type: cond.TypeBool, Desc: desc, Kinds: kinds,
		x: cond.Extractor{Bool: func(x any) (bool, bool) { return fn(ev(x)) }}}
}

// absF is an epoch timestamp; outputs print it as a number of ns, as
// Falco does for its ABSTIME fields.
func absF(name string, kinds format.KindSet, desc string, fn func(*Event) (int64, bool)) *Field {
	f := intF(name, kinds, desc, fn)
	f.Type = cond.TypeAbsTime
	return f
}

func relF(name string, kinds format.KindSet, desc string, fn func(*Event) (int64, bool)) *Field {
	f := intF(name, kinds, desc, fn)
	f.Type = cond.TypeRelTime
	return f
}

func addrF(name string, kinds format.KindSet, desc string, fn func(*Event) (netip.Addr, bool)) *Field {
	return &Field{Name: name, Type: cond.TypeIPAddr, Desc: desc, Kinds: kinds,
		x: cond.Extractor{Addr: func(x any) (netip.Addr, bool) { return fn(ev(x)) }}}
}

func netF(name string, kinds format.KindSet, desc string, fn func(*Event) (netip.Addr, bool)) *Field {
	f := addrF(name, kinds, desc, fn)
	f.Type = cond.TypeIPNet
	f.FilterOnly, f.NoRHS, f.NoTransformer = true, true, true
	return f
}

// anyAddrF is a filter-only field matching either end of a socket (fd.ip,
// fd.net): a list of two values, any of which may satisfy the check.
func anyAddrF(name string, typ cond.FieldType, desc string, fn func(*Event, int) (netip.Addr, bool)) *Field {
	return &Field{Name: name, Type: typ, Desc: desc, Kinds: format.SetOf(format.KindNet),
		FilterOnly: true, NoRHS: true, NoTransformer: true,
		list: true, x: cond.Extractor{AddrAt: func(x any, i int) (netip.Addr, bool) { return fn(ev(x), i) }}}
}

func unavailable(name string, typ cond.FieldType, reason, desc string) *Field {
	return &Field{Name: name, Type: typ, Desc: desc, Unavailable: reason}
}

func ours(f *Field) *Field {
	f.Ours = true
	return f
}

var (
	kAny  format.KindSet // every event kind
	kExec = format.SetOf(format.KindExec)
	kOpen = format.SetOf(format.KindOpen)
	kNet  = format.SetOf(format.KindNet)
	kFDs  = format.SetOf(format.KindOpen, format.KindNet, format.KindFile, format.KindSecurity)
)
