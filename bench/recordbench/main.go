// Command recordbench measures what rewind-record costs a busy host: it
// runs open and exec storms without the recorder (baseline) and with it,
// in the same run, and reports slowdowns, drops, recorder CPU and peak
// RSS, bytes per event, and the highest open rate recorded without drops.
// Where auditd is available, it runs the exec storm under an execve audit
// rule too. It needs root. `make bench` runs it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rewind-sh/rewind/bench/storm"
	"github.com/rewind-sh/rewind/format"
)

type options struct {
	recorder  string
	openFor   time.Duration
	execs     int
	rounds    int
	stormCPU  int
	recordCPU int
	rates     string
	keep      bool
}

func main() {
	var o options
	flag.StringVar(&o.recorder, "recorder", "bin/rewind-record", "path of the rewind-record binary")
	flag.DurationVar(&o.openFor, "open-for", 3*time.Second, "length of each open storm")
	flag.IntVar(&o.execs, "execs", 2000, "execs per exec storm")
	flag.IntVar(&o.rounds, "rounds", 3, "alternating baseline/recorder rounds; medians are reported")
	flag.IntVar(&o.stormCPU, "storm-cpu", 0, "CPU the storms are pinned to")
	flag.IntVar(&o.recordCPU, "record-cpu", 1, "CPU the recorder is pinned to")
	flag.StringVar(&o.rates, "rates", "100000,200000,300000,400000,500000,0", "paced open rates to try for the zero-drop search (0 = flat out)")
	flag.BoolVar(&o.keep, "keep", false, "keep the recordings")
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
	return s[len(s)/2]
}

func run(o options) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (the recorder loads eBPF programs)")
	}
	if _, err := os.Stat(o.recorder); err != nil {
		return fmt.Errorf("recorder binary: %w (run make build first)", err)
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

	var baseOpen, recOpen, baseExec, recExec []float64
	var cpu time.Duration
	var peak int64
	var tot tally
	var elapsed time.Duration
	for round := 0; round < o.rounds; round++ {
		bo, err := storm.Open(target, o.openFor, o.stormCPU, 0)
		if err != nil {
			return err
		}
		be, err := storm.Exec("/bin/true", o.execs, o.stormCPU)
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
		re, err2 := storm.Exec("/bin/true", o.execs, o.stormCPU)
		cpu1, hwm, _ := r.usage()
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
		baseOpen, recOpen = append(baseOpen, bo.PerSec), append(recOpen, ro.PerSec)
		baseExec, recExec = append(baseExec, be.PerSec), append(recExec, re.PerSec)
		cpu += cpu1 - cpu0
		elapsed += el
		if hwm > peak {
			peak = hwm
		}
		tot.events += t.events
		tot.dropsKern += t.dropsKern
		tot.dropsUser += t.dropsUser
		tot.bytes += t.bytes
		fmt.Fprintf(os.Stderr, "round %d: open %.0f/s -> %.0f/s, exec %.0f/s -> %.0f/s, %d events, drops %d+%d\n",
			round, bo.PerSec, ro.PerSec, be.PerSec, re.PerSec, t.events, t.dropsKern, t.dropsUser)
	}

	fmt.Println("rewind-record system benchmark (medians of", o.rounds, "alternating rounds; storms on CPU", o.stormCPU, ", recorder on CPU", o.recordCPU, ")")
	mbo, mro := median(baseOpen), median(recOpen)
	mbe, mre := median(baseExec), median(recExec)
	fmt.Printf("  open storm   baseline %10.0f/s  with recorder %10.0f/s  slowdown %5.1f%%  (target <= 10%%)\n", mbo, mro, 100*(1-mro/mbo))
	fmt.Printf("  exec storm   baseline %10.0f/s  with recorder %10.0f/s  slowdown %5.1f%%  (target <= 3%%)\n", mbe, mre, 100*(1-mre/mbe))
	fmt.Printf("  recorder CPU %.1f%% of one core while recording; peak RSS %.1f MiB (target <= 100 MiB)\n",
		100*cpu.Seconds()/elapsed.Seconds(), float64(peak)/(1<<20))
	if tot.events > 0 {
		fmt.Printf("  recorded %d events, %.2f bytes/event on disk, drops kernel %d user %d\n",
			tot.events, float64(tot.bytes)/float64(tot.events), tot.dropsKern, tot.dropsUser)
	}

	if err := zeroDropSearch(o, work, target); err != nil {
		return err
	}
	return auditComparison(o, mbe)
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
func auditComparison(o options, baseline float64) error {
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
	r, err := storm.Exec("/bin/true", o.execs, o.stormCPU)
	if err != nil {
		return err
	}
	fmt.Printf("  exec storm under auditd execve rule %10.0f/s  slowdown %5.1f%% (vs the same run's baseline)\n", r.PerSec, 100*(1-r.PerSec/baseline))
	return nil
}
