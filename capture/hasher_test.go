package capture

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func statIdentity(t *testing.T, path string) ExeIdentity {
	t.Helper()
	var s unix.Stat_t
	if err := unix.Stat(path, &s); err != nil {
		t.Fatal(err)
	}
	return identityOf(&s)
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// waitResult waits for the one result of a submitted job.
func waitResult(t *testing.T, h *Hasher) HashResult {
	t.Helper()
	select {
	case <-h.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("no hash result within 10 s")
	}
	rs := h.Take(nil)
	if len(rs) != 1 {
		t.Fatalf("got %d results, want 1: %+v", len(rs), rs)
	}
	return rs[0]
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestHasherIdentityRulesForPaths(t *testing.T) {
	tests := []struct {
		name      string
		after     func(t *testing.T, path string) // what happens to the file between exec and hashing
		maxSize   int64
		source    string
		errSubstr string
		hashed    bool
	}{
		{"an unchanged file is hashed through its path", func(*testing.T, string) {}, 0, HashFromPath, "", true},
		{"a file replaced by rename is not hashed under the old identity", func(t *testing.T, p string) {
			writeFile(t, p+".new", "#!/bin/sh\necho evil\n")
			if err := os.Rename(p+".new", p); err != nil {
				t.Fatal(err)
			}
		}, 0, HashChanged, "another file", false},
		{"a file rewritten in place is not hashed", func(t *testing.T, p string) {
			time.Sleep(10 * time.Millisecond)
			writeFile(t, p, "#!/bin/sh\necho EVIL\n")
		}, 0, HashChanged, "modified since exec", false},
		{"a touched file is not hashed", func(t *testing.T, p string) {
			future := time.Now().Add(time.Hour)
			if err := os.Chtimes(p, future, future); err != nil {
				t.Fatal(err)
			}
		}, 0, HashChanged, "modified since exec", false},
		{"a deleted file is gone", func(t *testing.T, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}, 0, HashGone, "no longer exists", false},
		{"a file over the cap is not read", func(*testing.T, string) {}, 4, HashFailed, "too large: 20 bytes, cap 4", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "prog")
			writeFile(t, path, "#!/bin/sh\necho good\n")
			id := statIdentity(t, path)
			want := sha256File(t, path)
			tt.after(t, path)

			h := NewHasher(HasherOptions{Workers: 1, MaxSize: tt.maxSize})
			defer h.Close()
			if st := h.Submit(0, path, id); st != SubmitQueued {
				t.Fatalf("Submit = %d, want queued", st)
			}
			r := waitResult(t, h)
			if r.Source != tt.source || !strings.Contains(r.Error, tt.errSubstr) {
				t.Fatalf("result %+v, want source %q and an error containing %q", r, tt.source, tt.errSubstr)
			}
			if tt.hashed && r.Sha256 != want || !tt.hashed && r.Sha256 != "" {
				t.Fatalf("sha256 = %q, want %q (hashed %v)", r.Sha256, want, tt.hashed)
			}
			if r.Identity != id {
				t.Fatalf("identity %+v, want %+v", r.Identity, id)
			}
		})
	}
}

// startCopyOf runs a private copy of sleep, so the test may delete or
// replace the file while it runs.
func startCopyOf(t *testing.T, name string) (*exec.Cmd, string) {
	t.Helper()
	src, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not found: %v", name, err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, path
}

func TestHasherPinsProcExeOfALiveProcess(t *testing.T) {
	tests := []struct {
		name  string
		after func(t *testing.T, path string)
	}{
		{"the file still in place", func(*testing.T, string) {}},
		{"the file deleted after exec", func(t *testing.T, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}},
		{"the file replaced by rename after exec", func(t *testing.T, p string) {
			writeFile(t, p+".new", "not the program")
			if err := os.Rename(p+".new", p); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, path := startCopyOf(t, "sleep")
			id := statIdentity(t, path)
			want := sha256File(t, path)
			tt.after(t, path)

			h := NewHasher(HasherOptions{Workers: 1})
			defer h.Close()
			h.Submit(int32(cmd.Process.Pid), path, id)
			r := waitResult(t, h)
			if r.Source != HashFromProcExe || r.Sha256 != want {
				t.Fatalf("result %+v, want source proc_exe and sha256 %s", r, want)
			}
		})
	}
}

func TestHasherPinnedFileOutlivesTheProcess(t *testing.T) {
	cmd, path := startCopyOf(t, "sleep")
	id := statIdentity(t, path)
	want := sha256File(t, path)
	// The worker is held until the process is dead and its file deleted:
	// the file pinned by Submit at "exec" time still hashes.
	h := NewHasher(HasherOptions{Workers: 1})
	defer h.Close()
	release := make(chan struct{})
	h.beforeJob = func() { <-release }
	h.Submit(int32(cmd.Process.Pid), path, id)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	close(release)
	if r := waitResult(t, h); r.Source != HashFromProcExe || r.Sha256 != want {
		t.Fatalf("result %+v, want proc_exe with %s", r, want)
	}

	// Submitted only after the process died, nothing can be pinned and
	// the deleted path is gone: why the event path submits at exec.
	if st := h.Submit(int32(cmd.Process.Pid), path, id); st != SubmitCached {
		t.Fatalf("Submit = %d, want cached", st)
	}
	late := NewHasher(HasherOptions{Workers: 1})
	defer late.Close()
	late.Submit(int32(cmd.Process.Pid), path, id)
	if r := waitResult(t, late); r.Source != HashGone || r.Sha256 != "" {
		t.Fatalf("late result %+v, want gone", r)
	}
}

func TestIdentityMismatch(t *testing.T) {
	base := ExeIdentity{Dev: 1, Ino: 2, Ctime: 3_000_000_000, Mtime: 2_000_000_000, Size: 10}
	tests := []struct {
		name   string
		change func(*ExeIdentity)
		want   string
	}{
		{"the same identity matches", func(*ExeIdentity) {}, ""},
		{"an earlier file ctime does not", func(h *ExeIdentity) { h.Ctime -= 1 << 31 }, "modified since exec"},
		{"a later file ctime does not", func(h *ExeIdentity) { h.Ctime++ }, "modified since exec"},
		{"another inode", func(h *ExeIdentity) { h.Ino++ }, "another file"},
		{"another size", func(h *ExeIdentity) { h.Size++ }, "size changed since exec"},
		{"another mtime", func(h *ExeIdentity) { h.Mtime++ }, "modified since exec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have := base
			tt.change(&have)
			if got := base.mismatch(have); !strings.HasPrefix(got, tt.want) || (tt.want == "") != (got == "") {
				t.Fatalf("mismatch = %q, want prefix %q", got, tt.want)
			}
		})
	}
}

func TestHasherCachesByIdentity(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prog")
	writeFile(t, path, "#!/bin/sh\n")
	id := statIdentity(t, path)
	h := NewHasher(HasherOptions{Workers: 1})
	defer h.Close()
	h.Submit(0, path, id)
	first := waitResult(t, h)
	if st := h.Submit(0, path, id); st != SubmitCached {
		t.Fatalf("second Submit = %d, want cached", st)
	}
	got, ok := h.Lookup(id)
	if !ok || got.Sha256 != first.Sha256 {
		t.Fatalf("Lookup = %+v, %v; want %s", got, ok, first.Sha256)
	}
	other := id
	other.Mtime++
	if _, ok := h.Lookup(other); ok {
		t.Fatal("a different mtime hit the cache")
	}
	if s := h.Stats(); s.Hashed != 1 || s.CacheHits != 1 {
		t.Fatalf("stats %+v, want 1 hashed and 1 cache hit", s)
	}
}

func TestHasherDoesNotCacheFailures(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prog")
	writeFile(t, path, "x")
	id := statIdentity(t, path)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	h := NewHasher(HasherOptions{Workers: 1})
	defer h.Close()
	h.Submit(0, path, id)
	if r := waitResult(t, h); r.Source != HashGone {
		t.Fatalf("result %+v, want gone", r)
	}
	if st := h.Submit(0, path, id); st != SubmitQueued {
		t.Fatalf("Submit after a failure = %d, want queued again", st)
	}
}

func TestHasherDropsWhenTheQueueIsFull(t *testing.T) {
	dir := t.TempDir()
	h := NewHasher(HasherOptions{Workers: 1, QueueLen: 1})
	started := make(chan struct{}, 8)
	release := make(chan struct{})
	h.beforeJob = func() { started <- struct{}{}; <-release }
	var statuses []SubmitStatus
	for i := 0; i < 4; i++ {
		p := filepath.Join(dir, "f"+string(rune('a'+i)))
		writeFile(t, p, strings.Repeat("x", i+1))
		statuses = append(statuses, h.Submit(0, p, statIdentity(t, p)))
		if i == 0 {
			<-started // the worker holds job 0; the queue has room for one more
		}
	}
	close(release)
	h.Close()
	want := []SubmitStatus{SubmitQueued, SubmitQueued, SubmitDropped, SubmitDropped}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses %v, want %v", statuses, want)
		}
	}
	rs := h.Take(nil)
	if len(rs) != 4 {
		t.Fatalf("%d results, want one per submit: %+v", len(rs), rs)
	}
	var full int
	for _, r := range rs {
		if r.Source == HashFailed && r.Error == "hash queue full" {
			full++
		}
	}
	if full != 2 || h.Stats().QueueFull != 2 {
		t.Fatalf("%d queue-full results, stats %+v; want 2", full, h.Stats())
	}
}

func TestHasherSubmitRacingClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prog")
	writeFile(t, path, "x")
	base := statIdentity(t, path)
	for round := 0; round < 20; round++ {
		h := NewHasher(HasherOptions{Workers: 1, QueueLen: 4})
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					id := base
					id.Mtime += int64(g*1000 + i) // distinct identities: each one a job
					h.Submit(0, path, id)
				}
			}(g)
		}
		h.Close() // must not panic a Submit that is about to send
		wg.Wait()
		h.Take(nil)
	}
}

// TestHasherPinsScripts covers SubmitScript: a #! script is pinned at
// submit through its path, or through the descriptor its interpreter
// reads it from, so a script that deletes or rewrites itself after the
// submit is still hashed as it ran, and one changed before it is not.
func TestHasherPinsScripts(t *testing.T) {
	const good = "#!/bin/sh\necho good\n"
	tests := []struct {
		name string
		// before runs between exec and submit, after between submit and
		// hashing; holder makes a process hold the script open.
		before, after func(t *testing.T, path string)
		holder        bool
		source        string
		errSubstr     string
		hashed        bool
	}{
		{name: "a script in place is pinned through its path", source: HashFromPath, hashed: true},
		{name: "a script deleted after the submit is hashed from the pin", after: remove, source: HashFromPath, hashed: true},
		{name: "a script rewritten after the submit is not hashed", after: rewrite, source: HashChanged, errSubstr: "modified since exec"},
		{name: "a deleted script its interpreter holds is hashed through the descriptor", before: remove, holder: true, source: HashFromProcFd, hashed: true},
		{name: "a chmod'ed script its interpreter holds is hashed through the descriptor", before: chmod, holder: true, source: HashFromProcFd, hashed: true},
		{name: "a held script rewritten before the submit is not hashed", before: rewrite, holder: true, source: HashChanged, errSubstr: "modified since exec"},
		{name: "a deleted script nobody holds is gone", before: remove, source: HashGone, errSubstr: "no longer exists"},
		{name: "a chmod'ed script nobody holds is not hashed", before: chmod, source: HashChanged, errSubstr: "modified since exec"},
		{name: "a script swapped for a FIFO does not stall the hasher", before: func(t *testing.T, p string) {
			remove(t, p)
			if err := unix.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
		}, source: HashChanged}, // "another file", or "modified" when the FIFO got the freed inode number
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "script")
			writeFile(t, path, good)
			id := statIdentity(t, path)
			want := sha256File(t, path)
			var pid int32
			if tt.holder {
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command("sleep", "30")
				cmd.ExtraFiles = []*os.File{f}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				f.Close()
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				pid = int32(cmd.Process.Pid)
			}
			if tt.before != nil {
				tt.before(t, path)
			}
			h := NewHasher(HasherOptions{Workers: 1})
			defer h.Close()
			hold := make(chan struct{})
			h.beforeJob = func() { <-hold }
			if st := h.SubmitScript(pid, path, id); st != SubmitQueued {
				t.Fatalf("SubmitScript = %d, want queued", st)
			}
			if tt.after != nil {
				tt.after(t, path)
			}
			close(hold)
			r := waitResult(t, h)
			if r.Source != tt.source || !strings.Contains(r.Error, tt.errSubstr) {
				t.Fatalf("result %+v, want source %q and an error containing %q", r, tt.source, tt.errSubstr)
			}
			if tt.hashed && r.Sha256 != want || !tt.hashed && r.Sha256 != "" {
				t.Fatalf("sha256 = %q, want %q (hashed %v)", r.Sha256, want, tt.hashed)
			}
		})
	}
}

func remove(t *testing.T, p string) {
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

// rewrite changes the script's bytes in place (same inode, same size).
func rewrite(t *testing.T, p string) {
	time.Sleep(10 * time.Millisecond) // a later mtime on coarse clocks
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("EVIL"), 15); err != nil {
		t.Fatal(err)
	}
}

func chmod(t *testing.T, p string) {
	time.Sleep(10 * time.Millisecond)
	if err := os.Chmod(p, 0o700); err != nil {
		t.Fatal(err)
	}
}
