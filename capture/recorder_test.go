package capture

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rewind-sh/rewind/bpf"
	"github.com/rewind-sh/rewind/format"
)

// scriptSource replays a fixed list of events, then blocks until Close.
type scriptSource struct {
	mu      sync.Mutex
	events  []bpf.Event
	errs    map[int]error         // index -> error returned instead of the event
	gates   map[int]chan struct{} // index -> closed when the event may be read
	stamp   *bpf.BootClock        // when set, events are stamped with the time they are read
	next    int
	done    chan struct{}
	once    sync.Once
	drained chan struct{} // closed when every scripted event was read
}

func newScriptSource(events []bpf.Event) *scriptSource {
	return &scriptSource{events: events, errs: map[int]error{}, gates: map[int]chan struct{}{}, done: make(chan struct{}), drained: make(chan struct{})}
}

func (s *scriptSource) Read(ev *bpf.Event) error {
	s.mu.Lock()
	if s.next < len(s.events) {
		i := s.next
		s.next++
		if s.next == len(s.events) {
			close(s.drained)
		}
		gate := s.gates[i]
		s.mu.Unlock()
		if gate != nil {
			<-gate
		}
		if err := s.errs[i]; err != nil {
			return err
		}
		*ev = s.events[i]
		if s.stamp != nil {
			ev.BootNs = uint64(time.Now().UnixNano() - s.stamp.OffsetNs)
		}
		return nil
	}
	s.mu.Unlock()
	<-s.done
	return bpf.ErrClosed
}

// Pending is true when Read would return at once, as for the ring.
func (s *scriptSource) Pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next >= len(s.events) {
		return false
	}
	if gate := s.gates[s.next]; gate != nil {
		select {
		case <-gate:
		default:
			return false
		}
	}
	return true
}

func (s *scriptSource) Close() error { s.once.Do(func() { close(s.done) }); return nil }

func readAll(t *testing.T, dir string) []format.Event {
	t.Helper()
	rec, err := format.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []format.Event
	err = rec.Scan(format.ScanOptions{}, func(b *format.Batch) error {
		for i := 0; i < b.Len(); i++ {
			var ev format.Event
			b.Event(i, &ev)
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newTestConfig(t *testing.T, src Source) Config {
	t.Helper()
	p := newTestProcFS(t)
	clock, err := bpf.MeasureBootClock()
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		Writer: format.WriterOptions{Dir: filepath.Join(t.TempDir(), "rec"), Host: format.HostInfo{Hostname: "test", BootTimeNs: clock.OffsetNs}},
		Source: src, Clock: clock, ProcFS: p,
		HeartbeatEvery: 50 * time.Millisecond,
	}
}

func TestRecorderRedactsTheKeyframe(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "sleep 30", "sh", "token=s3cr3t")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	time.Sleep(50 * time.Millisecond)
	src := newScriptSource(nil)
	close(src.drained)
	cfg := newTestConfig(t, src)
	cfg.Redact, _ = NewRedactor([]string{`s3cr3t`})
	rec, err := NewRecorder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := rec.Run(ctx); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, r := range readAll(t, cfg.Writer.Dir) {
		if r.Kind == format.KindKeyframe && r.Pid == int32(cmd.Process.Pid) {
			found = true
			if got := strings.Join(r.Argv, " "); got != "/bin/sh -c sleep 30 sh token="+Redacted {
				t.Errorf("keyframe argv %q", got)
			}
		}
	}
	if !found {
		t.Fatal("no keyframe row for the shell")
	}
}

func TestRecorderWritesKeyframeEventsHashesAndHeartbeats(t *testing.T) {
	cmd, path := startCopyOf(t, "sleep")
	id := statIdentity(t, path)
	wantSha := sha256File(t, path)
	child := int32(cmd.Process.Pid)
	self := int32(os.Getpid())
	cfg := newTestConfig(t, nil)
	clock := cfg.Clock
	now := uint64(time.Now().UnixNano() - clock.OffsetNs)

	events := []bpf.Event{
		{Kind: bpf.KindFork, Syscall: "sched_process_fork", BootNs: now, Pid: self, Tid: self, ChildPid: child, ChildTid: child, CloneFlags: 17, StartBootNs: now},
		{Kind: bpf.KindExec, Syscall: "execve", BootNs: now + 1, Pid: child, Tid: child, Ppid: self, Comm: "sleep",
			ExePath: path, ExeDev: id.Dev, ExeIno: id.Ino, ExeCtime: id.Ctime, ExeMtime: id.Mtime, ExeSize: id.Size,
			Filename: path, Argv: []string{path, "--password=hunter2"}, Env: []string{"LD_PRELOAD=/tmp/x.so"}, StartBootNs: now},
		{Kind: bpf.KindOpen, Syscall: "openat", BootNs: now + 2, Pid: child, Tid: child, Path: "/etc/hosts", PathRaw: "hosts", Fd: 3, Ret: 3},
		{Kind: bpf.KindFile, Syscall: "chown", BootNs: now + 3, Pid: child, Tid: child, Path: "/tmp/f", NewUID: 0, NewGID: bpf.Unchanged},
		{Kind: bpf.KindFile, Syscall: "unlink", BootNs: now + 4, Pid: child, Tid: child, Path: "/tmp/g"},
		{}, // undecodable
		{Kind: bpf.KindExit, Syscall: "sched_process_exit", BootNs: now + 5, Pid: child, Tid: child, ExitCode: 0, GroupDead: true},
	}
	src := newScriptSource(events)
	src.errs[5] = &bpf.DecodeError{Offset: 3, Reason: "short record"}
	cfg.Source = src
	redact, err := NewRedactor([]string{`hunter2`})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Redact = redact
	rec, err := NewRecorder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()
	<-src.drained
	time.Sleep(200 * time.Millisecond) // a few heartbeats and the hash
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	rows := readAll(t, cfg.Writer.Dir)
	byKind := map[format.Kind][]format.Event{}
	for _, r := range rows {
		byKind[r.Kind] = append(byKind[r.Kind], r)
	}
	var selfRow *format.Event
	for i, r := range byKind[format.KindKeyframe] {
		if r.Pid == self {
			selfRow = &byKind[format.KindKeyframe][i]
		}
	}
	if selfRow == nil {
		t.Fatalf("no keyframe row for the test process among %d", len(byKind[format.KindKeyframe]))
	}
	// Processes found by the scan get their executables hashed too.
	selfID := identityOfExec(selfRow)
	var selfHashed bool
	for _, h := range byKind[format.KindExeHash] {
		if (ExeIdentity{h.ExeDev, h.ExeIno, h.ExeCtime, h.ExeMtime, h.ExeSize}) == selfID {
			selfHashed = true
			if want := sha256File(t, "/proc/self/exe"); h.Sha256 != want {
				t.Errorf("the test binary's exe_hash %+v, want sha256 %s", h, want)
			}
		}
	}
	if !selfHashed {
		t.Errorf("no exe_hash row for the scanned test process's executable %+v", selfID)
	}
	if len(byKind[format.KindUser]) == 0 || len(byKind[format.KindGroup]) == 0 {
		t.Error("no user or group rows")
	}
	if len(byKind[format.KindHeartbeat]) < 2 {
		t.Errorf("%d heartbeats, want at least 2", len(byKind[format.KindHeartbeat]))
	}
	last := byKind[format.KindHeartbeat][len(byKind[format.KindHeartbeat])-1]
	if last.DropsUser != 1 {
		t.Errorf("last heartbeat drops_user = %d, want the 1 decode error", last.DropsUser)
	}
	execs := byKind[format.KindExec]
	if len(execs) != 1 {
		t.Fatalf("%d exec rows", len(execs))
	}
	ex := execs[0]
	if strings.Join(ex.Argv, " ") != path+" --password="+Redacted || ex.ExeIno != id.Ino || ex.ExeCtime != id.Ctime {
		t.Errorf("exec row %+v", ex)
	}
	if ex.Ts != clock.Epoch(now+1) {
		t.Errorf("exec ts %d, want %d", ex.Ts, clock.Epoch(now+1))
	}
	var hashed bool
	for _, h := range byKind[format.KindExeHash] {
		if h.ExeIno == id.Ino && h.ExeDev == id.Dev {
			hashed = true
			if h.Sha256 != wantSha || h.HashSource != HashFromProcExe {
				t.Errorf("exe_hash row %+v, want %s from proc_exe", h, wantSha)
			}
		}
	}
	if !hashed {
		t.Errorf("no exe_hash row for the exec'd file among %d", len(byKind[format.KindExeHash]))
	}
	opens := byKind[format.KindOpen]
	if len(opens) != 1 || opens[0].ExePath != path || opens[0].Path != "/etc/hosts" {
		t.Errorf("open rows %+v: want the exe path taken from the process table", opens)
	}
	files := byKind[format.KindFile]
	if len(files) != 2 {
		t.Fatalf("%d file rows", len(files))
	}
	if files[0].NewUID != 0 || files[0].Null.Has(format.ColNewUID) {
		t.Errorf("chown to uid 0 lost its uid: %+v", files[0])
	}
	if len(byKind[format.KindFork]) != 1 || len(byKind[format.KindExit]) != 1 {
		t.Errorf("fork/exit rows: %d/%d", len(byKind[format.KindFork]), len(byKind[format.KindExit]))
	}
}

// blockingKernel holds the writer in its first heartbeat until released,
// so the reader's queue fills deterministically.
type blockingKernel struct {
	release chan struct{}
	once    sync.Once
}

func (k *blockingKernel) DropsPerCPU() ([]uint64, error) {
	k.once.Do(func() { <-k.release })
	return []uint64{0, 0}, nil
}
func (k *blockingKernel) RingUsage() (uint64, uint64, error) { return 0, 1 << 20, nil }

// ringSource is a scripted source that reports a fixed ring fill.
type ringSource struct {
	*scriptSource
	used, size uint64
}

func (s *ringSource) RingUsage() (uint64, uint64, error) { return s.used, s.size, nil }

func TestRecorderQueueFullPolicy(t *testing.T) {
	tests := []struct {
		name      string
		src       func(*scriptSource) Source
		wantDrops uint64
	}{
		{"a source without a ring drops what does not fit", func(s *scriptSource) Source { return s }, 50 - 8},
		{"a ring more than half full drops what does not fit", func(s *scriptSource) Source { return &ringSource{s, 600, 1000} }, 50 - 8},
		{"a ring with room waits for the writer", func(s *scriptSource) Source { return &ringSource{s, 100, 1000} }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var events []bpf.Event
			for i := 0; i < 50; i++ {
				events = append(events, bpf.Event{Kind: bpf.KindOpen, Syscall: "openat", BootNs: uint64(i + 1), Pid: 1, Tid: 1, Path: "/x"})
			}
			script := newScriptSource(events)
			cfg := newTestConfig(t, tt.src(script))
			kernel := &blockingKernel{release: make(chan struct{})}
			cfg.Kernel = kernel
			cfg.QueueBatches, cfg.BatchLen = 2, 4
			rec, err := NewRecorder(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- rec.Run(ctx) }()
			if tt.wantDrops > 0 {
				// The writer is held: the reader must get through the
				// whole script without it.
				select {
				case <-script.drained:
				case <-time.After(10 * time.Second):
					t.Fatal("the reader waited for the stalled writer")
				}
			} else {
				time.Sleep(100 * time.Millisecond)
				select {
				case <-script.drained:
					t.Fatal("the reader read past a full queue although the ring had room")
				default:
				}
			}
			close(kernel.release)
			<-script.drained
			time.Sleep(50 * time.Millisecond)
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if got := rec.Counters().UserDrops(); got != tt.wantDrops {
				t.Errorf("user drops = %d, want %d", got, tt.wantDrops)
			}
			var opens uint64
			for _, r := range readAll(t, cfg.Writer.Dir) {
				if r.Kind == format.KindOpen {
					opens++
				}
			}
			if opens != 50-tt.wantDrops {
				t.Errorf("%d open rows written, want %d", opens, 50-tt.wantDrops)
			}
		})
	}
}

func TestRecorderKindsFilterStillFollowsProcesses(t *testing.T) {
	cmd := exec.Command("sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := int32(cmd.Process.Pid)
	src := newScriptSource([]bpf.Event{
		{Kind: bpf.KindExec, Syscall: "execve", BootNs: 1, Pid: pid, Tid: pid, ExePath: "/made/up/path"},
		{Kind: bpf.KindOpen, Syscall: "openat", BootNs: 2, Pid: pid, Tid: pid, Path: "/etc/passwd"},
	})
	cfg := newTestConfig(t, src)
	cfg.Kinds = format.SetOf(format.KindOpen)
	rec, err := NewRecorder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()
	<-src.drained
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var sawOpen bool
	for _, r := range readAll(t, cfg.Writer.Dir) {
		switch r.Kind {
		case format.KindExec:
			t.Error("an exec row was written although only open was asked for")
		case format.KindOpen:
			sawOpen = true
			if r.ExePath != "/made/up/path" {
				t.Errorf("open row exe path %q: the unrecorded exec did not update the table", r.ExePath)
			}
		}
	}
	if !sawOpen {
		t.Error("no open row")
	}
}

func TestRecorderRepeatsHashRowsInEachSegment(t *testing.T) {
	cmd, path := startCopyOf(t, "sleep")
	id := statIdentity(t, path)
	pid := int32(cmd.Process.Pid)
	exec1 := bpf.Event{Kind: bpf.KindExec, Syscall: "execve", BootNs: 10, Pid: pid, Tid: pid, ExePath: path,
		ExeDev: id.Dev, ExeIno: id.Ino, ExeCtime: id.Ctime, ExeMtime: id.Mtime, ExeSize: id.Size}
	exec2 := exec1
	exec2.BootNs = 20
	src := newScriptSource([]bpf.Event{exec1, exec2})
	gate := make(chan struct{})
	src.gates[1] = gate
	cfg := newTestConfig(t, src)
	src.stamp = &cfg.Clock
	// A one-byte segment bound: every batch (at most 100 ms of rows, and
	// heartbeats come every 50 ms) rotates to a new segment.
	cfg.Writer.BatchMaxAge, cfg.Writer.SegmentMaxBytes = 100*time.Millisecond, 1
	rec, err := NewRecorder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := rec.hasher.Lookup(id); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first exec was not hashed within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the result is appended, segments rotate
	close(gate)
	<-src.drained
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	r, err := format.Open(cfg.Writer.Dir)
	if err != nil {
		t.Fatal(err)
	}
	hashIn := map[string]string{} // segment -> hash source of the identity
	var execSegs []string
	err = r.Scan(format.ScanOptions{}, func(b *format.Batch) error {
		for i := 0; i < b.Len(); i++ {
			var ev format.Event
			b.Event(i, &ev)
			switch {
			case ev.Kind == format.KindExec && ev.Pid == pid:
				execSegs = append(execSegs, b.Segment)
			case ev.Kind == format.KindExeHash && ev.ExeIno == id.Ino && ev.Sha256 != "":
				hashIn[b.Segment] = ev.HashSource
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(execSegs) != 2 || execSegs[0] == execSegs[1] {
		t.Fatalf("exec rows in segments %v, want two different segments", execSegs)
	}
	// The first hash is computed once, after the first exec or the first
	// keyframe (sleep was already running), and lands in whichever segment
	// is open when it completes; every later segment that needs it
	// repeats it from the cache.
	if hashIn[execSegs[1]] != HashFromCache {
		t.Errorf("second exec's segment has hash source %q, want the cached row repeated", hashIn[execSegs[1]])
	}
	var fresh int
	for _, src := range hashIn {
		if src == HashFromProcExe {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d segments with a freshly computed hash, want 1 (then the cache): %v", fresh, hashIn)
	}
}
