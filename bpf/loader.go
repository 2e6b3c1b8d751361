package bpf

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/link"
)

// Dispatch says how syscall events reach the programs.
type Dispatch int

const (
	// DispatchDefault uses per-syscall tracepoints, which add nothing
	// measurable to an unrecorded syscall where raw dispatch adds
	// 120-200 ns (see dispatch_test.go), and falls back to raw dispatch
	// on kernels that refuse BPF programs on perf events.
	DispatchDefault Dispatch = iota
	// DispatchRaw runs one program on every syscall exit (tp_btf
	// sys_exit) and filters with the interest table.
	DispatchRaw
	// DispatchPerSyscall attaches to syscalls/sys_exit_<name> of the
	// recorded calls only.
	DispatchPerSyscall
)

func (d Dispatch) String() string {
	switch d {
	case DispatchRaw:
		return "raw"
	case DispatchPerSyscall:
		return "per-syscall"
	}
	return "default"
}

// DefaultEnv are the environment variables recorded at exec when
// Options.Env is nil.
var DefaultEnv = []string{"LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "SSH_CONNECTION", "SUDO_USER", "container"}

// DefaultRingBytes is the ring buffer size when Options.RingBytes is 0.
const DefaultRingBytes = 16 << 20

// Options configure Load. The zero value records everything but the
// calling process, with a 16 MiB ring buffer.
type Options struct {
	// RingBytes is the ring buffer size: a power of two, at least one
	// page.
	RingBytes uint32
	// RecordSelf also records the calling process (filtered by default).
	RecordSelf bool
	// Env selects environment variables recorded at exec: "NAME" for one
	// variable, "PREFIX*" for every variable starting with PREFIX; at
	// most 8 entries of at most 31 bytes. nil means DefaultEnv; an empty
	// non-nil slice records none.
	Env []string
	// Dispatch picks how syscalls are hooked.
	Dispatch Dispatch
	// WakeupBytes is how much data waits in the ring before the kernel
	// wakes the reader; the Reader also polls every 20 ms. 0 picks
	// RingBytes/16, at most 256 KiB; -1 wakes it for every event it
	// waits for (costlier for the traced processes, lowest latency).
	WakeupBytes int
	// NoKfuncs makes the programs read kernel structures through helper
	// calls even where the kernel offers the bpf_rdonly_cast kfunc for
	// plain loads (Linux 6.2 and later; about 100 ns less per recorded
	// open here): what older kernels run, for tests of that path.
	NoKfuncs bool
}

// Tracer owns the loaded programs and maps and, after Attach, the links.
// Its methods are not safe for concurrent use, except ReadDrops.
type Tracer struct {
	objs     tracerObjects
	links    []link.Link
	dispatch Dispatch
	skipped  []string
	reader   *Reader
	noScript error // why #! scripts' files cannot be identified, or nil
}

// Load checks that the kernel can run the programs, then loads them. It
// does not attach them: call Attach.
func Load(opts Options) (*Tracer, error) {
	if runtime.GOARCH != "amd64" {
		// The syscall numbers and pt_regs fields are x86_64's.
		return nil, missing("rewind's eBPF programs on "+runtime.GOARCH+" (built for x86_64 only)", nil)
	}
	if os.Geteuid() != 0 {
		return nil, ErrNotRoot
	}
	if err := probeFeatures(); err != nil {
		return nil, err
	}
	spec, err := loadRewind()
	if err != nil {
		return nil, fmt.Errorf("bpf: read embedded object: %w", err)
	}
	if err := configure(spec, opts); err != nil {
		return nil, err
	}
	t := &Tracer{dispatch: opts.Dispatch}
	if fput, err := fputAddress(); err != nil {
		t.noScript = err
	} else if err := spec.Variables[rewindVarFputFn].Set(fput); err != nil {
		return nil, fmt.Errorf("bpf: set fput_fn: %w", err)
	}
	if t.dispatch == DispatchDefault {
		t.dispatch = DispatchRaw
		if perSyscallUsable() {
			t.dispatch = DispatchPerSyscall
		}
	}
	// Only the syscall program of the chosen dispatch is loaded.
	exit := rewindProgRawSysExit
	if t.dispatch == DispatchPerSyscall {
		exit = rewindProgTpSysExit
	}
	spec.Programs["sys_exit"] = spec.Programs[exit]
	if err := spec.LoadAndAssign(&t.objs, nil); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("bpf: the kernel verifier refused a program: %w", err)
		}
		return nil, fmt.Errorf("bpf: load programs: %w", err)
	}
	return t, nil
}

// tracerObjects are the kernel objects of one Tracer: the maps, the
// scheduler programs and the syscall exit program of its dispatch.
type tracerObjects struct {
	rewindMaps
	OnExec  *ebpf.Program `ebpf:"on_exec"`
	OnFork  *ebpf.Program `ebpf:"on_fork"`
	OnExit  *ebpf.Program `ebpf:"on_exit"`
	SysExit *ebpf.Program `ebpf:"sys_exit"`
}

func (o *tracerObjects) Close() error {
	errs := []error{o.rewindMaps.Close()}
	for _, p := range []*ebpf.Program{o.OnExec, o.OnFork, o.OnExit, o.SysExit} {
		if p != nil {
			errs = append(errs, p.Close())
		}
	}
	return errors.Join(errs...)
}

// probeFeatures names the first missing kernel feature.
func probeFeatures() error {
	if _, err := btf.LoadKernelSpec(); err != nil {
		return missing("kernel BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF)", err)
	}
	if err := features.HaveMapType(ebpf.RingBuf); err != nil {
		return missing("BPF ring buffer maps (Linux 5.8)", err)
	}
	if err := features.HaveMapType(ebpf.PerCPUArray); err != nil {
		return missing("per-CPU array maps", err)
	}
	for _, h := range []struct {
		fn   asm.BuiltinFunc
		what string
	}{
		{asm.FnKtimeGetBootNs, "helper bpf_ktime_get_boot_ns (Linux 5.8)"},
		{asm.FnRingbufOutput, "helper bpf_ringbuf_output (Linux 5.8)"},
		{asm.FnLoop, "helper bpf_loop (Linux 5.17)"},
		{asm.FnGetCurrentTaskBtf, "helper bpf_get_current_task_btf (Linux 5.11)"},
		{asm.FnRingbufQuery, "helper bpf_ringbuf_query (Linux 5.8)"},
		{asm.FnTaskPtRegs, "helper bpf_task_pt_regs (Linux 5.15)"},
		{asm.FnFindVma, "helper bpf_find_vma (Linux 5.17)"},
		{asm.FnProbeReadUserStr, "helper bpf_probe_read_user_str (Linux 5.5)"},
	} {
		if err := features.HaveProgramHelper(ebpf.TracePoint, h.fn); err != nil {
			return missing(h.what, err)
		}
	}
	return nil
}

// configure applies opts to the spec before load.
func configure(spec *ebpf.CollectionSpec, opts Options) error {
	ring := opts.RingBytes
	if ring == 0 {
		ring = DefaultRingBytes
	}
	page := uint32(os.Getpagesize())
	if ring < page || ring&(ring-1) != 0 {
		return fmt.Errorf("bpf: ring buffer size %d: must be a power of two of at least %d bytes", ring, page)
	}
	spec.Maps[rewindMapEvents].MaxEntries = ring

	wakeup := uint64(min(ring/16, 256<<10))
	switch {
	case opts.WakeupBytes < 0:
		wakeup = 0
	case opts.WakeupBytes > 0:
		wakeup = uint64(opts.WakeupBytes)
	}
	if err := spec.Variables[rewindVarWakeupBytes].Set(wakeup); err != nil {
		return fmt.Errorf("bpf: set wakeup_bytes: %w", err)
	}

	if opts.NoKfuncs {
		if err := spec.Variables[rewindVarNoKfuncs].Set(uint32(1)); err != nil {
			return fmt.Errorf("bpf: set no_kfuncs: %w", err)
		}
	}

	if !opts.RecordSelf {
		if err := spec.Variables[rewindVarSelfTgid].Set(uint32(os.Getpid())); err != nil {
			return fmt.Errorf("bpf: set self_tgid: %w", err)
		}
	}

	env := opts.Env
	if env == nil {
		env = DefaultEnv
	}
	filter, err := envFilter(env)
	if err != nil {
		return err
	}
	spec.Maps[rewindMapEnvFilterMap].Contents = []ebpf.MapKV{{Key: uint32(0), Value: filter}}

	interest := make([]ebpf.MapKV, 0, len(recordedSyscalls))
	for _, s := range recordedSyscalls {
		if s.nr < 0 || s.nr >= maxSyscalls {
			return fmt.Errorf("bpf: syscall %s number %d: outside the interest table", s.name, s.nr)
		}
		interest = append(interest, ebpf.MapKV{Key: uint32(s.nr), Value: uint32(s.class)})
	}
	spec.Maps[rewindMapInterest].Contents = interest
	return nil
}

// envFilter builds the kernel's pattern table: a pattern matches when the
// first bytes of "NAME=value" equal it under its mask.
func envFilter(names []string) (rewindEnvFilter, error) {
	var f rewindEnvFilter
	if len(names) > len(f.Pat) {
		return f, fmt.Errorf("bpf: %d environment selectors: at most %d", len(names), len(f.Pat))
	}
	for i, name := range names {
		pat := name + "="
		if prefix, ok := strings.CutSuffix(name, "*"); ok {
			pat = prefix
		}
		if pat == "" || pat == "=" || len(pat) > 32 || strings.ContainsAny(pat[:len(pat)-1], "=*\x00") {
			return f, fmt.Errorf("bpf: environment selector %q: want NAME or PREFIX* of 1 to 31 bytes", name)
		}
		var word, mask [32]byte
		copy(word[:], pat)
		for j := range pat {
			mask[j] = 0xff
		}
		for w := 0; w < 4; w++ {
			f.Pat[i].Word[w] = le64(word[w*8:])
			f.Pat[i].Mask[w] = le64(mask[w*8:])
		}
	}
	f.Count = uint32(len(names))
	return f, nil
}

func le64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// Attach hooks the programs to the kernel; events flow from then on.
// Syscalls that have no tracepoint on this kernel (per-syscall dispatch)
// are listed by Skipped.
func (t *Tracer) Attach() error {
	if len(t.links) > 0 {
		return errors.New("bpf: already attached")
	}
	for _, p := range []struct {
		prog *ebpf.Program
		name string
	}{
		{t.objs.OnExec, "sched_process_exec"},
		{t.objs.OnFork, "sched_process_fork"},
		{t.objs.OnExit, "sched_process_exit"},
	} {
		l, err := link.AttachTracing(link.TracingOptions{Program: p.prog})
		if err != nil {
			t.detach()
			return fmt.Errorf("bpf: attach %s: %w", p.name, err)
		}
		t.links = append(t.links, l)
	}
	var err error
	if t.dispatch == DispatchRaw {
		err = t.attachRaw()
	} else {
		err = t.attachPerSyscall()
	}
	if err != nil {
		t.detach()
	}
	return err
}

func (t *Tracer) attachRaw() error {
	l, err := link.AttachTracing(link.TracingOptions{Program: t.objs.SysExit})
	if err != nil {
		return fmt.Errorf("bpf: attach sys_exit: %w", err)
	}
	t.links = append(t.links, l)
	return nil
}

func (t *Tracer) attachPerSyscall() error {
	if err := ensureTracefs(); err != nil {
		return err
	}
	for _, s := range recordedSyscalls {
		if !s.recordedAtExit() {
			continue
		}
		exit, err := link.Tracepoint("syscalls", "sys_exit_"+s.tracepointName(), t.objs.SysExit, nil)
		if errors.Is(err, os.ErrNotExist) {
			t.skipped = append(t.skipped, s.name)
			continue
		}
		if err != nil && len(t.links) == 3 && perfAttachRefused(s.tracepointName(), t.objs.SysExit) {
			return missing("attaching BPF programs to syscall tracepoints (the kernel refuses BPF on perf events; use raw dispatch)", err)
		}
		if err != nil {
			return fmt.Errorf("bpf: attach syscalls/sys_exit_%s: %w", s.tracepointName(), err)
		}
		t.links = append(t.links, exit)
	}
	return nil
}

// ScriptsUnidentified says why the identity of an exec'd #! script
// cannot be recorded on this host (its file is found through the
// kernel's ____fput, whose address /proc/kallsyms must show), or nil
// when it can.
func (t *Tracer) ScriptsUnidentified() error { return t.noScript }

// kallsymsPath is where kernelSymbol looks; a variable for tests.
var kallsymsPath = "/proc/kallsyms"

// fputAddress is ____fput's address, read from kallsyms once per process
// (a scan of some 200k lines; kernel text does not move while it runs).
var fputAddress = sync.OnceValues(func() (uint64, error) { return kernelSymbol(kallsymsPath, "____fput") })

// kernelSymbol returns the address of a kernel text symbol from a
// kallsyms file. Addresses show as 0 to readers the kernel hides them
// from (kptr_restrict), which counts as not found.
func kernelSymbol(path, name string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("kernel symbol %s: %w", name, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "ffffffff816de130 t ____fput" (a module symbol adds " [module]")
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || fields[2] != name {
			continue
		}
		addr, err := strconv.ParseUint(fields[0], 16, 64)
		if err != nil {
			return 0, fmt.Errorf("kernel symbol %s: %s: bad address %q", name, path, fields[0])
		}
		if addr == 0 {
			return 0, fmt.Errorf("kernel symbol %s: %s hides addresses (kernel.kptr_restrict)", name, path)
		}
		return addr, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("kernel symbol %s: read %s: %w", name, path, err)
	}
	return 0, fmt.Errorf("kernel symbol %s: not in %s", name, path)
}

// Skipped lists the recorded syscalls that the kernel has no tracepoint
// for (per-syscall dispatch only); they are not recorded.
func (t *Tracer) Skipped() []string { return t.skipped }

// Dispatch is the syscall dispatch in use.
func (t *Tracer) Dispatch() Dispatch { return t.dispatch }

// Detach unhooks the programs: no new events are produced, and a Reader
// can still drain the ones in the ring buffer. Attach may be called again.
func (t *Tracer) Detach() { t.detach() }

// detach closes the links in parallel: each syscall tracepoint link waits
// for the kernel to quiesce on close, which one by one adds up to seconds.
func (t *Tracer) detach() {
	var wg sync.WaitGroup
	for _, l := range t.links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Close()
		}()
	}
	wg.Wait()
	t.links = nil
}

// ReadDrops returns the ring buffer reserve failures counted by the
// kernel, one entry per possible CPU, cumulative since Load. It is safe
// to call while a Reader runs.
func (t *Tracer) ReadDrops() ([]uint64, error) {
	c, err := t.readCounters()
	if err != nil {
		return nil, err
	}
	out := make([]uint64, len(c))
	for i := range c {
		out[i] = c[i].Drops
	}
	return out, nil
}

// readSeqs returns the last sequence number used on each CPU (events
// produced plus events dropped).
func (t *Tracer) readSeqs() ([]uint64, error) {
	c, err := t.readCounters()
	if err != nil {
		return nil, err
	}
	out := make([]uint64, len(c))
	for i := range c {
		out[i] = c[i].Seq
	}
	return out, nil
}

func (t *Tracer) readCounters() ([]rewindCpuCounters, error) {
	var c []rewindCpuCounters
	if err := t.objs.Counters.Lookup(uint32(0), &c); err != nil {
		return nil, fmt.Errorf("bpf: read per-CPU counters: %w", err)
	}
	return c, nil
}

// Close detaches the programs and releases every kernel object, the
// Reader's included.
func (t *Tracer) Close() error {
	t.detach()
	var errs []error
	if t.reader != nil {
		errs = append(errs, t.reader.Close())
		t.reader = nil
	}
	errs = append(errs, t.objs.Close())
	return errors.Join(errs...)
}
