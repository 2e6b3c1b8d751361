package fields

import (
	"errors"
	"net/netip"
	"sync"

	"github.com/rewind-sh/rewind/analyze/cond"
)

// Lenient wraps a catalog so that fields recordings cannot provide
// resolve to an extractor that always reports a missing value, the way
// Falco treats container metadata that has not arrived: every check on
// such a field is false, so `not container.image.repository in (...)`
// holds. Each such field is recorded and returned by Missing, so that the
// rules relying on it are reported, never silently changed.
type Lenient struct {
	cond.Catalog
	mu      sync.Mutex
	missing []cond.UnavailableError
}

// NewLenient returns a lenient view of c.
func NewLenient(c cond.Catalog) *Lenient { return &Lenient{Catalog: c} }

// Lookup implements cond.Catalog.
func (l *Lenient) Lookup(name, arg string, hasArg bool) (cond.Extractor, cond.FieldSpec, error) {
	x, spec, err := l.Catalog.Lookup(name, arg, hasArg)
	var ue *cond.UnavailableError
	if !errors.As(err, &ue) {
		return x, spec, err
	}
	l.mu.Lock()
	l.missing = append(l.missing, *ue)
	l.mu.Unlock()
	if spec.Type == cond.TypeInvalid {
		spec = cond.FieldSpec{Name: name, Type: cond.TypeString}
	}
	return alwaysMissing, spec, nil
}

// EventTypes forwards to the wrapped catalog when it lists event types.
func (l *Lenient) EventTypes() []string {
	if lister, ok := l.Catalog.(cond.EventTypeLister); ok {
		return lister.EventTypes()
	}
	return nil
}

// TakeMissing returns the unavailable fields looked up since the last
// call, and forgets them.
func (l *Lenient) TakeMissing() []cond.UnavailableError {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.missing
	l.missing = nil
	return out
}

var alwaysMissing = cond.Extractor{
	String: func(any) (string, bool) { return "", false },
	Int64:  func(any) (int64, bool) { return 0, false },
	Uint64: func(any) (uint64, bool) { return 0, false },
	Bool:   func(any) (bool, bool) { return false, false },
	Addr:   func(any) (netip.Addr, bool) { return netip.Addr{}, false },
	Bytes:  func(any) ([]byte, bool) { return nil, false },
	Text:   func(any) (string, bool) { return "", false },
}
