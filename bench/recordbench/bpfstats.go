package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/rewind-sh/rewind/bench/storm"
)

// recorderProgNames are the names of rewind-record's BPF programs (both
// dispatches' syscall exit programs).
var recorderProgNames = []string{"on_exec", "on_fork", "on_exit", "tp_sys_exit", "raw_sys_exit"}

// lastProgramID is the highest BPF program ID in use: programs loaded
// after it have higher IDs.
func lastProgramID() (ebpf.ProgramID, error) {
	var last ebpf.ProgramID
	for {
		next, err := ebpf.ProgramGetNextID(last)
		if errors.Is(err, unix.ENOENT) {
			return last, nil
		}
		if err != nil {
			return 0, fmt.Errorf("list BPF programs: %w", err)
		}
		last = next
	}
}

// programsAfter opens the recorder's programs among those loaded after
// the program ID after. Two programs of one name mean another recorder
// loaded at the same time, and which is ours cannot be told.
func programsAfter(after ebpf.ProgramID) (map[string]*ebpf.Program, error) {
	progs := map[string]*ebpf.Program{}
	closeAll := func() {
		for _, p := range progs {
			p.Close()
		}
	}
	for id := after; ; {
		next, err := ebpf.ProgramGetNextID(id)
		if errors.Is(err, unix.ENOENT) {
			break
		}
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("list BPF programs: %w", err)
		}
		id = next
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue // unloaded since
		}
		info, err := p.Info()
		if err != nil || !slices.Contains(recorderProgNames, info.Name) {
			p.Close()
			continue
		}
		if _, dup := progs[info.Name]; dup {
			p.Close()
			closeAll()
			return nil, fmt.Errorf("two %s programs loaded while the recorder started (another recorder?)", info.Name)
		}
		progs[info.Name] = p
	}
	if len(progs) == 0 {
		return nil, errors.New("found none of the recorder's BPF programs")
	}
	return progs, nil
}

type runStats struct {
	runs    uint64
	runtime time.Duration
}

func snapshot(progs map[string]*ebpf.Program) (map[string]runStats, error) {
	out := map[string]runStats{}
	for name, p := range progs {
		st, err := p.Stats()
		if err != nil {
			return nil, fmt.Errorf("stats of BPF program %s: %w", name, err)
		}
		out[name] = runStats{st.RunCount, st.Runtime}
	}
	return out, nil
}

// kernelCost runs one open storm and one exec storm under a recorder
// with the kernel's BPF run-time statistics on, and reports each
// program's average run time and runs per storm operation. Unlike the
// storms' rates, these hardly move with the machine's load; they include
// the statistics' own clock reads, and the runs of every process on the
// host (the storm's make most of them).
func kernelCost(o options, work, target string) error {
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		fmt.Printf("  kernel-side cost: BPF run-time statistics unavailable (%v); skipped\n", err)
		return nil
	}
	defer stats.Close()
	last, err := lastProgramID()
	if err != nil {
		return err
	}
	r, err := startRecorder(o, filepath.Join(work, "bpf-stats"))
	if err != nil {
		return err
	}
	defer r.stop()
	progs, err := programsAfter(last)
	if err != nil {
		fmt.Printf("  kernel-side cost: %v; skipped\n", err)
		return nil
	}
	defer func() {
		for _, p := range progs {
			p.Close()
		}
	}()
	for _, s := range []struct {
		name string
		run  func() (storm.Result, error)
	}{
		{"open", func() (storm.Result, error) { return storm.Open(target, o.openFor, o.stormCPU, 0) }},
		{"exec", func() (storm.Result, error) { return storm.Exec("/bin/true", o.execFor, o.stormCPU) }},
	} {
		before, err := snapshot(progs)
		if err != nil {
			return err
		}
		res, err := s.run()
		if err != nil {
			return err
		}
		after, err := snapshot(progs)
		if err != nil {
			return err
		}
		names := make([]string, 0, len(after))
		for name := range after {
			names = append(names, name)
		}
		sort.Strings(names)
		var total time.Duration
		line := ""
		for _, name := range names {
			runs := after[name].runs - before[name].runs
			rt := after[name].runtime - before[name].runtime
			if runs == 0 {
				continue
			}
			total += rt
			line += fmt.Sprintf(" %s %.0f ns/run x %.2f runs/%s;", name, float64(rt.Nanoseconds())/float64(runs), float64(runs)/float64(res.Ops), s.name)
		}
		fmt.Printf("  kernel-side cost per %s (BPF run-time stats, %d %ss): %.0f ns =%s\n",
			s.name, res.Ops, s.name, float64(total.Nanoseconds())/float64(res.Ops), line)
	}
	return nil
}
