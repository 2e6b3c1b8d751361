package engine

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rewind-sh/rewind/analyze/fields"
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
	for _, sample := range sampleRecordings(t) {
		rec := sample.rec
		sources[sample.name] = func(emit func(*format.Event)) {
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

func TestRulesOutside(t *testing.T) {
	rs, err := Load([]string{writeRulesFile(t, `
- rule: On exec
  desc: d
  condition: evt.type = execve and proc.name = x
  output: o
  priority: INFO
- rule: On open or connect
  desc: d
  condition: evt.type in (openat, connect) and fd.name = x
  output: o
  priority: INFO
- rule: On anything but open
  desc: d
  condition: evt.type != openat and proc.name = x
  output: o
  priority: INFO
- rule: On setuid
  desc: d
  condition: evt.type = setuid
  output: o
  priority: INFO
`)}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kinds format.KindSet
		want  []string
	}{
		{format.SetOf(format.KindExec, format.KindFork, format.KindExit, format.KindOpen, format.KindFile, format.KindNet, format.KindSecurity), nil},
		{format.SetOf(format.KindExec), []string{"On open or connect", "On setuid"}},
		{format.SetOf(format.KindNet), []string{"On exec", "On setuid"}},
		{format.SetOf(format.KindOpen, format.KindSecurity), []string{"On exec"}},
	}
	for _, tt := range tests {
		if got := rs.RulesOutside(tt.kinds); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("RulesOutside(%v) = %q, want %q", tt.kinds, got, tt.want)
		}
	}
}

func writeRulesFile(t *testing.T, text string) string {
	p := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKindOfTypeMatchesTheRecordings checks fields.KindOfType, which
// RulesOutside relies on, against what the recorder wrote: in every
// sample recording, a row's kind is the kind its evt.type maps to; and
// every evt.type a recording can hold maps to some kind.
func TestKindOfTypeMatchesTheRecordings(t *testing.T) {
	for _, typ := range fields.EventTypes() {
		if _, ok := fields.KindOfType(typ); !ok {
			t.Errorf("recorded evt.type %s maps to no kind", typ)
		}
	}
	checked := map[string]bool{}
	for _, sample := range sampleRecordings(t) {
		err := sample.rec.Scan(format.ScanOptions{Columns: []format.ColumnID{format.ColSyscall}}, func(b *format.Batch) error {
			for i := 0; i < b.Len(); i++ {
				if !isEvent(b.Kind(i)) {
					continue
				}
				typ := b.String(format.ColSyscall, i)
				if k, ok := fields.KindOfType(typ); !ok || k != b.Kind(i) {
					t.Errorf("%s: a %s row of evt.type %s, which KindOfType maps to %v (ok %v)", sample.name, b.Kind(i), typ, k, ok)
				}
				checked[typ] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(checked) < 10 {
		t.Errorf("only %d evt.types in the samples: %v", len(checked), checked)
	}
}

// sampleRecording is one committed sample recording.
type sampleRecording struct {
	name string
	rec  *format.Recording
}

// sampleRecordings opens every committed sample recording, in name
// order.
func sampleRecordings(t *testing.T) []sampleRecording {
	t.Helper()
	const dir = "../../samples/recordings"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("sample recordings: %v", err)
	}
	var out []sampleRecording
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		rec, err := format.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sampleRecording{e.Name(), rec})
	}
	if len(out) == 0 {
		t.Fatalf("no sample recordings under %s", dir)
	}
	return out
}
