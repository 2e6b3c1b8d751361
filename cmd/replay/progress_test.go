//go:build duckdb_arrow

package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rewind-sh/rewind/format"
)

// fakeTime is a clock the test moves by hand.
type fakeTime struct{ t time.Time }

func (f *fakeTime) now() time.Time { return f.t }

func TestProgressLine(t *testing.T) {
	clock := &fakeTime{time.Unix(1_700_000_000, 0)}
	var errw bytes.Buffer
	p := newProgress(&errw, "reading rec", clock.now)
	sp := func(done int64) format.ScanProgress {
		return format.ScanProgress{Segment: "seg-00000002.arrow", Done: done, Total: 3 << 30}
	}
	steps := []struct {
		name    string
		advance time.Duration
		done    int64
		want    string // what this step writes
	}{
		{"a quick read shows nothing", 100 * time.Millisecond, 1 << 20, ""},
		{"a read that takes a while gets a line", progressDelay, 1 << 30, "\r\x1b[Kreading rec: 1.0 GiB of 3.0 GiB (33%), seg-00000002.arrow, 0s"},
		{"redraws are spaced", progressPeriod / 2, 2 << 30, ""},
		{"and then come again", progressPeriod, 2 << 30, "\r\x1b[Kreading rec: 2.0 GiB of 3.0 GiB (67%), seg-00000002.arrow, 0s"},
		{"elapsed time counts from the start", 2 * time.Second, 3 << 30, "\r\x1b[Kreading rec: 3.0 GiB of 3.0 GiB (100%), seg-00000002.arrow, 2s"},
	}
	for _, s := range steps {
		clock.t = clock.t.Add(s.advance)
		before := errw.Len()
		p.update(sp(s.done))
		if got := errw.String()[before:]; got != s.want {
			t.Errorf("%s: wrote %q, want %q", s.name, got, s.want)
		}
	}
	before := errw.Len()
	p.done()
	if got := errw.String()[before:]; got != "\r\x1b[K" {
		t.Errorf("done wrote %q, want the line cleared", got)
	}
	clock.t = clock.t.Add(time.Hour)
	p.update(sp(3 << 30))
	p.done()
	if errw.Len() != before+len("\r\x1b[K") {
		t.Errorf("wrote %q after done", errw.String()[before:])
	}
	var nilp *progress // a silent command's progress
	nilp.update(sp(1))
	nilp.done()
}

func TestProgressEndsAtFirstResultOnTheSameTerminal(t *testing.T) {
	var errw, terminal, file bytes.Buffer
	defer func(f func(io.Writer) bool) { isTerminal = f }(isTerminal)
	isTerminal = func(w io.Writer) bool { return w == &terminal }

	clock := &fakeTime{time.Unix(1_700_000_000, 0)}
	p := newProgress(&errw, "reading rec", clock.now)
	if w := p.out(&file); w != io.Writer(&file) {
		t.Errorf("results to a file are not wrapped")
	}
	out := p.out(&terminal)
	clock.t = clock.t.Add(progressDelay)
	p.update(format.ScanProgress{Segment: "s", Done: 1, Total: 2})
	shown := errw.Len()
	if shown == 0 {
		t.Fatal("no progress line")
	}
	io.WriteString(out, "first row\n")
	if got := errw.String()[shown:]; got != "\r\x1b[K" {
		t.Errorf("first result: stderr got %q, want the line cleared", got)
	}
	clock.t = clock.t.Add(time.Minute)
	p.update(format.ScanProgress{Segment: "s", Done: 2, Total: 2})
	io.WriteString(out, "second row\n")
	if errw.Len() != shown+len("\r\x1b[K") {
		t.Errorf("progress went on after the results began: %q", errw.String()[shown:])
	}
	if terminal.String() != "first row\nsecond row\n" {
		t.Errorf("results %q", terminal.String())
	}
}

// TestCommandsShowProgressOnlyOnATerminal runs a query with stderr
// taken for a terminal and not: only the first shows a progress line,
// and stdout is the same either way.
func TestCommandsShowProgressOnlyOnATerminal(t *testing.T) {
	defer func(f func(io.Writer) bool) { isTerminal = f }(isTerminal)
	defer func() { activeProgress = nil }()
	defer func(f func() time.Time) { progressNow = f }(progressNow)
	// Every reading of the clock is a second later: the small read
	// takes long enough to show its line.
	clock := &fakeTime{time.Unix(1_700_000_000, 0)}
	progressNow = func() time.Time { clock.t = clock.t.Add(time.Second); return clock.t }
	var results [2]string
	for i, terminalErr := range []bool{false, true} {
		root := newRootCmd()
		var out, errOut bytes.Buffer
		isTerminal = func(w io.Writer) bool { return terminalErr && w == &errOut }
		root.SetArgs([]string{"sql", "SELECT count(*) AS n FROM events", queriesRec})
		root.SetOut(&out)
		root.SetErr(&errOut)
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(errOut.String(), "reading "+queriesRec+": "); got != terminalErr {
			t.Errorf("stderr a terminal %v: progress line shown %v: %q", terminalErr, got, errOut.String())
		}
		if !terminalErr && strings.Contains(errOut.String(), "\x1b[K") {
			t.Errorf("progress escape codes on a stderr that is no terminal: %q", errOut.String())
		}
		results[i] = out.String()
		activeProgress = nil
	}
	if results[0] != results[1] || results[0] == "" {
		t.Errorf("stdout differs with progress: %q vs %q", results[0], results[1])
	}
}
