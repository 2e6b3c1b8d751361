package cond

import (
	"fmt"
	"testing"
)

// memoEvent is a Memoizer with one field, proc.name, that counts how
// often it is read.
type memoEvent struct {
	name  string
	reads int
	memo  Memo
}

func (e *memoEvent) Memo() *Memo { return &e.memo }

// memoCatalog knows evt.type (always "open") and proc.name of a
// memoEvent.
type memoCatalog struct{}

func (memoCatalog) Lookup(name, arg string, hasArg bool) (Extractor, FieldSpec, error) {
	switch name {
	case "proc.name":
		return Extractor{String: func(ev Event) (string, bool) {
			e := ev.(*memoEvent)
			e.reads++
			return e.name, true
		}}, FieldSpec{Name: name, Type: TypeString}, nil
	case "evt.type":
		return Extractor{String: func(Event) (string, bool) { return "open", true }}, FieldSpec{Name: name, Type: TypeString}, nil
	}
	return Extractor{}, FieldSpec{}, fmt.Errorf("%w %s", ErrUnknownField, name)
}

const memoRules = `
- macro: shell
  condition: proc.name in (sh, bash) and proc.name != zsh
- rule: A
  desc: d
  condition: evt.type=open and shell
  output: o
  priority: INFO
- rule: B
  desc: d
  condition: evt.type=open and not shell
  output: o
  priority: INFO
`

// TestMacroResultsAreSharedWithinAnEventOnly evaluates two rules that
// share a macro on a sequence of events: each event reads the macro's
// field once per check of the macro body, not once per rule, and
// never sees the previous event's result.
func TestMacroResultsAreSharedWithinAnEventOnly(t *testing.T) {
	p, _, err := CompileRules(loadRules(t, memoRules), memoCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := CompileRules(loadRules(t, memoRules), memoCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		proc      string
		wantA     bool
		wantB     bool
		wantReads int // the macro body reads proc.name up to twice
	}{
		{"shell", "sh", true, false, 2},
		{"another shell", "bash", true, false, 2},
		{"not a shell: the in check fails first", "vim", false, true, 1},
		{"a shell again after a non-shell", "sh", true, false, 2},
	}
	ev := &memoEvent{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev.memo.Next()
			ev.name, ev.reads = tt.proc, 0
			for _, prog := range []*Program{p, other} {
				gotA := prog.Rules[0].Condition.Match(ev)
				gotB := prog.Rules[1].Condition.Match(ev)
				if gotA != tt.wantA || gotB != tt.wantB {
					t.Errorf("A=%v B=%v, want A=%v B=%v", gotA, gotB, tt.wantA, tt.wantB)
				}
			}
			// Each program evaluates the macro once for the event.
			if ev.reads != 2*tt.wantReads {
				t.Errorf("proc.name read %d times, want %d", ev.reads, 2*tt.wantReads)
			}
		})
	}
}
