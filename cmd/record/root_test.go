package main

import (
	"bufio"
	"errors"
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
	if !rec.Manifest.Frozen {
		t.Error("the manifest does not record the freeze")
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
