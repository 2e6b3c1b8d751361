package capture

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/rewind-sh/rewind/bpf"
	"github.com/rewind-sh/rewind/format"
)

// requireRecorder skips unless the test can load and attach the
// recorder's eBPF programs: root, and a kernel with what bpf.Load probes
// for. A kernel that refuses the default syscall dispatch gets the other.
func requireRecorder(t *testing.T) *bpf.Tracer {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: loading eBPF programs needs root")
	}
	var last error
	for _, d := range []bpf.Dispatch{bpf.DispatchDefault, bpf.DispatchRaw, bpf.DispatchPerSyscall} {
		tr, err := bpf.Load(bpf.Options{Dispatch: d})
		if err == nil {
			err = tr.Attach()
			if err == nil {
				t.Cleanup(func() { tr.Close() })
				return tr
			}
			tr.Close()
		}
		if !errors.Is(err, bpf.ErrNotSupported) {
			t.Fatal(err)
		}
		last = err
	}
	t.Skipf("skipped: %v", last)
	return nil
}

// tinyExitELF is a complete static x86-64 program that calls exit(0): it
// lives for microseconds, far less than the recorder takes to see its
// exec event.
func tinyExitELF() []byte {
	const base, hdrs = 0x400000, 64 + 56
	code := []byte{0xb8, 0x3c, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05} // mov eax,60; xor edi,edi; syscall
	b := make([]byte, hdrs, hdrs+len(code))
	le := binary.LittleEndian
	copy(b, "\x7fELF\x02\x01\x01")
	le.PutUint16(b[16:], 2)    // ET_EXEC
	le.PutUint16(b[18:], 0x3e) // EM_X86_64
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], base+hdrs) // entry
	le.PutUint64(b[32:], 64)        // program headers follow the ELF header
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[56:], 1)
	ph := b[64:]
	le.PutUint32(ph[0:], 1) // PT_LOAD
	le.PutUint32(ph[4:], 5) // R+X
	le.PutUint64(ph[16:], base)
	le.PutUint64(ph[24:], base)
	le.PutUint64(ph[32:], uint64(hdrs+len(code)))
	le.PutUint64(ph[40:], uint64(hdrs+len(code)))
	le.PutUint64(ph[48:], 0x1000)
	return append(b, code...)
}

func TestRecordingAWorkloadEndToEnd(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("skipped: the short-lived test program is x86-64 machine code")
	}
	tr := requireRecorder(t)
	rd, err := tr.Reader()
	if err != nil {
		t.Fatal(err)
	}
	src := NewBPF(tr, rd)
	cfg := newTestConfig(t, src)
	cfg.Kernel = src
	cfg.Clock, err = bpf.MeasureBootClock()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewRecorder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()

	// The workload: a shell in its own process group runs the tiny
	// program (lives < 1 ms) and a private copy of sleep.
	dir := t.TempDir()
	tiny := filepath.Join(dir, "tiny")
	if err := os.WriteFile(tiny, tinyExitELF(), 0o755); err != nil {
		t.Fatal(err)
	}
	_, sleepCopy := startCopyOf(t, "sleep")
	// Identities as stat(2) gives them, taken before anything runs: the
	// files are not touched afterwards. (Reading them first also makes
	// kernels with multigrain timestamps flag the ctime as queried, which
	// the kernel side must not let into its ctime.)
	wantID := map[string]ExeIdentity{tiny: statIdentity(t, tiny), sleepCopy: statIdentity(t, sleepCopy)}
	workload := exec.Command("/bin/sh", "-c", tiny+"; "+tiny+"; "+sleepCopy+" 0.2; exit 7")
	workload.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	time.Sleep(300 * time.Millisecond) // let the first keyframe and heartbeat go out
	err = workload.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("workload: %v", err)
	}
	shPid := int32(workload.Process.Pid)
	time.Sleep(1500 * time.Millisecond) // hashes, and a heartbeat after them
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	rows := readAll(t, cfg.Writer.Dir)
	var (
		shExec             *format.Event
		tinyExecs, sleeps  []format.Event
		forks              = map[int32]int32{} // child -> parent
		hashes             = map[ExeIdentity]format.Event{}
		heartbeats, exitSh int
	)
	for i := range rows {
		r := &rows[i]
		switch r.Kind {
		case format.KindExec:
			switch {
			case r.Pid == shPid:
				shExec = r
			case r.ExePath == tiny:
				tinyExecs = append(tinyExecs, *r)
			case r.ExePath == sleepCopy && r.Ppid == shPid:
				sleeps = append(sleeps, *r)
			}
		case format.KindFork:
			forks[r.ChildPid] = r.Pid
		case format.KindExeHash:
			hashes[ExeIdentity{r.ExeDev, r.ExeIno, r.ExeCtime, r.ExeMtime, r.ExeSize}] = *r
		case format.KindHeartbeat:
			heartbeats++
		case format.KindExit:
			if r.Pid == shPid && r.ExitCode == 7 {
				exitSh++
			}
		}
	}
	if shExec == nil {
		t.Fatalf("no exec row for the workload shell %d among %d rows", shPid, len(rows))
	}
	// The fork that made the shell happened in the test, the recorder's
	// own process, whose events are filtered out.
	if shExec.Ppid != int32(os.Getpid()) {
		t.Errorf("shell ppid %d, want the test %d", shExec.Ppid, os.Getpid())
	}
	if _, ok := forks[shPid]; ok {
		t.Error("a fork by the recorder's own process was recorded")
	}
	if shExec.Pgid != shPid {
		t.Errorf("shell pgid %d, want its own group %d", shExec.Pgid, shPid)
	}
	if exitSh != 1 {
		t.Errorf("%d exit rows with code 7 for the shell", exitSh)
	}
	if len(tinyExecs) != 2 || len(sleeps) != 1 {
		t.Fatalf("%d execs of the tiny program and %d of sleep, want 2 and 1", len(tinyExecs), len(sleeps))
	}
	for _, c := range []struct {
		name string
		path string
		ev   format.Event
	}{{"tiny", tiny, tinyExecs[0]}, {"tiny again", tiny, tinyExecs[1]}, {"sleep", sleepCopy, sleeps[0]}} {
		if c.ev.Ppid != shPid || forks[c.ev.Pid] != shPid {
			t.Errorf("%s: ppid %d, fork parent %d; want the shell %d", c.name, c.ev.Ppid, forks[c.ev.Pid], shPid)
		}
		id := wantID[c.path]
		if now := statIdentity(t, c.path); now != id {
			t.Fatalf("%s changed during the test: %+v, then %+v", c.path, id, now)
		}
		got := identityOfExec(&c.ev)
		if got != id {
			t.Errorf("%s: kernel identity %+v, stat(2) says %+v (ctime off by %d ns; 2147483648 is I_CTIME_QUERIED left in i_ctime_nsec)", c.name, got, id, got.Ctime-id.Ctime)
		}
		// Replay joins an exec to the hash row of the identity the exec
		// row carries.
		h, ok := hashes[got]
		if !ok {
			t.Errorf("%s: no exe_hash row for %+v", c.name, got)
			continue
		}
		if want := sha256File(t, c.path); h.Sha256 != want {
			t.Errorf("%s: sha256 %q (source %s, error %q), want %s", c.name, h.Sha256, h.HashSource, h.HashError, want)
		}
	}
	if heartbeats < 2 {
		t.Errorf("%d heartbeat rows, want at least 2", heartbeats)
	}
}

func TestBPFAdapterAfterClose(t *testing.T) {
	tr := requireRecorder(t)
	rd, err := tr.Reader()
	if err != nil {
		t.Fatal(err)
	}
	b := NewBPF(tr, rd)
	if _, size, err := b.RingUsage(); err != nil || size == 0 {
		t.Fatalf("RingUsage on an open ring = size %d, %v", size, err)
	}
	if d, err := b.DropsPerCPU(); err != nil || len(d) == 0 {
		t.Fatalf("DropsPerCPU = %v, %v", d, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	if b.Pending() {
		t.Error("a closed ring reports pending events")
	}
	if _, _, err := b.RingUsage(); err == nil {
		t.Error("a closed ring reports its fill (the heartbeat would record made-up zeros)")
	}
	var ev bpf.Event
	if err := b.Read(&ev); !errors.Is(err, bpf.ErrClosed) {
		t.Errorf("Read after Close = %v, want bpf.ErrClosed", err)
	}
}
