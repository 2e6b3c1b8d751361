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
	perEvent := 0.0
	if st.Events > 0 {
		perEvent = float64(st.Bytes) / float64(st.Events)
	}
	hs := rec.HasherStats()
	perKernel := 0.0
	if kernelEvents > 0 {
		perKernel = float64(st.Bytes) / float64(kernelEvents)
	}
	fmt.Fprintf(w, "rewind-record: %d bytes in %d segments (%d pruned): %.1f bytes/row, %.1f bytes/kernel event (%d); %d executables hashed\n",
		st.Bytes, st.Segments, st.Pruned, perEvent, perKernel, kernelEvents, hs.Hashed)
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
