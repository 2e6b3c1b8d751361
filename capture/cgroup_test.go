package capture

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCgroupResolverFindsTheTestsCgroup(t *testing.T) {
	p := newTestProcFS(t)
	if p.CgroupRoot == "" {
		t.Skip("no cgroup v2 mount on this host")
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	path := parseProcCgroup(b).v2
	var s unix.Stat_t
	if err := unix.Stat(p.CgroupRoot+path, &s); err != nil {
		t.Skipf("cgroup %s not visible: %v", path, err)
	}
	r := NewCgroupResolver(p.CgroupRoot)
	defer r.Close()
	got, _, ok := r.Lookup(s.Ino)
	if !ok || got != path {
		t.Fatalf("Lookup(%d) = %q, %v; want %q", s.Ino, got, ok, path)
	}
	// The walk gives the same answer as the handle.
	if w, ok := r.byWalk(s.Ino); !ok || w != path {
		t.Fatalf("byWalk = %q, %v; want %q", w, ok, path)
	}
	if _, _, ok := r.Lookup(1 << 62); ok {
		t.Fatal("a made-up id resolved")
	}
	if !r.misses[1<<62] {
		t.Fatal("a miss was not remembered")
	}
	r.Forget()
	if len(r.misses) != 0 {
		t.Fatal("Forget kept misses")
	}
}

func TestCgroupResolverLearnsPathsFromProc(t *testing.T) {
	r := NewCgroupResolver("/nonexistent-cgroup-root")
	defer r.Close()
	docker := "/system.slice/docker-" + idA + ".scope"
	r.Learn(77, docker)
	path, c, ok := r.Lookup(77)
	if !ok || path != docker || c.ID != idA || c.Runtime != RuntimeDocker {
		t.Fatalf("Lookup = %q %+v %v", path, c, ok)
	}
	if _, _, ok := r.Lookup(78); ok {
		t.Fatal("an unknown id resolved without a hierarchy")
	}
}
