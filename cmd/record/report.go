package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/rewind-sh/rewind/bpf"
	"github.com/rewind-sh/rewind/capture"
)

// printStats writes the totals of the run to stderr.
func printStats(w io.Writer, rec *capture.Recorder, tracer *bpf.Tracer, took time.Duration) {
	st := rec.Writer().Stats()
	c := rec.Counters()
	var names []string
	var kernelEvents uint64
	for k, n := range st.EventsByKind {
		names = append(names, fmt.Sprintf("%s=%d", k, n))
		if isKernelKind(k) {
			kernelEvents += n
		}
	}
	sort.Strings(names)
	kernelDrops := "unknown"
	if d, err := tracer.ReadDrops(); err == nil {
		var sum uint64
		for _, x := range d {
			sum += x
		}
		kernelDrops = fmt.Sprint(sum)
	}
	fmt.Fprintf(w, "rewind-record: %d rows in %s (%s)\n", st.Events, took.Round(time.Millisecond), strings.Join(names, " "))
	fmt.Fprintf(w, "rewind-record: drops: kernel %s, user space %d (decode errors %d)\n", kernelDrops, c.UserDrops(), c.DecodeErrors())
	// Bytes per row count everything written, pruned segments included
	// (the manifest keeps their sizes), to match the row counts.
	var written int64
	for _, seg := range rec.Writer().Manifest().Segments {
		written += seg.Size
	}
	perRow, perKernel := 0.0, 0.0
	if st.Events > 0 {
		perRow = float64(written) / float64(st.Events)
	}
	if kernelEvents > 0 {
		perKernel = float64(written) / float64(kernelEvents)
	}
	fmt.Fprintf(w, "rewind-record: %d bytes written in %d segments, %d bytes kept (%d segments pruned): %.1f bytes/row, %.1f bytes/kernel event (%d kernel events)\n",
		written, st.Segments, st.Bytes, st.Pruned, perRow, perKernel, kernelEvents)
	hs := rec.HasherStats()
	fmt.Fprintf(w, "rewind-record: %d executables hashed, %d cache hits, %d not hashed for a full queue\n", hs.Hashed, hs.CacheHits, hs.QueueFull)
}

// startProfiles starts the hidden --cpu-profile and arranges the
// --mem-profile, for measuring the recorder under load.
func startProfiles(cpuPath, memPath string) (stop func() error, err error) {
	var cpu *os.File
	if cpuPath != "" {
		if cpu, err = os.Create(cpuPath); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
	}
	return func() error {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
			errs = append(errs, cpu.Close())
		}
		if memPath != "" {
			f, err := os.Create(memPath)
			if err != nil {
				return fmt.Errorf("heap profile: %w", err)
			}
			errs = append(errs, pprof.Lookup("heap").WriteTo(f, 0), f.Close())
		}
		return errors.Join(errs...)
	}, nil
}
