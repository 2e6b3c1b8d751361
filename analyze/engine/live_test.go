package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rewind-sh/rewind/format"
	"github.com/rewind-sh/rewind/format/formattest"
)

// TestLiveMatchesReplay writes recordings with a Live tester on the
// writer's OnBatch hook and checks that it raises the alerts a replay
// of the finished recording raises: the same rules, at the same events,
// with the same output, except where the output shows an executable's
// hash (a replay joins hash rows written after the exec; live testing
// cannot look ahead).
func TestLiveMatchesReplay(t *testing.T) {
	rs, err := Load([]string{upstream(t, "falco_rules.yaml"), ourRules}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]func(emit func(*format.Event)){
		"busy host": func(emit func(*format.Event)) {
			g := formattest.BusyHost(3)
			var ev format.Event
			for i := 0; i < goldenBusyEvents; i++ {
				g.Next(&ev)
				emit(&ev)
			}
		},
	}
	const samples = "../../samples/recordings"
	entries, _ := os.ReadDir(samples)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(samples, e.Name())
		sources[e.Name()] = func(emit func(*format.Event)) {
			rec, err := format.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			var ev format.Event
			if err := rec.Scan(format.ScanOptions{}, func(b *format.Batch) error {
				for i := 0; i < b.Len(); i++ {
					b.Event(i, &ev)
					emit(&ev)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(sources) < 2 {
		t.Fatal("no sample recordings under " + samples)
	}
	for name, source := range sources {
		t.Run(name, func(t *testing.T) {
			live := rs.NewLive("host")
			var got []*Alert
			var liveErr error
			dir := filepath.Join(t.TempDir(), "rec")
			w, err := format.Create(format.WriterOptions{Dir: dir, Host: format.HostInfo{Hostname: "host"},
				OnBatch: func(b *format.Batch) {
					if err := live.Batch(b, func(a *Alert) error { got = append(got, a); return nil }); err != nil && liveErr == nil {
						liveErr = err
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			source(func(ev *format.Event) {
				if err := w.Append(ev); err != nil {
					t.Fatal(err)
				}
			})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if liveErr != nil {
				t.Fatal(liveErr)
			}
			rec, err := format.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			var want []*Alert
			if _, err := rs.Run(rec, RunOptions{}, func(a *Alert) error { want = append(want, a); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("live raised %d alerts, the replay %d", len(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.Rule != w.Rule || g.Time != w.Time || g.Pid != w.Pid {
					t.Fatalf("alert %d: live %q at %d pid %d, replay %q at %d pid %d", i, g.Rule, g.Time, g.Pid, w.Rule, w.Time, w.Pid)
				}
				if !strings.Contains(w.Output, "sha256=") && g.Output != w.Output {
					t.Fatalf("alert %d (%s): live output\n%s\nreplay output\n%s", i, w.Rule, g.Output, w.Output)
				}
			}
			if st := live.Stats(); st.Alerts != uint64(len(got)) || st.Events == 0 {
				t.Errorf("live stats: %d alerts over %d events, want %d alerts", st.Alerts, st.Events, len(got))
			}
			t.Logf("%d alerts", len(got))
		})
	}
}
