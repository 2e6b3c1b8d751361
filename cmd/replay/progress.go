package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/rewind-sh/rewind/format"
)

// progress shows how far a long read has got on one line of stderr that
// it keeps rewriting, when stderr is a terminal. Results written to the
// same terminal end it first (see out). A nil *progress is valid and
// silent.
type progress struct {
	w     io.Writer
	label string
	now   func() time.Time

	mu    sync.Mutex
	start time.Time
	next  time.Time // no redraw before this
	shown bool
}

// Redraw limits: the first line only once a read has taken a while (a
// quick command never flashes one), then a few redraws a second.
const (
	progressDelay  = 500 * time.Millisecond
	progressPeriod = 100 * time.Millisecond
)

// progressNow is the clock of progress lines; a variable for tests.
var progressNow = time.Now

// isTerminal reports whether w is a terminal; a variable for tests.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// startProgress returns the progress line of cmd's read, or nil when
// stderr is not a terminal.
func startProgress(cmd *cobra.Command, label string) *progress {
	if !isTerminal(cmd.ErrOrStderr()) {
		return nil
	}
	activeProgress = newProgress(cmd.ErrOrStderr(), label, progressNow)
	return activeProgress
}

// activeProgress is the command's progress line, which run clears
// before it prints an error. (One command runs per process.)
var activeProgress *progress

// watchProgress shows the progress of reading rec for cmd, and has the
// command's results (cmd.OutOrStdout from now on) end it.
func watchProgress(cmd *cobra.Command, rec *format.Recording) {
	p := startProgress(cmd, "reading "+rec.Dir)
	if p == nil {
		return
	}
	rec.Progress = p.update
	cmd.SetOut(p.out(cmd.OutOrStdout()))
}

// out returns w for the command's results. When w is a terminal too,
// the first write to it clears the progress line and ends it: a line
// rewritten between results (written in chunks, not whole lines) would
// garble them.
func (p *progress) out(w io.Writer) io.Writer {
	if p == nil || !isTerminal(w) {
		return w
	}
	return &endsProgress{p: p, w: w}
}

type endsProgress struct {
	p    *progress
	w    io.Writer
	once sync.Once
}

func (e *endsProgress) Write(b []byte) (int, error) {
	e.once.Do(e.p.done)
	return e.w.Write(b)
}

func newProgress(w io.Writer, label string, now func() time.Time) *progress {
	t := now()
	return &progress{w: w, label: label, now: now, start: t, next: t.Add(progressDelay)}
}

// update is a format.Recording Progress callback.
func (p *progress) update(sp format.ScanProgress) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	if t.Before(p.next) {
		return
	}
	p.next = t.Add(progressPeriod)
	pct := 100.0
	if sp.Total > 0 {
		pct = 100 * float64(sp.Done) / float64(sp.Total)
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s: %s of %s (%.0f%%), %s, %s", p.label, byteSize(sp.Done), byteSize(sp.Total), pct, sp.Segment, t.Sub(p.start).Truncate(time.Second))
	p.shown = true
}

// done clears the line, so that what follows starts on a clean one.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
	p.next = p.now().Add(24 * time.Hour) // nothing after the end
}

// byteSize prints n bytes in binary units.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
