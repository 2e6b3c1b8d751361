package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the module root, relative to this package's directory.
const repoRoot = ".."

// readyLine is what rewind-record prints on stderr once its programs are
// attached and events flow (cmd/record prints it after attach).
var readyLine = regexp.MustCompile(`(?i)^rewind-record: recording`)

// tempBin is where the binaries built for this test run live; TestMain
// removes it.
var tempBin struct {
	once sync.Once
	dir  string
	err  error
}

func binDir(t *testing.T) string {
	t.Helper()
	tempBin.once.Do(func() { tempBin.dir, tempBin.err = os.MkdirTemp("", "rewind-e2e-bin-") })
	if tempBin.err != nil {
		t.Fatal(tempBin.err)
	}
	return tempBin.dir
}

// built is one binary (or set of them) built at most once per test run.
type built struct {
	once sync.Once
	path string
	err  error
}

var recorderBin, helpersBin, replayBin built

// builtRecorder builds rewind-record (static, as `make record` does).
func builtRecorder(t *testing.T) string {
	t.Helper()
	dir := binDir(t)
	recorderBin.once.Do(func() {
		recorderBin.path = filepath.Join(dir, "rewind-record")
		cmd := exec.Command("go", "build", "-o", recorderBin.path, "./cmd/record")
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			recorderBin.err = fmt.Errorf("go build ./cmd/record: %v\n%s", err, out)
		}
	})
	if recorderBin.err != nil {
		t.Fatal(recorderBin.err)
	}
	return recorderBin.path
}

// builtReplay builds rewind-replay (with DuckDB, as `make replay` does).
func builtReplay(t *testing.T) string {
	t.Helper()
	dir := binDir(t)
	replayBin.once.Do(func() {
		replayBin.path = filepath.Join(dir, "rewind-replay")
		cmd := exec.Command("go", "build", "-tags", "duckdb_arrow", "-o", replayBin.path, "./cmd/replay")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			replayBin.err = fmt.Errorf("go build ./cmd/replay: %v\n%s", err, out)
		}
	})
	if replayBin.err != nil {
		t.Fatal(replayBin.err)
	}
	return replayBin.path
}

// builtHelpers builds the scenario helpers (REWIND_SAMPLE_BIN) before any
// recording starts, so that no compiler runs while one is recorded.
func builtHelpers(t *testing.T) string {
	t.Helper()
	dir := binDir(t)
	helpersBin.once.Do(func() {
		helpersBin.path = filepath.Join(dir, "helpers")
		cmd := exec.Command(filepath.Join(repoRoot, "samples/scenarios/lib/build-helpers.sh"), helpersBin.path)
		if out, err := cmd.CombinedOutput(); err != nil {
			helpersBin.err = fmt.Errorf("build scenario helpers: %v\n%s", err, out)
		}
	})
	if helpersBin.err != nil {
		t.Fatal(helpersBin.err)
	}
	return helpersBin.path
}

func TestMain(m *testing.M) {
	before := openFiles()
	code := m.Run()
	if tempBin.dir != "" {
		os.RemoveAll(tempBin.dir)
	}
	var leaked []string
	for fd, target := range openFiles() {
		if _, had := before[fd]; !had {
			leaked = append(leaked, fmt.Sprintf("fd %s -> %s", fd, target))
		}
	}
	if code == 0 && len(leaked) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: file descriptors leaked: %s\n", strings.Join(leaked, ", "))
		code = 1
	}
	os.Exit(code)
}

// openFiles maps this process's open descriptors to what they name,
// leaving out the Go runtime's own (its poller starts lazily).
func openFiles() map[string]string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil || strings.HasPrefix(target, "anon_inode:") {
			continue
		}
		out[e.Name()] = target
	}
	return out
}

// recorder is a running rewind-record.
type recorder struct {
	cmd    *exec.Cmd
	dir    string
	stderr *lockedBuffer
	ready  chan struct{}
	done   chan error
}

// startRecorder runs rewind-record -o dir and waits until it records.
func startRecorder(t *testing.T, dir string, extra ...string) *recorder {
	t.Helper()
	builtHelpers(t) // before the recorder starts
	bin := builtRecorder(t)
	// A deep queue between ring reader and writer: these tests check
	// values, and a CI host busy compiling other packages must not turn a
	// burst into user-space drops (drop accounting is tested in capture/).
	args := append([]string{"-o", dir, "--queue-batches", "256"}, extra...)
	// REWIND_E2E_RECORD_FLAGS adds flags to every recorder the tests run
	// (e.g. "--dispatch raw" on a kernel that refuses perf-event links).
	args = append(args, strings.Fields(os.Getenv("REWIND_E2E_RECORD_FLAGS"))...)
	r := &recorder{
		cmd:    exec.Command(bin, args...),
		dir:    dir,
		stderr: &lockedBuffer{},
		ready:  make(chan struct{}),
		done:   make(chan error, 1),
	}
	r.cmd.Stdout = io.Discard
	pipe, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pipe)
		once := sync.Once{}
		for sc.Scan() {
			r.stderr.WriteLine(sc.Text())
			if readyLine.MatchString(sc.Text()) {
				once.Do(func() { close(r.ready) })
			}
		}
	}()
	go func() {
		<-copied // Wait must not close the pipe before it is drained
		r.done <- r.cmd.Wait()
	}()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Kill()
			<-r.done
		}
	})

	select {
	case <-r.ready:
	case err := <-r.done:
		t.Fatalf("rewind-record exited before it was ready (%v); stderr:\n%s", err, r.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("rewind-record not ready after 60 s; stderr:\n%s", r.stderr)
	}
	return r
}

// stop ends the recorder with SIGINT (a clean shutdown) and checks that
// it exits 0.
func (r *recorder) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatalf("signal rewind-record: %v", err)
	}
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("rewind-record exited with %v after SIGINT; stderr:\n%s", err, r.stderr)
		}
	case <-time.After(60 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
		t.Fatalf("rewind-record still running 60 s after SIGINT; stderr:\n%s", r.stderr)
	}
}

// kill9 ends the recorder with SIGKILL: no flush, no footer, no manifest
// update.
func (r *recorder) kill9(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill rewind-record: %v", err)
	}
	<-r.done
}

// runScenario runs samples/scenarios/<name>.sh in its own process group
// and returns the path of the truth it wrote.
func runScenario(t *testing.T, name, truthDir string) string {
	t.Helper()
	helpers := builtHelpers(t)
	truth := filepath.Join(truthDir, name+".truth.json")
	script, err := filepath.Abs(filepath.Join(repoRoot, "samples/scenarios", name+".sh"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script)
	cmd.Env = append(os.Environ(), "REWIND_TRUTH="+truth, "REWIND_SAMPLE_BIN="+helpers)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", script, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("scenario %s still running after 2 min; output:\n%s", name, &out)
	}
	if err != nil {
		t.Fatalf("scenario %s: %v; output:\n%s", name, err, &out)
	}
	return truth
}

// scenarioNames lists samples/scenarios/*.sh by name.
func scenarioNames(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot, "samples/scenarios/*.sh"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scenarios in samples/scenarios (%v)", err)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = strings.TrimSuffix(filepath.Base(p), ".sh")
	}
	return names
}

// lockedBuffer collects a child's stderr lines for failure messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) WriteLine(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
	b.buf.WriteByte('\n')
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
