package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// procTruth is what /proc says about a live process.
type procTruth struct {
	Pid  int `json:"pid"`
	Ppid int `json:"ppid"`
	// NSpid lists the pid in each nested pid namespace, outermost first.
	NSpid []int `json:"nspid"`
	// StartNs is the start time in ns since the epoch; /proc gives it in
	// clock ticks, so it is exact to 1/CLK_TCK (10 ms) only.
	StartNs int64             `json:"start_ns"`
	Exe     string            `json:"exe"`
	Cgroup  string            `json:"cgroup"` // the cgroup v2 ("0::") path
	Ns      map[string]uint64 `json:"ns"`     // namespace kind -> inode
}

const clockTicksPerSecond = 100 // USER_HZ on every Linux architecture we run on

func runProcInfo(args []string) error {
	if err := wantArgs(args, 1, "procinfo"); err != nil {
		return err
	}
	pid, err := strconv.Atoi(args[0])
	if err != nil {
		return fmt.Errorf("pid %q: %w", args[0], err)
	}
	pt, err := readProc(pid)
	if err != nil {
		return err
	}
	return writeJSON("-", pt)
}

func readProc(pid int) (procTruth, error) {
	dir := fmt.Sprintf("/proc/%d", pid)
	pt := procTruth{Pid: pid, Ns: map[string]uint64{}}

	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return pt, fmt.Errorf("read %s/stat: %w", dir, err)
	}
	// The comm field may hold spaces and parentheses: split after the last ')'.
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return pt, fmt.Errorf("parse %s/stat: no ')'", dir)
	}
	fields := strings.Fields(string(stat[end+1:]))
	// fields[0] is state (field 3); ppid is field 4, starttime field 22.
	if len(fields) < 20 {
		return pt, fmt.Errorf("parse %s/stat: %d fields", dir, len(fields))
	}
	pt.Ppid, _ = strconv.Atoi(fields[1])
	ticks, err := strconv.ParseInt(fields[19], 10, 64)
	if err != nil {
		return pt, fmt.Errorf("parse %s/stat starttime: %w", dir, err)
	}
	boot, err := bootTimeNs()
	if err != nil {
		return pt, err
	}
	pt.StartNs = boot + ticks*(1e9/clockTicksPerSecond)

	status, err := os.Open(dir + "/status")
	if err != nil {
		return pt, fmt.Errorf("read %s/status: %w", dir, err)
	}
	defer status.Close()
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "NSpid:"); ok {
			for _, f := range strings.Fields(rest) {
				n, _ := strconv.Atoi(f)
				pt.NSpid = append(pt.NSpid, n)
			}
		}
	}

	pt.Exe, _ = os.Readlink(dir + "/exe")
	if cg, err := os.ReadFile(dir + "/cgroup"); err == nil {
		for _, line := range strings.Split(string(cg), "\n") {
			if p, ok := strings.CutPrefix(line, "0::"); ok {
				pt.Cgroup = p
			}
		}
	}
	for _, kind := range []string{"mnt", "pid", "net", "uts", "ipc", "user", "cgroup"} {
		var st unix.Stat_t
		if err := unix.Stat(dir+"/ns/"+kind, &st); err == nil {
			pt.Ns[kind] = st.Ino
		}
	}
	return pt, nil
}

// bootTimeNs is the epoch time of boot: realtime minus boottime, read
// back to back.
func bootTimeNs() (int64, error) {
	var real, boot unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME, &real); err != nil {
		return 0, fmt.Errorf("clock_gettime: %w", err)
	}
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &boot); err != nil {
		return 0, fmt.Errorf("clock_gettime: %w", err)
	}
	return real.Nano() - boot.Nano(), nil
}
