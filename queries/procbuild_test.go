//go:build duckdb_arrow

package queries

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rewind-sh/rewind/format"
)

// TestGoBuiltTablesMatchSQL builds the process instance tables with the
// SQL of testdata/reference_instances.sql, which states the model
// declaratively, and checks that procbuild.go's tables hold exactly the
// same rows, every column, on the synthetic recording and on every
// sample recording.
func TestGoBuiltTablesMatchSQL(t *testing.T) {
	dirs := allRecordings(t)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) { checkReferenceTables(t, dir) })
	}
}

// allRecordings lists the synthetic recording and every sample recording.
func allRecordings(t *testing.T) []string {
	t.Helper()
	dirs := []string{sampleDir}
	scenarios, _ := filepath.Glob(filepath.Join(samplesDir, "*", "manifest.json"))
	for _, m := range scenarios {
		dirs = append(dirs, filepath.Dir(m))
	}
	if len(dirs) < 2 {
		t.Fatalf("no sample recordings under %s", samplesDir)
	}
	return dirs
}

// checkReferenceTables builds the process tables of the recording in dir
// with procbuild.go and with testdata/reference_instances.sql, and
// fails on any row that differs.
func checkReferenceTables(t *testing.T, dir string) {
	t.Helper()
	ref, err := os.ReadFile("testdata/reference_instances.sql")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, _, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Query(ctx, "sql", "SELECT count(*) FROM processes", &collectSink{}); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	for _, s := range strings.SplitAfter(string(ref), ";\n") {
		if strings.TrimSpace(stripComments(s)) == "" {
			continue
		}
		for i := 0; i < maxForkChain; i++ {
			res, err := r.conn.ExecContext(ctx, s)
			if err != nil {
				r.mu.Unlock()
				t.Fatalf("reference SQL: %v", err)
			}
			// Only the inheritance UPDATE repeats.
			if n, _ := res.RowsAffected(); !strings.Contains(s, "UPDATE") || n == 0 {
				break
			}
		}
	}
	r.mu.Unlock()
	var n int
	err = r.conn.QueryRowContext(ctx, "SELECT count(*) FROM _proc3").Scan(&n)
	if err != nil || n == 0 {
		t.Fatalf("no instances (%v)", err)
	}
	for _, pair := range [][2]string{{"_proc3", "_ref_proc3"}, {"_tree", "_ref_tree"}} {
		for _, q := range []string{
			fmt.Sprintf("SELECT * FROM %s EXCEPT ALL SELECT * FROM %s", pair[0], pair[1]),
			fmt.Sprintf("SELECT * FROM %s EXCEPT ALL SELECT * FROM %s", pair[1], pair[0]),
		} {
			c := &collectSink{}
			if err := r.Query(ctx, "sql", q, c); err != nil {
				t.Fatal(err)
			}
			if len(c.rows) > 0 {
				t.Errorf("%s: %d rows differ, first: %v", q, len(c.rows), c.rows[0])
			}
		}
	}
}

// TestLeaderExitsThatDoNotEndTheProcess: when a thread other than the
// leader calls exec, the recording holds the leader's exit and then the
// exec under the same pid with the process's start time; the process
// goes on and is one instance. A pid reused after a real exit is a new
// instance. Each case is checked against the instances wanted, against
// the reference SQL, and the scoped tree and timeline against the
// process tables.
func TestLeaderExitsThatDoNotEndTheProcess(t *testing.T) {
	const ms = 1_000_000
	forked := func(atMs int64) int64 { return atMs*ms - 20_000 } // start of a child forked at atMs
	type want struct {
		id         string
		start, end int64 // ns after sampleT0
	}
	execByThread := func(g *sampleGen) {
		g.at(100)
		g.fork(100, 200)
		g.at(101)
		g.exec(200, "/usr/bin/app", 50, -86400_000, "app")
		g.thread(200, 201)
		g.thread(200, 202)
		g.at(105)
		g.open(200, "/etc/hosts", oRdonly, 3)
		// Thread 201 calls exec: the kernel ends 202 and the leader.
		g.at(110)
		g.threadExit(200, 202)
		g.leaderExit(200)
		g.at(111)
		g.exec(200, "/memfd:app", 51, 100, "app", "--stage2")
		g.at(120)
		g.open(200, "/etc/passwd", oRdonly, 3)
		g.at(130)
		g.exit(200, 0)
	}
	reuse := func(g *sampleGen) {
		g.at(200)
		g.fork(100, 200)
		g.at(201)
		g.exec(200, "/usr/bin/id", 52, -86400_000, "id")
		g.at(210)
		g.exit(200, 0)
	}
	cases := []struct {
		name   string
		script func(g *sampleGen)
		want   []want
	}{
		{"exec by a thread", execByThread, []want{{"200:0", forked(100), 130 * ms}}},
		{"pid reused", func(g *sampleGen) {
			g.at(100)
			g.fork(100, 200)
			g.at(101)
			g.exec(200, "/usr/bin/app", 50, -86400_000, "app")
			g.at(110)
			g.exit(200, 0)
			reuse(g)
		}, []want{{"200:0", forked(100), 110 * ms}, {"200:1", forked(200), 210 * ms}}},
		{"exec by a thread, then the pid reused", func(g *sampleGen) {
			execByThread(g)
			reuse(g)
		}, []want{{"200:0", forked(100), 130 * ms}, {"200:1", forked(200), 210 * ms}}},
		{"pid reused, its fork not recorded", func(g *sampleGen) {
			g.at(100)
			g.fork(100, 200)
			g.at(101)
			g.exec(200, "/usr/bin/app", 50, -86400_000, "app")
			g.at(110)
			g.exit(200, 0)
			// A new process took pid 200 at 199 ms; only its exec is
			// recorded, with a start after the exit.
			g.at(199)
			c := *g.proc(100)
			c.pid, c.ppid, c.start = 200, 100, g.now
			g.live[200] = &c
			g.at(201)
			g.exec(200, "/usr/bin/id", 52, -86400_000, "id")
			g.at(210)
			g.exit(200, 0)
		}, []want{{"200:0", forked(100), 110 * ms}, {"200:1", 199 * ms, 210 * ms}}},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, full := scriptedRunner(t, c.script)
			got := &collectSink{}
			err := full.Query(ctx, "sql", `SELECT proc_id, start_t, end_t FROM processes WHERE pid = 200
				ORDER BY start_t, proc_id`, got)
			if err != nil {
				t.Fatal(err)
			}
			var gotInst []want
			for _, row := range got.rows {
				gotInst = append(gotInst, want{str(row[0]), toInt(row[1]) - sampleT0, toInt(row[2]) - sampleT0})
			}
			if !slices.Equal(gotInst, c.want) {
				t.Errorf("instances of pid 200: %v, want %v", gotInst, c.want)
			}
			checkScopedMatches(t, dir, full, []string{"100", "200"}, []int64{0, 105 * ms, 120 * ms, 205 * ms})
		})
	}
}

// TestChildrenTakeTheImageTheirParentHadAtTheFork: a child that never
// exec'd takes the image its parent had when it forked, not the one the
// parent exec'd after: a shell forks a subshell and then execs readlink.
// Each case is checked against the images wanted, against the reference
// SQL, and the scoped tree and timeline against the process tables.
func TestChildrenTakeTheImageTheirParentHadAtTheFork(t *testing.T) {
	type want struct {
		id        string
		known     bool
		from, sha string
	}
	// 100 (bash, from the keyframe) forks 200, which execs bash: an image
	// with a hash.
	shell := func(g *sampleGen) {
		g.at(100)
		g.fork(100, 200)
		g.at(101)
		g.exec(200, "/usr/bin/bash", 30, -86400_000, "bash", "-c", "job")
	}
	readlink := func(g *sampleGen, pid int32) { g.exec(pid, "/usr/bin/readlink", 31, -86400_000, "readlink", "-f", "x") }
	cat := func(g *sampleGen, pid int32) { g.exec(pid, "/usr/bin/cat", 32, -86400_000, "cat", "x") }
	exitAll := func(g *sampleGen, pids ...int32) {
		g.at(150)
		for _, pid := range pids {
			g.exit(pid, 0)
		}
	}
	bash, rl := sha("/usr/bin/bash"), sha("/usr/bin/readlink")
	cases := []struct {
		name   string
		script func(g *sampleGen)
		want   []want
	}{
		{"fork, then the parent execs", func(g *sampleGen) {
			shell(g)
			g.at(110)
			g.fork(200, 300)
			g.at(112)
			g.fork(300, 400)
			g.at(120)
			readlink(g, 300)
			exitAll(g, 400, 300, 200)
		}, []want{{"300:0", true, "", rl}, {"400:0", true, "200:0", bash}}},
		{"the parent execs, then forks", func(g *sampleGen) {
			shell(g)
			g.at(110)
			g.fork(200, 300)
			g.at(112)
			readlink(g, 300)
			g.at(114)
			g.fork(300, 400)
			exitAll(g, 400, 300, 200)
		}, []want{{"300:0", true, "", rl}, {"400:0", true, "300:0", rl}}},
		{"two forks up: both parents exec after forking", func(g *sampleGen) {
			shell(g)
			g.at(110)
			g.fork(200, 300)
			g.at(112)
			g.fork(300, 400)
			g.at(114)
			g.fork(400, 500)
			g.at(116)
			readlink(g, 400)
			g.at(118)
			cat(g, 300)
			exitAll(g, 500, 400, 300, 200)
		}, []want{{"400:0", true, "", rl}, {"500:0", true, "200:0", bash}}},
		{"the parent execs before and after the fork", func(g *sampleGen) {
			shell(g)
			g.at(110)
			g.fork(200, 300)
			g.at(112)
			readlink(g, 300)
			g.at(114)
			g.fork(300, 400)
			g.at(116)
			cat(g, 300)
			exitAll(g, 400, 300, 200)
		}, []want{{"400:0", false, "", ""}}},
		{"a parent from the keyframe execs after the fork", func(g *sampleGen) {
			g.at(100)
			g.fork(100, 200)
			g.at(110)
			readlink(g, 100)
			exitAll(g, 200)
		}, []want{{"200:0", false, "", ""}}},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, full := scriptedRunner(t, c.script)
			for _, w := range c.want {
				got := &collectSink{}
				err := full.Query(ctx, "sql", `SELECT proc_id, image_known, coalesce(image_from, ''), coalesce(sha256, '')
					FROM processes WHERE proc_id = ?`, got, w.id)
				if err != nil {
					t.Fatal(err)
				}
				if len(got.rows) != 1 {
					t.Fatalf("%s: %d rows, want 1", w.id, len(got.rows))
				}
				row := got.rows[0]
				if g := (want{str(row[0]), row[1] == true, str(row[2]), str(row[3])}); g != w {
					t.Errorf("image of %s: %+v, want %+v", w.id, g, w)
				}
			}
			checkScopedMatches(t, dir, full, []string{"100", "200", "300"}, []int64{0})
		})
	}
}

// scriptedRunner writes script's recording and opens a Runner on it.
func scriptedRunner(t *testing.T, script func(g *sampleGen)) (string, *Runner) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rec")
	if err := writeScriptRecording(dir, script); err != nil {
		t.Fatal(err)
	}
	r, _, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return dir, r
}

// checkScopedMatches checks the process tables of the recording in dir
// against the reference SQL, and the scoped tree (as of each time in ats
// after sampleT0; 0: no --at) and timeline of each pid against full's.
func checkScopedMatches(t *testing.T, dir string, full *Runner, pids []string, ats []int64) {
	t.Helper()
	checkReferenceTables(t, dir)
	scoped, _, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer scoped.Close()
	tree, _ := Named("process-tree")
	timeline, _ := Named("timeline")
	for _, pid := range pids {
		for _, at := range ats {
			params := map[string]string{"pid": pid}
			if at != 0 {
				params["at"] = strconv.FormatInt(sampleT0+at, 10)
			}
			compareNamed(t, full, scoped, tree, params)
		}
		compareNamed(t, full, scoped, timeline, map[string]string{"pid": pid})
	}
}

// writeScriptRecording writes a recording whose keyframe holds init (1)
// and a shell (100), and then script's rows.
func writeScriptRecording(dir string, script func(g *sampleGen)) error {
	g := &sampleGen{live: map[int32]*sampleProc{}, hashed: map[uint64]bool{}}
	boot := sampleT0 - 3600*1_000_000_000
	for _, p := range []*sampleProc{
		{pid: 1, exe: "/usr/lib/systemd/systemd", comm: "systemd", ino: 11, argv: []string{"/sbin/init"}},
		{pid: 100, ppid: 1, exe: "/usr/bin/bash", comm: "bash", ino: 20, argv: []string{"bash"}},
	} {
		p.start = boot + int64(p.pid)*1_000_000_123
		p.ctime = boot - 86400*1_000_000_000
		p.size = int64(10000 + p.ino)
		p.cgroup = "/system.slice"
		g.live[p.pid] = p
	}
	g.at(0)
	w, err := format.Create(format.WriterOptions{
		Dir:      dir,
		Keyframe: g.keyframe,
		Host:     format.HostInfo{Hostname: "sample-host", BootID: "00000000-0000-4000-8000-000000000002", KernelRelease: "6.8.0-test", RecorderVersion: "test", BootTimeNs: bootNs, NumCPU: 2},
		Now:      func() time.Time { return time.Unix(0, g.now) },
	})
	if err != nil {
		return err
	}
	g.w = w
	script(g)
	if g.err != nil {
		w.Close()
		return g.err
	}
	return w.Close()
}

// thread records pid's clone of thread tid: the recorder's child_pid is
// the new task's thread group, the caller's own pid.
func (g *sampleGen) thread(pid, tid int32) {
	ev := g.event(format.KindFork, "clone", pid)
	ev.ChildPid, ev.ChildTid, ev.CloneFlags = pid, tid, 0x3d0f00 // CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|...
	ev.Ret = int64(tid)
	g.add(ev)
}

// threadExit records the exit of thread tid of pid.
func (g *sampleGen) threadExit(pid, tid int32) {
	ev := g.event(format.KindExit, "sched_process_exit", pid)
	ev.Tid, ev.Vtid = tid, tid
	g.add(ev)
}

// leaderExit records the exit of pid's leader thread while the process
// goes on (an exec by another thread).
func (g *sampleGen) leaderExit(pid int32) {
	g.add(g.event(format.KindExit, "sched_process_exit", pid))
}

// TestPidTableFindsEveryPid: pids the kernel can give (direct pages) and
// any other int32 (open addressing, grown past its first size) each get
// one entry, found again by index and get, and a pid never added is
// not found.
func TestPidTableFindsEveryPid(t *testing.T) {
	spread := make([]int32, 3000)
	for i := range spread {
		spread[i] = directPids + int32(i)*4096 // hashed, many in one home slot of small tables
	}
	cases := []struct {
		name string
		pids []int32
	}{
		{"direct", []int32{0, 1, 4095, 4096, 4097, 300000, directPids - 1}},
		{"hashed", []int32{directPids, -1, math.MinInt32, math.MaxInt32, -4096}},
		{"hashed, growing", spread},
		{"both", []int32{7, directPids + 7, -7, 1 << 21, 1<<21 + 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var pt pidTable
			for round := 0; round < 2; round++ { // the second round finds what the first added
				for i, pid := range c.pids {
					if got := pt.index(pid, true); got != int32(i) {
						t.Fatalf("round %d: index(%d) = %d, want %d", round, pid, got, i)
					}
					if pi := pt.get(pid, false); pi == nil || pi.pid != pid {
						t.Fatalf("get(%d) = %v", pid, pi)
					}
				}
			}
			if len(pt.entries) != len(c.pids) {
				t.Errorf("%d entries for %d pids", len(pt.entries), len(c.pids))
			}
			for _, pid := range []int32{2, 4098, directPids + 1, -2, math.MinInt32 + 1} {
				if slices.Contains(c.pids, pid) {
					continue
				}
				if got := pt.index(pid, false); got != -1 {
					t.Errorf("index(%d) of a pid never added = %d", pid, got)
				}
			}
		})
	}
}

// TestExecsJoinTheScriptHash checks execs.script_sha256: the hash row of
// the #! script's own identity, not the interpreter's, and none for a
// hash row of another version of the script (its ctime differs) or for
// an exec that ran no script.
func TestExecsJoinTheScriptHash(t *testing.T) {
	_, r := scriptedRunner(t, func(g *sampleGen) {
		g.at(1)
		g.fork(1, 300)
		g.at(2)
		g.exec(300, "/bin/sh", 77, -1000, "/bin/sh", "/tmp/job.sh")
		// a second exec of the same interpreter, this time for a script
		g.at(3)
		ex := g.event(format.KindExec, "execve", 300)
		imageEvent(ex, g.proc(300))
		ex.Filename, ex.Interpreter, ex.ScriptPath = "/tmp/job.sh", "/tmp/job.sh", "/tmp/job.sh"
		ex.ScriptDev, ex.ScriptIno, ex.ScriptCtime, ex.ScriptMtime, ex.ScriptSize = 0x803, 900, sampleT0-5e9, sampleT0-6e9, 42
		g.add(ex)
		for _, h := range []struct {
			ctime int64
			sum   string
		}{{sampleT0 - 5e9, "cafe"}, {sampleT0 - 7e9, "dead"}} {
			g.add(&format.Event{Ts: g.now, Kind: format.KindExeHash, ExeDev: 0x803, ExeIno: 900, ExeCtime: h.ctime,
				ExeMtime: sampleT0 - 6e9, ExeSize: 42, Sha256: h.sum, HashSource: "path"})
		}
	})
	got := queryText(t, r, "SELECT filename, script_sha256, sha256 = script_sha256 AS same FROM execs WHERE pid = 300 ORDER BY ts")
	want := "filename,script_sha256,same\n/bin/sh,,\n/tmp/job.sh,cafe,false\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
