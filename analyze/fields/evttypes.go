package fields

import "sort"

// EventTypes lists every evt.type (syscall column value) a recording can
// hold: the calls the recorder traces (DESIGN.md, "Event kinds"), plus
// the scheduler events that stand for fork and exit. It is what a
// negative evt.type test (evt.type != open) expands to.
func EventTypes() []string {
	out := make([]string, 0, len(sysParams))
	for s := range sysParams {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
