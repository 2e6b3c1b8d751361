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
