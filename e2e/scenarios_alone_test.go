package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestScenariosWriteTruthAndCleanUp runs each scenario without a
// recorder: it must exit 0, write a truth file that loads strictly and
// names real values, and leave the host as it found it (nothing new in
// /etc, /etc/cron.d, /dev/shm, the cgroup v2 root or /tmp, no mounts).
func TestScenariosWriteTruthAndCleanUp(t *testing.T) {
	RequireRoot(t)
	sha := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, name := range scenarioNames(t) {
		t.Run(name, func(t *testing.T) {
			before := hostState(t)
			truthPath := runScenario(t, name, t.TempDir())
			after := hostState(t)
			for place, was := range before {
				if added := newEntries(was, after[place]); len(added) > 0 {
					t.Errorf("%s left %q in %s", name, added, place)
				}
			}

			tr, err := LoadTruth(truthPath)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Scenario != name {
				t.Errorf("truth names scenario %q, want %q", tr.Scenario, name)
			}
			if tr.StartedNs <= 0 || tr.FinishedNs < tr.StartedNs {
				t.Errorf("run times [%d, %d] are not a range", tr.StartedNs, tr.FinishedNs)
			}
			if len(tr.Execs)+len(tr.Opens)+len(tr.Files)+len(tr.Net)+len(tr.Security) == 0 {
				t.Errorf("truth expects no rows at all")
			}
			for pid := range tr.Pids() {
				if pid <= 1 {
					t.Errorf("truth names pid %d", pid)
				}
			}
			for _, e := range tr.Execs {
				if e.Exe != nil && e.Exe.Sha256 != "" && !sha.MatchString(e.Exe.Sha256) {
					t.Errorf("exec pid %d: sha256 %q is not 64 hex digits", e.Pid, e.Exe.Sha256)
				}
				if e.ContainerID != nil && !sha.MatchString(*e.ContainerID) {
					t.Errorf("exec pid %d: container id %q is not 64 hex digits", e.Pid, *e.ContainerID)
				}
			}
		})
	}
}

// hostState lists what a scenario may touch outside its temp dir.
func hostState(t *testing.T) map[string][]string {
	t.Helper()
	state := map[string][]string{}
	for _, dir := range []string{"/etc", "/etc/cron.d", "/dev/shm", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			state[dir] = append(state[dir], e.Name())
		}
	}
	tmp, _ := filepath.Glob("/tmp/rewind-sample-*")
	state["/tmp"] = tmp
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mounts), "\n") {
		if strings.Contains(line, "rewind-sample") {
			state["mounts"] = append(state["mounts"], line)
		}
	}
	return state
}

func newEntries(before, after []string) []string {
	var added []string
	for _, a := range after {
		if !slices.Contains(before, a) {
			added = append(added, a)
		}
	}
	return added
}
