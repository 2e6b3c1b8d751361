package capture

import (
	"context"
	"crypto/sha256"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rewind-sh/rewind/bpf"
	"github.com/rewind-sh/rewind/format"
	"golang.org/x/sys/unix"
)

// benchEvents are typical kernel events: mostly opens, some net and
// exec, as on a busy host.
func benchEvents() []bpf.Event {
	common := bpf.Event{BootNs: 1_000_000, CPU: 1, Seq: 7, Pid: 4242, Tid: 4242, Ppid: 1, Vpid: 4242, Vtid: 4242,
		UID: 1000, GID: 1000, EUID: 1000, EGID: 1000, LoginUID: 1000, Comm: "python3", ExeDev: 65024, ExeIno: 1234,
		MntNs: 4026531841, PidNs: 4026531836, NetNs: 4026531840, UtsNs: 4026531838, IpcNs: 4026531839,
		UserNs: 4026531837, CgroupNs: 4026531835, CgroupID: 1}
	open := common
	open.Kind, open.Syscall, open.Path, open.PathRaw, open.Flags, open.Fd, open.Dev, open.Ino, open.Ret =
		bpf.KindOpen, "openat", "/usr/lib/python3/dist-packages/yaml/__init__.py", "yaml/__init__.py", 0x80000, 3, 65024, 99, 3
	net := common
	net.Kind, net.Syscall, net.Family, net.SockType, net.Proto = bpf.KindNet, "connect", 2, 1, 6
	net.Saddr, net.Daddr, net.Sport, net.Dport = netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("93.184.216.34"), 40000, 443
	exe := common
	exe.Kind, exe.Syscall, exe.Filename, exe.ExePath = bpf.KindExec, "execve", "/usr/bin/curl", "/usr/bin/curl"
	exe.Argv, exe.Env, exe.Cwd = []string{"curl", "-s", "https://example.com"}, []string{"LD_PRELOAD="}, "/home/u"
	return []bpf.Event{open, open, open, open, open, open, net, exe}
}

func reportRate(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkConvert measures the reader goroutine's per-event work:
// kernel event to row.
func BenchmarkConvert(b *testing.B) {
	evs := benchEvents()
	var dst format.Event
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Convert(&dst, &evs[i%len(evs)], bpf.BootClock{OffsetNs: 1})
	}
	reportRate(b, b.N)
}

// BenchmarkConvertBaseline is the floor: a plain copy of the kernel event.
func BenchmarkConvertBaseline(b *testing.B) {
	evs := benchEvents()
	var dst bpf.Event
	for i := 0; b.Loop(); i++ {
		dst = evs[i%len(evs)]
	}
	_ = dst
	reportRate(b, b.N)
}

// BenchmarkConvertEnrich adds the writer goroutine's enrichment (process
// table, cgroup cache, redaction) to the conversion.
func BenchmarkConvertEnrich(b *testing.B) {
	evs := benchEvents()
	red, err := NewRedactor([]string{`password=\S+`})
	if err != nil {
		b.Fatal(err)
	}
	r := &Recorder{table: NewProcessTable(), cgroups: NewCgroupResolver(""), cfg: Config{Redact: red}}
	r.table.Load([]format.Event{{Pid: 4242, ExePath: "/usr/bin/python3", CgroupID: 1}})
	var p pending
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Convert(&p.ev, &evs[i%len(evs)], bpf.BootClock{OffsetNs: 1})
		p.record = true
		r.enrich(&p)
	}
	reportRate(b, b.N)
}

// loopSource yields n copies of a few events as fast as it is read.
type loopSource struct {
	evs  []bpf.Event
	n    int64
	read atomic.Int64
	done chan struct{}
}

func (s *loopSource) Read(ev *bpf.Event) error {
	i := s.read.Add(1) - 1
	if i >= s.n {
		<-s.done
		return bpf.ErrClosed
	}
	*ev = s.evs[i%int64(len(s.evs))]
	ev.BootNs += uint64(i)
	return nil
}
func (s *loopSource) Pending() bool { return s.read.Load() < s.n }
func (s *loopSource) Close() error {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	return nil
}

func dirBytes(b *testing.B, dir string) int64 {
	var total int64
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if info, err := e.Info(); err == nil {
			total += info.Size()
		}
	}
	return total
}

// BenchmarkPipeline runs the whole recorder (reader goroutine, queue,
// enrichment, writer with zstd) on a source that never runs dry. events/s
// counts the rows written; drops/event what the never-waiting reader
// discarded meanwhile.
func BenchmarkPipeline(b *testing.B) {
	evs := benchEvents()[:7] // no exec: keep the hasher out of the measurement
	runPipeline(b, &loopSource{evs: evs, n: int64(b.N), done: make(chan struct{})})
}

// BenchmarkPipelineSustained is BenchmarkPipeline with a source that
// reports a roomy kernel ring, so the reader waits for a free batch as
// the recorder does while the ring is under half full: events/s is the
// rate the pipeline sustains without dropping (on one core, where a
// never-waiting reader takes the writer's time).
func BenchmarkPipelineSustained(b *testing.B) {
	evs := benchEvents()[:7]
	runPipeline(b, roomySource{&loopSource{evs: evs, n: int64(b.N), done: make(chan struct{})}})
}

// roomySource is a loopSource whose ring never fills.
type roomySource struct{ *loopSource }

func (roomySource) RingUsage() (used, size uint64, err error) { return 0, 16 << 20, nil }

// pipelineSource is what runPipeline needs of a source: the recorder's
// Source and the count of events read.
type pipelineSource interface {
	Source
	readCount() int64
	total() int64
}

func (s *loopSource) readCount() int64 { return s.read.Load() }
func (s *loopSource) total() int64     { return s.n }

func runPipeline(b *testing.B, src pipelineSource) {
	p, err := NewProcFS("/proc", nil)
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(b.TempDir(), "rec")
	rec, err := NewRecorder(Config{Writer: format.WriterOptions{Dir: dir}, Source: src, ProcFS: p})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()
	for src.readCount() < src.total() {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	// The source is faster than any writer, so the rate that counts is
	// that of the events written; the rest were dropped, never waited for.
	drops := rec.Counters().UserDrops()
	written := uint64(b.N) - drops
	reportRate(b, int(written))
	b.ReportMetric(float64(drops)/float64(b.N), "drops/event")
	if written > 0 {
		b.ReportMetric(float64(dirBytes(b, dir))/float64(written), "bytes/event")
	}
}

// BenchmarkPipelineBaseline is the writer alone, fed converted rows from
// one goroutine: what the pipeline costs on top of it.
func BenchmarkPipelineBaseline(b *testing.B) {
	evs := benchEvents()[:7]
	rows := make([]format.Event, len(evs))
	for i := range evs {
		Convert(&rows[i], &evs[i], bpf.BootClock{})
	}
	dir := filepath.Join(b.TempDir(), "rec")
	w, err := format.Create(format.WriterOptions{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := rows[i%len(rows)]
		ev.Ts = int64(1_000_000 + i)
		if err := w.Append(&ev); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportRate(b, b.N)
	b.ReportMetric(float64(dirBytes(b, dir))/float64(b.N), "bytes/event")
}

// benchFile writes a 4 MiB file, about the size of a typical binary.
func benchFile(b *testing.B) (string, ExeIdentity) {
	path := filepath.Join(b.TempDir(), "exe")
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(path, data, 0o755); err != nil {
		b.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		b.Fatal(err)
	}
	return path, identityOf(&st)
}

// BenchmarkHashFile is the hasher's work per file: identity checks
// before and after, and the sha256.
func BenchmarkHashFile(b *testing.B) {
	path, id := benchFile(b)
	h := &Hasher{opts: HasherOptions{MaxSize: DefaultHashMaxSize}}
	buf := make([]byte, 128<<10)
	b.SetBytes(id.Size)
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if r, _ := h.hashFile(f, id, HashFromPath, true, buf); r.Sha256 == "" {
			b.Fatalf("not hashed: %+v", r)
		}
		f.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkHashFileBaseline is a bare sha256 of the same file.
func BenchmarkHashFileBaseline(b *testing.B) {
	path, id := benchFile(b)
	buf := make([]byte, 128<<10)
	b.SetBytes(id.Size)
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		sum := sha256.New()
		if _, err := io.CopyBuffer(sum, f, buf); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
