package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rewind-sh/rewind/bpf"
	"github.com/rewind-sh/rewind/format"
)

// Source yields decoded kernel events (BPF adapts the bpf reader).
// Read blocks until an event is decoded into ev. It returns bpf.ErrClosed
// (or an error wrapping it) once Close was called, and a *bpf.DecodeError
// for a ring record it could not decode (the recorder counts it as a
// user-space drop and goes on).
// Pending reports whether Read would return without waiting; the reader
// uses it to hand over a partial batch when the ring runs dry. Close
// unblocks Read and may be called more than once, from any goroutine. A
// source that also has RingUsage (as BPF does) lets the reader wait for
// the writer while the kernel ring has room.
type Source interface {
	Read(ev *bpf.Event) error
	Pending() bool
	Close() error
}

// Config wires a Recorder.
type Config struct {
	// Writer configures the recording; its Keyframe callback is set by
	// the Recorder.
	Writer format.WriterOptions
	Source Source
	// Kernel gives the heartbeat its kernel counters; nil records them
	// as null.
	Kernel KernelCounters
	Clock  bpf.BootClock
	ProcFS *ProcFS
	Hasher HasherOptions
	Redact *Redactor
	// Kinds are the kernel event kinds written (0: all). Exec, fork and
	// exit events always update the process table, written or not.
	Kinds    format.KindSet
	Accounts AccountFiles
	// QueueBatches and BatchLen bound the events between the ring reader
	// and the writer (defaults 16 x 256, about 4 MiB when full). When the
	// queue is full the reader waits only while the kernel ring is under
	// half full; past that it drops events and counts them.
	QueueBatches int
	BatchLen     int
	// HeartbeatEvery defaults to 1 s.
	HeartbeatEvery time.Duration
	// Warn receives problems that do not stop the recording.
	Warn io.Writer
}

// pending is one converted event on its way to the writer.
type pending struct {
	ev        format.Event
	groupDead bool // exit of the thread group's last task
	record    bool // written to the recording (else only applied to the table)
}

// Recorder runs the pipeline: a reader goroutine drains the source into
// batches, the goroutine that called Run owns the writer, the process
// table and the enrichment. Create it with NewRecorder; Run it once.
type Recorder struct {
	cfg      Config
	w        *format.Writer
	table    *ProcessTable
	cgroups  *CgroupResolver
	hasher   *Hasher
	counters Counters
	self     SelfUsage

	free    chan []pending
	full    chan []pending
	emitted map[ExeIdentity]bool // exe_hash rows in the current segment
	loaded  bool                 // the table was loaded from the first scan
	results []HashResult
	warned  map[string]bool

	stopping  atomic.Bool // set by Run on cancel: the reader drains the ring and ends
	waitTimer *time.Timer // the reader's, for waiting on a full queue
}

// NewRecorder scans /proc, creates the recording (whose first segment
// starts with a keyframe of the scanned table) and starts the hashers.
func NewRecorder(cfg Config) (*Recorder, error) {
	if cfg.Source == nil || cfg.ProcFS == nil {
		return nil, errors.New("new recorder: a source and a procfs are required")
	}
	if cfg.QueueBatches <= 0 {
		cfg.QueueBatches = 16
	}
	if cfg.BatchLen <= 0 {
		cfg.BatchLen = 256
	}
	if cfg.HeartbeatEvery <= 0 {
		cfg.HeartbeatEvery = time.Second
	}
	if cfg.Warn == nil {
		cfg.Warn = io.Discard
	}
	if cfg.Hasher.ProcRoot == "" {
		cfg.Hasher.ProcRoot = cfg.ProcFS.Root
	}
	if cfg.Hasher.QueueLen == 0 {
		cfg.Hasher.QueueLen = 1024 // the first keyframe submits every live executable
	}
	r := &Recorder{
		cfg:     cfg,
		table:   NewProcessTable(),
		cgroups: NewCgroupResolver(cfg.ProcFS.CgroupRoot),
		hasher:  NewHasher(cfg.Hasher),
		free:    make(chan []pending, cfg.QueueBatches),
		full:    make(chan []pending, cfg.QueueBatches),
		emitted: map[ExeIdentity]bool{},
		warned:  map[string]bool{},
	}
	for i := 0; i < cfg.QueueBatches; i++ {
		r.free <- make([]pending, 0, cfg.BatchLen)
	}
	wopts := cfg.Writer
	wopts.Keyframe = r.keyframe
	w, err := format.Create(wopts)
	if err != nil {
		r.hasher.Close()
		r.cgroups.Close()
		return nil, err
	}
	r.w = w
	return r, nil
}

// Writer exposes the writer, for SetFrozen (safe from any goroutine).
func (r *Recorder) Writer() *format.Writer { return r.w }

// Counters are the pipeline's running counters.
func (r *Recorder) Counters() *Counters { return &r.counters }

// HasherStats are the hasher's running totals.
func (r *Recorder) HasherStats() HasherStats { return r.hasher.Stats() }

func (r *Recorder) warnf(key, f string, args ...any) {
	if r.warned[key] {
		return
	}
	r.warned[key] = true
	fmt.Fprintf(r.cfg.Warn, "rewind-record: "+f+"\n", args...)
}

// Run records until ctx is done or the source fails. On cancel it reads
// what the ring still holds (for at most 2 s), writes what is queued,
// waits for pending hashes, writes a last heartbeat and closes the
// recording. It returns the first write or read error, if any.
func (r *Recorder) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	readErr := make(chan error, 1)
	readerDone := make(chan struct{})
	go func() {
		defer wg.Done()
		defer close(readerDone)
		readErr <- r.readLoop()
	}()
	go func() {
		select {
		case <-ctx.Done():
			r.stop(readerDone, 2*time.Second)
		case <-readerDone:
		}
	}()
	err := r.writeLoop()
	if err != nil {
		// Keep draining so the reader never blocks; nothing more is written.
		r.cfg.Source.Close()
		for b := range r.full {
			r.free <- b[:0]
		}
	}
	wg.Wait()
	rerr := <-readErr
	r.hasher.Close()
	if err == nil {
		err = r.appendHashResults()
	}
	if err == nil {
		err = r.heartbeat()
	}
	r.cgroups.Close()
	if cerr := r.w.Close(); err == nil {
		err = cerr
	}
	if err == nil && rerr != nil && !errors.Is(rerr, bpf.ErrClosed) {
		err = rerr
	}
	return err
}

// readLoop is the only reader of the source. It must never wait for the
// writer: when no free batch is available it counts drops.
func (r *Recorder) readLoop() error {
	defer close(r.full)
	var (
		ev    bpf.Event
		batch []pending
	)
	send := func() {
		if len(batch) > 0 {
			r.full <- batch // never blocks: there are only QueueBatches batches
			batch = nil
		}
	}
	for {
		if r.stopping.Load() && !r.cfg.Source.Pending() {
			send()
			return bpf.ErrClosed
		}
		err := r.cfg.Source.Read(&ev)
		if err != nil {
			var de *bpf.DecodeError
			if errors.As(err, &de) {
				r.counters.AddDecodeError()
				continue
			}
			send()
			return err
		}
		if batch == nil {
			if batch = r.freeBatch(); batch == nil {
				r.counters.AddUserDrop(1)
				continue
			}
		}
		batch = batch[:len(batch)+1]
		p := &batch[len(batch)-1]
		if !Convert(&p.ev, &ev, r.cfg.Clock) {
			batch = batch[:len(batch)-1]
			r.counters.AddDecodeError()
			continue
		}
		p.groupDead = ev.GroupDead
		p.record = r.cfg.Kinds == 0 || r.cfg.Kinds.Has(p.ev.Kind)
		if p.ev.Kind == format.KindExec && p.ev.Ret >= 0 && p.ev.ExeIno != 0 {
			// Pin the executable now, while the process most likely lives.
			r.hasher.Submit(p.ev.Pid, p.ev.ExePath, identityOfExec(&p.ev))
			if p.ev.ScriptIno != 0 {
				// /proc/PID/exe is the interpreter: the script is pinned
				// through its path or the interpreter's descriptor.
				r.hasher.SubmitScript(p.ev.Pid, p.ev.ScriptPath, identityOfScript(&p.ev))
			}
		}
		if len(batch) == cap(batch) || !r.cfg.Source.Pending() {
			send()
		}
	}
}

// ringFiller is a source that can tell how full its kernel buffer is.
type ringFiller interface {
	RingUsage() (used, size uint64, err error)
}

// freeBatch returns an empty batch for the next event, or nil when the
// event is to be dropped. While the queue is full, the reader waits for
// the writer only as long as the kernel ring stays under half full: the
// ring is the cheaper buffer (compact records, nothing decoded yet), and
// no task waits in the kernel for it. Past half full, events are dropped
// here and counted, so that the ring keeps room and a slow disk never
// makes the kernel drop.
func (r *Recorder) freeBatch() []pending {
	select {
	case b := <-r.free:
		return b
	default:
	}
	rf, ok := r.cfg.Source.(ringFiller)
	if !ok {
		return nil
	}
	for {
		used, size, err := rf.RingUsage()
		if err != nil || size == 0 || used >= size/2 {
			return nil
		}
		if r.waitTimer == nil {
			r.waitTimer = time.NewTimer(time.Millisecond)
		} else {
			r.waitTimer.Reset(time.Millisecond)
		}
		select {
		case b := <-r.free:
			return b
		case <-r.waitTimer.C:
		}
	}
}

// stop ends the reader: it reads on while the ring holds events (at most
// drainFor), so that what happened before the stop is recorded, then the
// source is closed, which also unblocks a reader waiting on an empty ring.
func (r *Recorder) stop(readerDone <-chan struct{}, drainFor time.Duration) {
	r.stopping.Store(true)
	deadline := time.Now().Add(drainFor)
	for time.Now().Before(deadline) && r.cfg.Source.Pending() {
		select {
		case <-readerDone:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	r.cfg.Source.Close()
}

func (r *Recorder) writeLoop() error {
	tick := time.NewTicker(r.cfg.HeartbeatEvery)
	defer tick.Stop()
	if err := r.heartbeat(); err != nil {
		return err
	}
	for {
		select {
		case b, ok := <-r.full:
			if !ok {
				return nil
			}
			err := r.writeBatch(b)
			r.free <- b[:0]
			if err != nil {
				return err
			}
		case <-r.hasher.Ready():
			if err := r.appendHashResults(); err != nil {
				return err
			}
		case <-tick.C:
			if err := r.heartbeat(); err != nil {
				return err
			}
		}
	}
}

func (r *Recorder) writeBatch(b []pending) error {
	for i := range b {
		if err := r.writeOne(&b[i]); err != nil {
			return err
		}
	}
	return nil
}

// writeOne enriches one event, applies it to the table and appends it.
func (r *Recorder) writeOne(p *pending) error {
	if !r.enrich(p) {
		return nil
	}
	ev := &p.ev
	if err := r.w.Append(ev); err != nil {
		return err
	}
	r.counters.AddKind(ev.Kind)
	if ev.Kind == format.KindExec && ev.Ret >= 0 && ev.ExeIno != 0 {
		// The identity was hashed in an earlier segment: repeat its row
		// once per segment so each segment stands alone.
		id := identityOfExec(ev)
		if !r.emitted[id] {
			if res, ok := r.hasher.Lookup(id); ok {
				res.Ts = ev.Ts
				return r.emitHash(r.w.Append, cached(res))
			}
		}
	}
	return nil
}

// enrich completes an event from the process table and the cgroup
// resolver (exe path, container, cgroup path), redacts it, and applies
// fork, exec and exit to the table. It reports whether the event is to be
// written.
func (r *Recorder) enrich(p *pending) bool {
	ev := &p.ev
	proc := r.table.Lookup(ev.Pid)
	path, c, ok := r.cgroups.Lookup(ev.CgroupID)
	if !ok || c.ID == "" {
		// Hybrid hosts keep containers in v1 hierarchies only; what the
		// /proc scan found is inherited through fork.
		if proc != nil && proc.CgroupID == ev.CgroupID {
			c = Container{ID: proc.ContainerID, Runtime: proc.ContainerRuntime}
		}
	}
	ev.ContainerID = c.ID
	if ev.Kind != format.KindExec && proc != nil {
		// Only exec events carry the path; the others take the process's.
		ev.ExePath = proc.ExePath
	}
	switch ev.Kind {
	case format.KindExec:
		ev.CgroupPath, ev.ContainerRuntime = path, c.Runtime
		r.cfg.Redact.Argv(ev.Argv)
		r.cfg.Redact.Env(ev.Env)
		r.table.Exec(ev)
	case format.KindFork:
		r.table.Fork(ev)
	case format.KindExit:
		r.table.Exit(ev.Pid, p.groupDead)
	}
	return p.record
}

func (r *Recorder) appendHashResults() error {
	r.results = r.hasher.Take(r.results[:0])
	for i := range r.results {
		if err := r.emitHash(r.w.Append, &r.results[i]); err != nil {
			return err
		}
	}
	return nil
}

func (r *Recorder) heartbeat() error {
	ev := Heartbeat(r.cfg.ProcFS.Now().UnixNano(), r.cfg.Kernel, &r.counters, &r.self)
	return r.w.Append(&ev)
}
