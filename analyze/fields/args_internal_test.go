package fields

import "testing"

func TestEveryParameterOfEveryEventTypeHasARenderer(t *testing.T) {
	for typ, names := range sysParams {
		for _, n := range names {
			if paramText[n] == nil {
				t.Errorf("%s: parameter %s has no renderer", typ, n)
			}
		}
	}
	for n := range paramRaw {
		if paramText[n] == nil {
			t.Errorf("raw parameter %s has no text form", n)
		}
	}
}

func TestRecordedTypesHaveParameters(t *testing.T) {
	for _, typ := range recordedTypes {
		if _, ok := sysParams[typ]; !ok {
			t.Errorf("recorded evt.type %s has no parameter table", typ)
		}
	}
}

// A parameter without its columns listed would read nulls in a replay
// that projects columns (the engine's projection test then checks that
// the listed columns suffice).
func TestEveryParameterListsItsColumns(t *testing.T) {
	for n := range paramText {
		if _, ok := paramColumns[n]; !ok {
			t.Errorf("parameter %s has no entry in paramColumns", n)
		}
	}
	for n := range paramColumns {
		if paramText[n] == nil {
			t.Errorf("paramColumns lists %s, which is no parameter", n)
		}
	}
}
