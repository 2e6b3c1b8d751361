package engine

import (
	"github.com/rewind-sh/rewind/analyze/fields"
	"github.com/rewind-sh/rewind/format"
)

// Live tests rules on batches as a recorder writes them (see
// format.WriterOptions.OnBatch), keeping the process table between
// batches as a replay does. Unlike a replay it cannot look ahead: a
// proc.exe.sha256 is known only once the hash row is written, which is
// usually after the exec it describes. A Live is used by one goroutine.
type Live struct {
	rp    *replay
	stats Stats
}

// NewLive starts live testing of r's rules; host names the machine in
// alerts.
func (r *Ruleset) NewLive(host string) *Live {
	return &Live{rp: newReplay(r, host), stats: Stats{ByRule: map[string]uint64{}}}
}

// Batch tests the rows of b and calls emit for every alert, in event
// order. An error from emit stops the batch and is returned.
func (l *Live) Batch(b *format.Batch, emit func(*Alert) error) error {
	return l.rp.batch(b, RunOptions{}, &l.stats, emit)
}

// Stats returns what the live run did so far.
func (l *Live) Stats() Stats {
	st := l.stats
	st.Table = l.rp.table.Stats()
	return st
}

// RulesOutside names the rules that cannot fire on a recording that
// holds only the row kinds in kinds (a recorder run with --events):
// every evt.type they test is recorded as another kind.
func (r *Ruleset) RulesOutside(kinds format.KindSet) []string {
	var out []string
	for _, cr := range r.Program.Rules {
		types := cr.Condition.Types
		if types.Except {
			continue // it matches types it does not name
		}
		reachable := false
		for _, t := range types.Sorted() {
			if k, ok := fields.KindOfType(t); ok && kinds.Has(k) {
				reachable = true
				break
			}
		}
		if !reachable {
			out = append(out, cr.Rule.Name)
		}
	}
	return out
}
