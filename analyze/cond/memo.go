package cond

// Several rules that are candidates for the same event often share
// macros (upstream's open_read is the first test of most file rules), so
// a compiled macro remembers its result for the event it last saw when
// the event lets it: evaluating it again for the next rule is then a
// slice read instead of several field extractions.

// Memoizer is implemented by events that carry a Memo. The event must
// call Memo.Next whenever it moves to another row, or macros would
// answer for the previous one.
type Memoizer interface {
	Memo() *Memo
}

// Memo holds the macro results of the current event. The zero value is
// ready to use.
type Memo struct {
	// owner is the compiler whose macros the slots number; an event
	// evaluated by another program's macros starts over.
	owner *Compiler
	gen   uint32
	// slots[i] is gen<<1 | result for the macro numbered i, valid only
	// when its gen is the current one; stale entries need no clearing.
	slots []uint32
}

// Next forgets every result: the event is another row now.
func (m *Memo) Next() {
	m.gen++
	if m.gen == 1<<31 { // the gen would no longer fit beside the result bit
		m.gen = 1
		clear(m.slots)
	}
}

// lookup returns the remembered result of macro i of compiler cc for
// the current event.
func (m *Memo) lookup(cc *Compiler, i int) (result, ok bool) {
	if m.owner != cc {
		m.owner = cc
		clear(m.slots)
		return false, false
	}
	if m.gen == 0 || i >= len(m.slots) {
		return false, false
	}
	s := m.slots[i]
	return s&1 == 1, s>>1 == m.gen
}

func (m *Memo) store(i int, result bool) {
	if m.gen == 0 {
		return
	}
	for i >= len(m.slots) {
		m.slots = append(m.slots, 0)
	}
	s := m.gen << 1
	if result {
		s |= 1
	}
	m.slots[i] = s
}

// memoized wraps the predicate of macro number i of compiler cc so that
// it runs once per event for events that are Memoizers.
func memoized(cc *Compiler, i int, pred func(Event) bool) func(Event) bool {
	return func(ev Event) bool {
		m, ok := ev.(Memoizer)
		if !ok {
			return pred(ev)
		}
		memo := m.Memo()
		if r, ok := memo.lookup(cc, i); ok {
			return r
		}
		r := pred(ev)
		memo.store(i, r)
		return r
	}
}
