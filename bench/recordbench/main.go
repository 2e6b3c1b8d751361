// Command recordbench measures what rewind-record costs a busy host: it
// runs open and exec storms without the recorder (baseline) and with it,
// in alternating rounds of the same run, and reports slowdowns, the CPU
// each open and exec costs, drops, recorder CPU (and events recorded per
// CPU-second) and peak RSS, bytes per event, and the highest open rate
// recorded without drops. Where auditd is available, it runs the exec
// storm under an execve audit rule too. It needs root. `make bench` runs
// it.
//
// On a machine shared with other work, storm rates move with the load;
// each round's slowdown compares that round's two storms, and the median
// and range over rounds are reported, with the storms' CPU time per
// operation (which leaves out time spent waiting for a CPU) beside them.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rewind-sh/rewind/bench/storm"
	"github.com/rewind-sh/rewind/bpf"
	"github.com/rewind-sh/rewind/format"
)

type options struct {
	recorder  string
	openFor   time.Duration
	execFor   time.Duration
	rounds    int
	stormCPU  int
	recordCPU int
	rates     string
	keep      bool
	only      string
}

func main() {
	var o options
	flag.StringVar(&o.recorder, "recorder", "bin/rewind-record", "path of the rewind-record binary")
	flag.DurationVar(&o.openFor, "open-for", 3*time.Second, "length of each open storm")
	flag.DurationVar(&o.execFor, "exec-for", 4*time.Second, "length of each exec storm")
	flag.IntVar(&o.rounds, "rounds", 5, "alternating baseline/recorder rounds; medians and ranges are reported")
	flag.IntVar(&o.stormCPU, "storm-cpu", 0, "CPU the storms are pinned to")
	flag.IntVar(&o.recordCPU, "record-cpu", 1, "CPU the recorder is pinned to")
	flag.StringVar(&o.rates, "rates", "100000,200000,300000,400000,500000,0", "paced open rates to try for the zero-drop search (0 = flat out)")
	flag.BoolVar(&o.keep, "keep", false, "keep the recordings")
	flag.StringVar(&o.only, "only", "", `run one part alone: "kernel-cost" (BPF run time per open and per exec, a quick check while changing the programs)`)
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "recordbench:", err)
		os.Exit(1)
	}
}

// recorder is one running rewind-record.
type recorder struct {
	cmd *exec.Cmd
	dir string
}

func startRecorder(o options, dir string) (*recorder, error) {
	cmd := exec.Command("taskset", "-c", strconv.Itoa(o.recordCPU), o.recorder, "-o", dir)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.recorder, err)
	}
	r := &recorder{cmd: cmd, dir: dir}
	// Ready when the first segment file exists: the probes are attached by
	// then, and the keyframe is written.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m, _ := filepath.Glob(filepath.Join(dir, "seg-*.arrow")); len(m) > 0 {
			time.Sleep(300 * time.Millisecond)
			return r, nil
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return nil, errors.New("recorder did not start writing within 30s")
}

// usage reads the recorder's CPU time (user+system, all threads) and peak
// RSS from /proc while it runs.
func (r *recorder) usage() (cpu time.Duration, peakRSS int64, err error) {
	pid := r.cmd.Process.Pid
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	cpu = time.Duration(utime+stime) * (time.Second / 100) // USER_HZ
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			peakRSS = kb * 1024
		}
	}
	return cpu, peakRSS, nil
}

// ringRSS is the resident size of the recorder's BPF map mappings: the
// ring buffer, whose data pages are mapped twice (so that a record can
// wrap around the end) and so count twice in RSS once the ring has been
// written all round.
func (r *recorder) ringRSS() int64 {
	smaps, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", r.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	var total int64
	inMap := false
	for _, line := range strings.Split(string(smaps), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-"):
			inMap = len(f) >= 6 && f[5] == "anon_inode:bpf-map"
		case inMap && len(f) >= 2 && f[0] == "Rss:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			total += kb * 1024
		}
	}
	return total
}

func (r *recorder) stop() error {
	_ = r.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
		return errors.New("recorder did not stop within 30s of SIGINT")
	}
}

// tally is what a finished recording says about itself.
type tally struct {
	events     uint64 // rows of kernel event kinds
	dropsKern  uint64
	dropsUser  uint64
	bytes      int64
	heartbeats int
}

func readTally(dir string) (tally, error) {
	var t tally
	rec, err := format.Open(dir)
	if err != nil {
		return t, err
	}
	var ev format.Event
	err = rec.Scan(format.ScanOptions{}, func(b *format.Batch) error {
		for i := 0; i < b.Len(); i++ {
			b.Event(i, &ev)
			switch ev.Kind {
			case format.KindHeartbeat:
				t.heartbeats++
				var k uint64
				for _, d := range ev.DropsPerCPU {
					k += d
				}
				// Counters are cumulative: the last heartbeat holds the totals.
				t.dropsKern, t.dropsUser = k, ev.DropsUser
			case format.KindKeyframe, format.KindExeHash, format.KindUser, format.KindGroup:
			default:
				t.events++
			}
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return t, err
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			t.bytes += info.Size()
		}
	}
	return t, nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

// spread formats the median of xs and their range.
func spread(xs []float64, format string) string {
	lo, hi := slices.Min(xs), slices.Max(xs)
	return fmt.Sprintf(format+" ["+format+" .. "+format+"]", median(xs), lo, hi)
}

// pairs are the storms of the rounds, without and with the recorder.
type pairs struct{ base, rec []storm.Result }

func (p *pairs) add(base, rec storm.Result) {
	p.base, p.rec = append(p.base, base), append(p.rec, rec)
}

// report prints the medians of both sides, then each round's slowdown
// (its recorder storm against its own baseline) and the CPU time the
// recorder added to each operation, as median and range over rounds.
func (p *pairs) report(name, unit string, target float64) {
	var baseRate, recRate, baseCPU, recCPU, ops []float64
	for i := range p.base {
		b, r := p.base[i], p.rec[i]
		baseRate, recRate = append(baseRate, b.PerSec), append(recRate, r.PerSec)
		baseCPU = append(baseCPU, float64(b.CPUPerOp().Nanoseconds()))
		recCPU = append(recCPU, float64(r.CPUPerOp().Nanoseconds()))
		ops = append(ops, float64(b.Ops), float64(r.Ops))
	}
	slow, addCPU := p.costs()
	fmt.Printf("  %s storm  baseline %s/s  with recorder %s/s  (%.0f to %.0f %ss per storm)\n",
		name, spread(baseRate, "%.0f"), spread(recRate, "%.0f"), slices.Min(ops), slices.Max(ops), name)
	fmt.Printf("  %s storm  slowdown %s%%  (target <= %.0f%%)\n", name, spread(slow, "%.1f"), target)
	fmt.Printf("  %s storm  CPU per %s: baseline %s ns, with recorder %s ns, added %s ns\n",
		name, unit, spread(baseCPU, "%.0f"), spread(recCPU, "%.0f"), spread(addCPU, "%.0f"))
}

// costs returns each round's slowdown in percent and the CPU time per
// operation the second storm added to its baseline, in ns.
func (p *pairs) costs() (slowdown, addedCPU []float64) {
	for i := range p.base {
		b, r := p.base[i], p.rec[i]
		slowdown = append(slowdown, 100*(1-r.PerSec/b.PerSec))
		addedCPU = append(addedCPU, float64(r.CPUPerOp().Nanoseconds()-b.CPUPerOp().Nanoseconds()))
	}
	return slowdown, addedCPU
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func run(o options) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (the recorder loads eBPF programs)")
	}
	if _, err := os.Stat(o.recorder); err != nil {
		return fmt.Errorf("recorder binary: %w (run make build first)", err)
	}
	if o.rounds < 1 {
		return fmt.Errorf("-rounds %d: want at least 1", o.rounds)
	}
	work, err := os.MkdirTemp("", "recordbench-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(work)
	}
	target := filepath.Join(work, "target")
	if err := os.WriteFile(target, []byte("x"), 0o644); err != nil {
		return err
	}

	switch o.only {
	case "":
	case "kernel-cost":
		return kernelCost(o, work, target)
	default:
		return fmt.Errorf("-only %q: want kernel-cost", o.only)
	}

	loadBefore := loadAverage()
	var opens, execs pairs
	var cpu time.Duration
	var peak, ring int64
	var tot tally
	var elapsed time.Duration
	for round := 0; round < o.rounds; round++ {
		bo, err := storm.Open(target, o.openFor, o.stormCPU, 0)
		if err != nil {
			return err
		}
		be, err := storm.Exec("/bin/true", o.execFor, o.stormCPU)
		if err != nil {
			return err
		}
		dir := filepath.Join(work, fmt.Sprintf("rec-%d", round))
		r, err := startRecorder(o, dir)
		if err != nil {
			return err
		}
		start := time.Now()
		cpu0, _, _ := r.usage()
		ro, err1 := storm.Open(target, o.openFor, o.stormCPU, 0)
		re, err2 := storm.Exec("/bin/true", o.execFor, o.stormCPU)
		cpu1, hwm, _ := r.usage()
		ring = max(ring, r.ringRSS())
		el := time.Since(start)
		if err := r.stop(); err != nil {
			return fmt.Errorf("recorder: %w", err)
		}
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		t, err := readTally(dir)
		if err != nil {
			return fmt.Errorf("read recording %s: %w", dir, err)
		}
		opens.add(bo, ro)
		execs.add(be, re)
		cpu += cpu1 - cpu0
		elapsed += el
		if hwm > peak {
			peak = hwm
		}
		tot.events += t.events
		tot.dropsKern += t.dropsKern
		tot.dropsUser += t.dropsUser
		tot.bytes += t.bytes
		fmt.Fprintf(os.Stderr, "round %d: open %.0f/s -> %.0f/s (%v -> %v CPU each), exec %.0f/s -> %.0f/s (%v -> %v CPU each), %d events, drops %d+%d, load %s\n",
			round, bo.PerSec, ro.PerSec, bo.CPUPerOp(), ro.CPUPerOp(), be.PerSec, re.PerSec, be.CPUPerOp(), re.CPUPerOp(),
			t.events, t.dropsKern, t.dropsUser, loadAverage())
	}

	fmt.Printf("rewind-record system benchmark: %d alternating rounds, median [min .. max]; storms on CPU %d, recorder on CPU %d; load average %s before, %s after\n",
		o.rounds, o.stormCPU, o.recordCPU, loadBefore, loadAverage())
	opens.report("open", "open", 10)
	execs.report("exec", "exec", 3)
	fmt.Printf("  recorder CPU %.1f%% of one core while recording; peak RSS %.1f MiB (target <= 100 MiB), of which the ring buffer's mappings %.1f MiB\n",
		100*cpu.Seconds()/elapsed.Seconds(), float64(peak)/(1<<20), float64(ring)/(1<<20))
	if tot.events > 0 {
		fmt.Printf("  recorded %d events, %.2f bytes/event on disk, %.0f events per recorder CPU-second, drops kernel %d user %d\n",
			tot.events, float64(tot.bytes)/float64(tot.events), float64(tot.events)/cpu.Seconds(), tot.dropsKern, tot.dropsUser)
	}

	if err := kernelCost(o, work, target); err != nil {
		return err
	}
	if err := floorCost(o, target); err != nil {
		return err
	}
	if err := zeroDropSearch(o, work, target); err != nil {
		return err
	}
	return auditComparison(o)
}

// floorCost measures what any eBPF recorder of every openat pays on this
// host, in alternating rounds against a baseline without programs: the
// hook with a program that returns at once, a boot-clock read, and a
// 24-byte ring buffer event (time, pid, return value). The open-storm
// slowdown of rewind-record above is its own cost plus this floor; a
// target below the floor cannot be met by recording each open.
func floorCost(o options, target string) error {
	progs := []bpf.FloorProgram{bpf.FloorNoop, bpf.FloorClock, bpf.FloorEvent}
	floors := make([]pairs, len(progs))
	for round := 0; round < o.rounds; round++ {
		for i, p := range progs {
			base, err := storm.Open(target, o.openFor, o.stormCPU, 0)
			if err != nil {
				return err
			}
			f, err := bpf.AttachFloor(p)
			if err != nil {
				return err
			}
			with, serr := storm.Open(target, o.openFor, o.stormCPU, 0)
			if err := errors.Join(serr, f.Close()); err != nil {
				return err
			}
			floors[i].add(base, with)
		}
	}
	fmt.Printf("  floor of recording each openat on this host (%d alternating rounds, each against its own baseline):\n", o.rounds)
	for i, p := range progs {
		slow, added := floors[i].costs()
		fmt.Printf("    %-14s slowdown %s%%, CPU per open +%s ns\n", p.String()+":", spread(slow, "%.1f"), spread(added, "%.0f"))
	}
	return nil
}

// zeroDropSearch runs paced open storms at increasing rates, each under a
// fresh recorder, and reports the highest rate recorded without a drop.
func zeroDropSearch(o options, work, target string) error {
	best := 0.0
	for i, f := range strings.Split(o.rates, ",") {
		rate, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return fmt.Errorf("-rates: %w", err)
		}
		dir := filepath.Join(work, fmt.Sprintf("rate-%d", i))
		r, err := startRecorder(o, dir)
		if err != nil {
			return err
		}
		res, serr := storm.Open(target, o.openFor, o.stormCPU, rate)
		if err := r.stop(); err != nil {
			return err
		}
		if serr != nil {
			return serr
		}
		t, err := readTally(dir)
		if err != nil {
			return fmt.Errorf("read recording %s: %w", dir, err)
		}
		label := fmt.Sprintf("%.0f/s", rate)
		if rate == 0 {
			label = "flat out"
		}
		fmt.Printf("  open storm paced at %-9s achieved %9.0f/s  recorded %9d  drops kernel %d user %d\n",
			label, res.PerSec, t.events, t.dropsKern, t.dropsUser)
		if t.dropsKern+t.dropsUser == 0 && res.PerSec > best {
			best = res.PerSec
		}
	}
	fmt.Printf("  highest open rate recorded with zero drops: %.0f/s\n", best)
	return nil
}

// auditComparison runs the exec storm under an auditd execve rule, when
// auditd works on this machine. It enables auditing and starts auditd
// for the run (so records are consumed, as on a real host) and restores
// both afterwards.
func auditComparison(o options) error {
	if _, err := exec.LookPath("auditctl"); err != nil {
		fmt.Println("  auditd: not installed; comparison skipped (make bench installs it when root)")
		return nil
	}
	status, _ := exec.Command("auditctl", "-s").Output()
	wasEnabled := strings.Contains(string(status), "enabled 1")
	var daemon *exec.Cmd
	if !strings.Contains(string(status), "pid 0") {
		// an auditd is already running: use it
	} else if path, err := exec.LookPath("auditd"); err == nil {
		daemon = exec.Command(path, "-n") // foreground, so we can stop it
		if err := daemon.Start(); err != nil {
			fmt.Printf("  auditd: cannot start the daemon (%v); comparison skipped\n", err)
			return nil
		}
		defer func() { _ = daemon.Process.Signal(syscall.SIGTERM); _ = daemon.Wait() }()
		time.Sleep(time.Second)
	}
	base, err := storm.Exec("/bin/true", o.execFor, o.stormCPU)
	if err != nil {
		return err
	}
	rule := []string{"always,exit", "-F", "arch=b64", "-S", "execve", "-k", "rewind-bench"}
	if out, err := exec.Command("auditctl", append([]string{"-a"}, rule...)...).CombinedOutput(); err != nil {
		fmt.Printf("  auditd: cannot add an execve rule here (%s); comparison skipped\n", strings.TrimSpace(string(out)))
		return nil
	}
	defer exec.Command("auditctl", append([]string{"-d"}, rule...)...).Run()
	if !wasEnabled {
		if out, err := exec.Command("auditctl", "-e", "1").CombinedOutput(); err != nil {
			fmt.Printf("  auditd: cannot enable auditing (%s); comparison skipped\n", strings.TrimSpace(string(out)))
			return nil
		}
		defer exec.Command("auditctl", "-e", "0").Run()
	}
	r, err := storm.Exec("/bin/true", o.execFor, o.stormCPU)
	if err != nil {
		return err
	}
	fmt.Printf("  exec storm under auditd execve rule %.0f/s (baseline just before %.0f/s): slowdown %.1f%%; CPU per exec %v (baseline %v)\n",
		r.PerSec, base.PerSec, 100*(1-r.PerSec/base.PerSec), r.CPUPerOp(), base.CPUPerOp())
	return nil
}
