package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rewind-sh/rewind/bpf"
	"github.com/rewind-sh/rewind/format"
)

// The test binary doubles as rewind-record: with this variable set,
// TestMain runs the command with the arguments it holds (separated by \x1f),
// so the root tests can signal and kill a real recorder process.
const asRecorderEnv = "REWIND_RECORD_TEST_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(asRecorderEnv); ok {
		os.Exit(runMain(strings.Split(args, "\x1f"), os.Stderr))
	}
	os.Exit(m.Run())
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: rewind-record needs root to load its eBPF programs")
	}
	tr, err := loadAndAttach(&options{dispatch: "default"}, io.Discard)
	if errors.Is(err, bpf.ErrNotSupported) {
		t.Skipf("skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	tr.Close()
}

// recorderProc is a rewind-record started from the test binary.
type recorderProc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr strings.Builder
	done   chan error
}

func (p *recorderProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func startRecord(t *testing.T, args ...string) *recorderProc {
	t.Helper()
	p := &recorderProc{cmd: exec.Command(os.Args[0]), done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), asRecorderEnv+"="+strings.Join(args, "\x1f"))
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		var once sync.Once
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if strings.HasPrefix(sc.Text(), "rewind-record: recording to ") {
				once.Do(func() { close(ready) })
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case <-ready:
	case err := <-p.done:
		t.Fatalf("rewind-record exited before recording: %v\n%s", err, p.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("rewind-record not recording after 30 s:\n%s", p.output())
	}
	return p
}

func (p *recorderProc) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("rewind-record did not exit within 30 s:\n%s", p.output())
		return nil
	}
}

func countKinds(t *testing.T, rec *format.Recording) map[format.Kind]int {
	t.Helper()
	n := map[format.Kind]int{}
	err := rec.Scan(format.ScanOptions{}, func(b *format.Batch) error {
		for i := 0; i < b.Len(); i++ {
			n[b.Kind(i)]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSIGUSR1FreezesAndSIGINTClosesCleanly(t *testing.T) {
	requireRoot(t)
	dir := filepath.Join(t.TempDir(), "rec")
	p := startRecord(t, "-o", dir, "--events", "exec,fork,exit")
	if err := exec.Command("/bin/true").Run(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("exit after SIGINT: %v\n%s", err, p.output())
	}
	out := p.output()
	for _, want := range []string{"retention frozen (SIGUSR1)", "rows in", "drops: kernel", "bytes/row"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	rec, err := format.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Warnings) > 0 {
		t.Errorf("a cleanly closed recording has warnings: %v", rec.Warnings)
	}
	if !rec.Manifest.Frozen || rec.Manifest.FrozenBy != "SIGUSR1" {
		t.Errorf("the manifest records frozen %v by %q, want true by SIGUSR1", rec.Manifest.Frozen, rec.Manifest.FrozenBy)
	}
	n := countKinds(t, rec)
	if n[format.KindExec] == 0 || n[format.KindKeyframe] == 0 || n[format.KindHeartbeat] == 0 {
		t.Errorf("rows per kind %v: want exec, keyframe and heartbeat rows", n)
	}
	if n[format.KindOpen] != 0 {
		t.Errorf("%d open rows although --events left them out", n[format.KindOpen])
	}
}

func TestKillNineLeavesAReadableRecording(t *testing.T) {
	requireRoot(t)
	dir := filepath.Join(t.TempDir(), "rec")
	p := startRecord(t, "-o", dir)
	for i := 0; i < 5; i++ {
		if err := exec.Command("/bin/true").Run(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2500 * time.Millisecond) // past the 1 s batch bound, twice
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.wait(t)
	rec, err := format.Open(dir)
	if err != nil {
		t.Fatalf("open after kill -9: %v", err)
	}
	var recovered bool
	for _, w := range rec.Warnings {
		recovered = recovered || strings.Contains(w, "no file footer")
	}
	if !recovered {
		t.Errorf("no recovery warning for the unfinished segment: %v", rec.Warnings)
	}
	n := countKinds(t, rec)
	if n[format.KindKeyframe] == 0 || n[format.KindHeartbeat] == 0 || n[format.KindExec] == 0 {
		t.Errorf("rows per kind after kill -9: %v; want keyframe, heartbeat and exec rows", n)
	}
}

// TestFreezeOnARuleFreezesWhileRecording runs the recorder with a
// --freeze-on rule on the exec of a program named for this test: the
// recorder must say, while it runs, that the rule fired and froze
// retention, and the manifest must name the rule; a rule that never
// matches must not fire.
func TestFreezeOnARuleFreezesWhileRecording(t *testing.T) {
	requireRoot(t)
	tmp := t.TempDir()
	marker := fmt.Sprintf("rwfrz-%d", os.Getpid()%100000)
	prog := filepath.Join(tmp, marker)
	body, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prog, body, 0o755); err != nil {
		t.Fatal(err)
	}
	rules := filepath.Join(tmp, "freeze.yaml")
	if err := os.WriteFile(rules, []byte(fmt.Sprintf(`- rule: Marker ran
  desc: the test's marker program ran
  condition: evt.type in (execve, execveat) and proc.name = %s
  output: marker ran (exe=%%proc.exepath)
  priority: WARNING
- rule: On open
  desc: cannot fire without open events
  condition: evt.type = openat and fd.name = /etc/shadow
  output: open
  priority: INFO
- rule: Never
  desc: matches nothing
  condition: evt.type = execve and proc.name = no-such-program-name
  output: never
  priority: INFO
`, marker)), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "rec")
	p := startRecord(t, "-o", dir, "--events", "exec,fork,exit", "--freeze-on", rules)
	if err := exec.Command(prog).Run(); err != nil {
		t.Fatal(err)
	}
	fired := `rule "Marker ran" fired`
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(p.output(), fired) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(p.output(), fired) {
		t.Fatalf("no %q on stderr within 15 s of the exec, while recording:\n%s", fired, p.output())
	}
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("exit after SIGINT: %v\n%s", err, p.output())
	}
	out := p.output()
	for _, want := range []string{"--freeze-on: 3 rules: 3 enabled", "exe=" + prog, `alerts "Marker ran"=1`,
		`rule "On open" tests only event types that --events leaves out; it cannot fire`,
		"--freeze-on without --max-size or --max-age: nothing is pruned anyway"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"Never"`) {
		t.Errorf("the rule that matches nothing fired:\n%s", out)
	}
	m, err := format.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Frozen || !strings.HasPrefix(m.FrozenBy, `rule "Marker ran" at `) {
		t.Errorf("manifest frozen %v by %q, want frozen by the rule", m.Frozen, m.FrozenBy)
	}
}

// TestSIGUSR2ResumesRetention: SIGUSR1 freezes and SIGUSR2 resumes, and
// the manifest says each while the recorder runs (after the next batch,
// about a second), not only when it stops.
func TestSIGUSR2ResumesRetention(t *testing.T) {
	requireRoot(t)
	dir := filepath.Join(t.TempDir(), "rec")
	p := startRecord(t, "-o", dir, "--events", "exec,fork,exit")
	waitManifest := func(frozen bool, by string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			m, err := format.ReadManifest(dir)
			if err == nil && m.Frozen == frozen && m.FrozenBy == by {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the manifest does not say frozen %v by %q within 10 s (%+v, %v):\n%s", frozen, by, m, err, p.output())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, step := range []struct {
		sig    syscall.Signal
		frozen bool
		by     string
	}{{syscall.SIGUSR1, true, "SIGUSR1"}, {syscall.SIGUSR2, false, ""}} {
		if err := p.cmd.Process.Signal(step.sig); err != nil {
			t.Fatal(err)
		}
		waitManifest(step.frozen, step.by)
	}
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("exit after SIGINT: %v\n%s", err, p.output())
	}
	waitManifest(false, "")
	if out := p.output(); !strings.Contains(out, "retention resumed (SIGUSR2)") {
		t.Errorf("stderr lacks the resume:\n%s", out)
	}
}
