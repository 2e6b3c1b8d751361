package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rewind-sh/rewind/bpf"
	"github.com/rewind-sh/rewind/capture"
	"github.com/rewind-sh/rewind/format"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1 // runtime error: not root, no BTF, I/O
	exitInvalid = 2 // invalid flags or arguments
)

type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codeError{code: code, err: err}
}

// options are the command's flags.
type options struct {
	dir          string
	duration     time.Duration
	segmentSize  byteSize
	segmentAge   time.Duration
	maxSize      byteSize
	maxAge       time.Duration
	events       []string
	redact       []string
	env          []string
	includeSelf  bool
	ringSize     byteSize
	hashMaxSize  byteSize
	hashWorkers  int
	queueBatches int
	dispatch     string
	memoryLimit  byteSize
	cpuProfile   string
	memProfile   string
	freezeOn     []string
}

func newRootCmd(stderr io.Writer) *cobra.Command {
	o := &options{
		segmentSize: byteSize(format.DefaultSegmentMaxBytes),
		segmentAge:  format.DefaultSegmentMaxAge,
		ringSize:    byteSize(bpf.DefaultRingBytes),
		hashMaxSize: byteSize(capture.DefaultHashMaxSize),
		env:         bpf.DefaultEnv,
		memoryLimit: 64 << 20,
	}
	cmd := &cobra.Command{
		Use:   "rewind-record -o DIR",
		Short: "Record security-relevant kernel events into a rewind recording",
		Long: "rewind-record loads eBPF programs, scans /proc for the live process table and\n" +
			"writes exec, fork, exit, file, network and security events, executable hashes\n" +
			"and a heartbeat per second into zstd-compressed Arrow segments in DIR.\n\n" +
			"It stops on SIGINT or SIGTERM (flushing and closing the recording) or after\n" +
			"--duration. SIGUSR1 freezes retention: no segment is pruned from then on, so\n" +
			"the window before an incident survives; with --freeze-on, so does an alert\n" +
			"of those rules, tested on every batch as it is written (the manifest says\n" +
			"which rule froze it). SIGUSR2 resumes pruning. Needs root and a kernel with BTF.",
		Example: "  # record until Ctrl-C\n" +
			"  rewind-record -o /var/lib/rewind/rec\n\n" +
			"  # flight recorder: keep the last 2 GiB, at most a day, segments of 64 MiB\n" +
			"  rewind-record -o rec --max-size 2GiB --max-age 24h --segment-size 64MiB\n\n" +
			"  # a 30 s capture of process and network events, hiding passwords in argv\n" +
			"  rewind-record -o rec --duration 30s --events exec,fork,exit,net --redact '--password=\\S+'\n\n" +
			"  # keep the last 2 GiB until a rule fires, then keep everything from then on\n" +
			"  rewind-record -o rec --max-size 2GiB --freeze-on samples/rules/rewind_rules.yaml",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), o, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.dir, "output", "o", "", "recording directory (created 0700; must not hold a recording)")
	f.DurationVar(&o.duration, "duration", 0, "stop after this long (0: until SIGINT/SIGTERM)")
	f.Var(&o.segmentSize, "segment-size", "rotate to a new segment at this size")
	f.DurationVar(&o.segmentAge, "segment-age", o.segmentAge, "rotate to a new segment at this age")
	f.Var(&o.maxSize, "max-size", "ring mode: prune the oldest segments beyond this total size (0: keep all)")
	f.DurationVar(&o.maxAge, "max-age", 0, "ring mode: prune segments older than this (0: keep all)")
	f.StringSliceVar(&o.events, "events", nil, "kernel event kinds to record, comma-separated: "+strings.Join(kernelKindNames(), ",")+" (default all)")
	f.StringArrayVar(&o.redact, "redact", nil, "regular expression (RE2) whose matches in argv and env values are replaced by [REDACTED]; repeatable")
	f.StringSliceVar(&o.env, "env", o.env, "environment variables kept at exec: NAME or PREFIX*, at most 8")
	f.BoolVar(&o.includeSelf, "include-self", false, "also record the recorder's own activity")
	f.Var(&o.ringSize, "ring-size", "kernel ring buffer size (a power of two)")
	f.Var(&o.hashMaxSize, "hash-max-size", "executables larger than this are not hashed")
	f.IntVar(&o.hashWorkers, "hash-workers", 0, "goroutines hashing executables (0: a quarter of the CPUs, 1 to 4)")
	f.Var(&o.memoryLimit, "memory-limit", "soft limit of the Go heap (the GC works harder near it; 0: no limit)")
	f.IntVar(&o.queueBatches, "queue-batches", 16, "batches of 256 events buffered between the ring reader and the writer (about 240 KiB each when full)")
	f.StringVar(&o.dispatch, "dispatch", "default", "how syscalls are hooked: default, raw (one program on every syscall) or per-syscall (tracepoints of the recorded calls)")
	f.StringArrayVar(&o.freezeOn, "freeze-on", nil, "rules file (Falco format) tested on what is recorded: the first alert freezes retention, as SIGUSR1 does; repeatable (costs the writer about 0.6 µs per event with the upstream stable rules: make bench)")
	f.StringVar(&o.cpuProfile, "cpu-profile", "", "write a Go CPU profile of the recording to this file")
	f.StringVar(&o.memProfile, "mem-profile", "", "write a Go heap profile at exit to this file")
	_ = f.MarkHidden("cpu-profile")
	_ = f.MarkHidden("mem-profile")
	_ = cmd.MarkFlagRequired("output")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withCode(exitInvalid, err) })
	return cmd
}

var kernelKinds = []format.Kind{format.KindExec, format.KindFork, format.KindExit, format.KindOpen, format.KindFile, format.KindNet, format.KindSecurity}

func kernelKindNames() []string {
	out := make([]string, len(kernelKinds))
	for i, k := range kernelKinds {
		out[i] = k.String()
	}
	return out
}

// parseKinds turns --events into a kind set (0: every kind).
func parseKinds(names []string) (format.KindSet, error) {
	var set format.KindSet
	for _, n := range names {
		k, err := format.ParseKind(strings.TrimSpace(n))
		if err != nil || !isKernelKind(k) {
			return 0, fmt.Errorf("--events %q: not a kernel event kind; want some of %s", n, strings.Join(kernelKindNames(), ","))
		}
		set |= format.SetOf(k)
	}
	return set, nil
}

func isKernelKind(k format.Kind) bool {
	for _, x := range kernelKinds {
		if x == k {
			return true
		}
	}
	return false
}

var dispatches = map[string]bpf.Dispatch{"default": bpf.DispatchDefault, "raw": bpf.DispatchRaw, "per-syscall": bpf.DispatchPerSyscall}

// validate checks the flags that cobra cannot, before anything is loaded.
func (o *options) validate() (format.KindSet, *capture.Redactor, error) {
	kinds, err := parseKinds(o.events)
	if err != nil {
		return 0, nil, err
	}
	if o.dir == "" {
		return 0, nil, errors.New("--output: empty directory name")
	}
	if segs, _ := filepath.Glob(filepath.Join(o.dir, "seg-*.arrow")); len(segs) > 0 || fileExists(filepath.Join(o.dir, format.ManifestName)) {
		// format.Create refuses it too; saying so before the programs are
		// loaded is quicker and gets the usage exit code.
		return 0, nil, fmt.Errorf("--output %s already holds a recording; choose a new directory", o.dir)
	}
	if _, ok := dispatches[o.dispatch]; !ok {
		return 0, nil, fmt.Errorf("--dispatch %q: want default, raw or per-syscall", o.dispatch)
	}
	red, err := capture.NewRedactor(o.redact)
	if err != nil {
		return 0, nil, err
	}
	switch {
	case o.duration < 0 || o.segmentAge <= 0 || o.maxAge < 0:
		return 0, nil, errors.New("durations must be positive (--segment-age) or zero (--duration, --max-age)")
	case o.segmentSize <= 0:
		return 0, nil, errors.New("--segment-size must be positive")
	case o.maxSize != 0 && o.maxSize < o.segmentSize:
		return 0, nil, fmt.Errorf("--max-size %s is smaller than one segment (--segment-size %s)", o.maxSize.String(), o.segmentSize.String())
	case o.ringSize <= 0 || o.ringSize > 1<<30 || o.ringSize&(o.ringSize-1) != 0:
		return 0, nil, fmt.Errorf("--ring-size %s: want a power of two up to 1GiB", o.ringSize.String())
	case o.hashWorkers < 0 || o.queueBatches < 1:
		return 0, nil, errors.New("--hash-workers must be 0 (automatic) or more and --queue-batches at least 1")
	case len(o.env) > 8:
		return 0, nil, fmt.Errorf("--env: %d selectors, at most 8", len(o.env))
	}
	return kinds, red, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (o *options) config() map[string]string {
	return map[string]string{
		"segment_size":  o.segmentSize.String(),
		"segment_age":   o.segmentAge.String(),
		"max_size":      o.maxSize.String(),
		"max_age":       o.maxAge.String(),
		"events":        strings.Join(o.events, ","),
		"env":           strings.Join(o.env, ","),
		"redact_count":  fmt.Sprint(len(o.redact)),
		"include_self":  fmt.Sprint(o.includeSelf),
		"ring_size":     o.ringSize.String(),
		"hash_max_size": o.hashMaxSize.String(),
		"dispatch":      o.dispatch,
		"memory_limit":  o.memoryLimit.String(),
		"freeze_on":     strings.Join(o.freezeOn, ","),
	}
}

func run(ctx context.Context, o *options, stderr io.Writer) error {
	kinds, redact, err := o.validate()
	if err != nil {
		return withCode(exitInvalid, err)
	}
	var freezer *freezeRules
	if len(o.freezeOn) > 0 {
		// Before anything is loaded: a bad rules file is a usage error.
		hostname, _ := os.Hostname()
		if freezer, err = loadFreezeRules(o.freezeOn, kinds, hostname, stderr); err != nil {
			return withCode(exitInvalid, err)
		}
		if o.maxSize == 0 && o.maxAge == 0 {
			fmt.Fprintln(stderr, "rewind-record: --freeze-on without --max-size or --max-age: nothing is pruned anyway; an alert only marks the manifest")
		}
	}
	// Signals are taken from the start: loading the programs takes
	// seconds, and SIGUSR1's default action would kill the process.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, a second one kills at once (the default
		// action), should the clean shutdown hang.
		<-ctx.Done()
		stop()
	}()
	var (
		recorder    atomic.Pointer[capture.Recorder]
		frozenEarly atomic.Bool
	)
	freeze := make(chan os.Signal, 1)
	signal.Notify(freeze, syscall.SIGUSR1, syscall.SIGUSR2)
	defer func() { signal.Stop(freeze); close(freeze) }()
	go func() {
		for sig := range freeze {
			frozen := sig == syscall.SIGUSR1
			frozenEarly.Store(frozen)
			if rec := recorder.Load(); rec != nil {
				if frozen {
					rec.Writer().Freeze("SIGUSR1")
				} else {
					rec.Writer().SetFrozen(false)
				}
			}
			if frozen {
				fmt.Fprintln(stderr, "rewind-record: retention frozen (SIGUSR1): no segment will be pruned from now on")
			} else {
				fmt.Fprintln(stderr, "rewind-record: retention resumed (SIGUSR2): the oldest segments are pruned again")
			}
		}
	}()

	if o.memoryLimit > 0 {
		// The heap of a steady recorder is a few tens of MiB; the GC's
		// default target of twice the live heap is what pushes the RSS
		// over 100 MiB, not the live data.
		debug.SetMemoryLimit(int64(o.memoryLimit))
	}
	tracer, err := loadAndAttach(o, stderr)
	if err != nil {
		return withCode(exitError, err)
	}
	defer tracer.Close()
	reader, err := tracer.Reader()
	if err != nil {
		return withCode(exitError, err)
	}
	clock, err := bpf.MeasureBootClock()
	if err != nil {
		return withCode(exitError, err)
	}
	procfs, err := capture.NewProcFS("/proc", o.env)
	if err != nil {
		return withCode(exitError, err)
	}
	procfs.BootTimeNs = clock.OffsetNs
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "rewind-record: stopped before recording started; nothing written")
		return nil
	}
	kernel := capture.NewBPF(tracer, reader)
	var onBatch func(*format.Batch)
	if freezer != nil {
		freezer.writer = func() *format.Writer {
			if rec := recorder.Load(); rec != nil {
				return rec.Writer()
			}
			return nil
		}
		onBatch = freezer.batch
	}
	rec, err := capture.NewRecorder(capture.Config{
		Writer: format.WriterOptions{
			OnBatch:         onBatch,
			Dir:             o.dir,
			SegmentMaxBytes: int64(o.segmentSize),
			SegmentMaxAge:   o.segmentAge,
			MaxTotalBytes:   int64(o.maxSize),
			MaxAge:          o.maxAge,
			Host:            capture.Host(clock.OffsetNs, version, o.config()),
		},
		Source:       kernel,
		Kernel:       kernel,
		Clock:        clock,
		ProcFS:       procfs,
		Hasher:       capture.HasherOptions{Workers: o.hashWorkers, MaxSize: int64(o.hashMaxSize)},
		Redact:       redact,
		Kinds:        kinds,
		QueueBatches: o.queueBatches,
		Warn:         stderr,
	})
	if err != nil {
		return withCode(exitError, err)
	}

	recorder.Store(rec)
	if frozenEarly.Load() {
		rec.Writer().Freeze("SIGUSR1")
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}

	if err := tracer.ScriptsUnidentified(); err != nil {
		fmt.Fprintf(stderr, "rewind-record: #! scripts are recorded by path only, without their file's identity or hash: %v\n", err)
	}
	if skipped := tracer.Skipped(); len(skipped) > 0 {
		fmt.Fprintf(stderr, "rewind-record: this kernel has no tracepoint for %s; not recorded\n", strings.Join(skipped, ", "))
	}
	fmt.Fprintf(stderr, "rewind-record: recording to %s (dispatch %s, ring %s); SIGINT or SIGTERM stops, SIGUSR1 freezes retention, SIGUSR2 resumes it\n",
		o.dir, tracer.Dispatch(), o.ringSize.String())
	stopProfiles, err := startProfiles(o.cpuProfile, o.memProfile)
	if err != nil {
		return withCode(exitError, err)
	}
	start := time.Now()
	runErr := rec.Run(ctx)
	if err := stopProfiles(); err != nil {
		fmt.Fprintln(stderr, "rewind-record:", err)
	}
	printStats(stderr, rec, tracer, time.Since(start))
	if freezer != nil {
		freezer.report(stderr)
	}
	if runErr != nil {
		return withCode(exitError, runErr)
	}
	return nil
}

// loadAndAttach loads the programs and attaches them. The programs are
// attached before the /proc scan, so that a process starting in between is
// in the ring, in the scan, or in both, never in neither. With --dispatch
// default, a kernel (or sandbox) that refuses the bpf package's preferred
// dispatch gets the other one, with a note on stderr; when both fail, the
// first error is the one reported.
func loadAndAttach(o *options, stderr io.Writer) (*bpf.Tracer, error) {
	opts := bpf.Options{RingBytes: uint32(o.ringSize), RecordSelf: o.includeSelf, Env: o.env, Dispatch: dispatches[o.dispatch]}
	tracer, err := attach(opts)
	if err == nil || o.dispatch != "default" || errors.Is(err, bpf.ErrNotRoot) {
		return tracer, err
	}
	for _, d := range []bpf.Dispatch{bpf.DispatchRaw, bpf.DispatchPerSyscall} {
		opts.Dispatch = d
		if t, err2 := attach(opts); err2 == nil {
			fmt.Fprintf(stderr, "rewind-record: the default syscall dispatch failed (%v); using %s\n", err, d)
			return t, nil
		}
	}
	return nil, err
}

func attach(opts bpf.Options) (*bpf.Tracer, error) {
	t, err := bpf.Load(opts)
	if err != nil {
		return nil, err
	}
	if err := t.Attach(); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func main() {
	os.Exit(runMain(os.Args[1:], os.Stderr))
}

func runMain(args []string, stderr io.Writer) int {
	root := newRootCmd(stderr)
	root.SetArgs(args)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "rewind-record:", err)
	var ce *codeError
	if errors.As(err, &ce) {
		return ce.code
	}
	// Errors from cobra itself (unknown command, missing required flag,
	// bad arguments) are usage errors.
	return exitInvalid
}
