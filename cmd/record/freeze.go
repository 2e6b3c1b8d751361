package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rewind-sh/rewind/analyze/engine"
	"github.com/rewind-sh/rewind/format"
)

// freezeRules tests the --freeze-on rules on every batch the recorder
// writes; an alert freezes retention (again, after a SIGUSR2 resumed
// it), so that the window before it survives, and each rule's first
// alert is told on stderr.
type freezeRules struct {
	live   *engine.Live
	stderr io.Writer
	// writer is the recorder's writer, nil until the recorder exists.
	writer func() *format.Writer

	mu     sync.Mutex // counts is read at exit, from another goroutine
	counts map[string]uint64
	err    error
}

// loadFreezeRules loads the rules files; kinds are the kinds --events
// records (0: all), and a rule that cannot fire without the others is
// named on stderr.
func loadFreezeRules(files []string, kinds format.KindSet, host string, stderr io.Writer) (*freezeRules, error) {
	rs, err := engine.Load(files, engine.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("--freeze-on: %w", err)
	}
	fmt.Fprintf(stderr, "rewind-record: --freeze-on: %s\n", rs.Summary)
	if kinds != 0 {
		for _, name := range rs.RulesOutside(kinds) {
			fmt.Fprintf(stderr, "rewind-record: --freeze-on: rule %q tests only event types that --events leaves out; it cannot fire\n", name)
		}
	}
	return &freezeRules{live: rs.NewLive(host), stderr: stderr, counts: map[string]uint64{}}, nil
}

// batch is the writer's OnBatch hook.
func (f *freezeRules) batch(b *format.Batch) {
	err := f.live.Batch(b, func(a *engine.Alert) error {
		f.mu.Lock()
		f.counts[a.Rule]++
		first := f.counts[a.Rule] == 1
		f.mu.Unlock()
		w := f.writer()
		refreeze := w != nil && !w.Frozen() // again, after a SIGUSR2
		if !first && !refreeze {
			return nil // most alerts: nothing to format
		}
		at := time.Unix(0, a.Time).UTC().Format(time.RFC3339Nano)
		if refreeze {
			w.Freeze(fmt.Sprintf("rule %q at %s (pid %d)", a.Rule, at, a.Pid))
		}
		if first {
			fmt.Fprintf(f.stderr, "rewind-record: rule %q fired at %s (pid %d): retention frozen: %s\n", a.Rule, at, a.Pid, a.Output)
		}
		return nil
	})
	if err != nil && f.err == nil {
		// A batch the rules cannot read is still recorded; say so once.
		f.err = err
		fmt.Fprintf(f.stderr, "rewind-record: --freeze-on: %v; later batches are still tested\n", err)
	}
}

// report is the exit line: alerts per rule.
func (f *freezeRules) report(w io.Writer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.counts) == 0 {
		fmt.Fprintln(w, "rewind-record: --freeze-on: no rule fired")
		return
	}
	var parts []string
	for r, n := range f.counts {
		parts = append(parts, fmt.Sprintf("%q=%d", r, n))
	}
	sort.Strings(parts)
	fmt.Fprintf(w, "rewind-record: --freeze-on: alerts %s\n", strings.Join(parts, " "))
}
