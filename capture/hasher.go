package capture

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rewind-sh/rewind/format"
	"golang.org/x/sys/unix"
)

// ExeIdentity is what the kernel reported about an executed file at exec.
// A hash is only ever recorded under the identity of the bytes it hashed.
type ExeIdentity struct {
	Dev, Ino     uint64
	Ctime, Mtime int64 // ns since the epoch
	Size         int64
}

func identityOf(s *unix.Stat_t) ExeIdentity {
	return ExeIdentity{Dev: s.Dev, Ino: s.Ino, Ctime: s.Ctim.Nano(), Mtime: s.Mtim.Nano(), Size: s.Size}
}

// mismatch says how have differs from want, or "" when they are the same
// identity.
func (want ExeIdentity) mismatch(have ExeIdentity) string {
	switch {
	case have.Dev != want.Dev || have.Ino != want.Ino:
		return fmt.Sprintf("another file: dev %d ino %d, the kernel ran dev %d ino %d", have.Dev, have.Ino, want.Dev, want.Ino)
	case have.Ctime != want.Ctime || have.Mtime != want.Mtime:
		return fmt.Sprintf("modified since exec: ctime %d mtime %d, the kernel saw ctime %d mtime %d", have.Ctime, have.Mtime, want.Ctime, want.Mtime)
	case have.Size != want.Size:
		return fmt.Sprintf("size changed since exec: %d bytes, the kernel saw %d", have.Size, want.Size)
	}
	return ""
}

// Hash sources, as stored in the hash_source column.
const (
	HashFromProcExe = "proc_exe" // through /proc/PID/exe, pinned at exec
	HashFromPath    = "path"     // through the path, identity checked
	HashFromProcFd  = "proc_fd"  // a #! script through the descriptor its interpreter holds (/proc/PID/fd)
	HashFromCache   = "cache"    // hashed earlier under the same identity
	HashGone        = "gone"     // the process and the file were gone
	HashChanged     = "changed"  // the file no longer has the identity that ran
	HashFailed      = "error"    // read error, too large, queue full
)

// HashResult is the outcome for one executable identity.
type HashResult struct {
	Identity ExeIdentity
	Ts       int64
	Sha256   string
	Source   string
	Error    string
}

// Event is the exe_hash row of r.
func (r *HashResult) Event() format.Event {
	return format.Event{
		Ts: r.Ts, Kind: format.KindExeHash,
		ExeDev: r.Identity.Dev, ExeIno: r.Identity.Ino,
		ExeCtime: r.Identity.Ctime, ExeMtime: r.Identity.Mtime, ExeSize: r.Identity.Size,
		Sha256: r.Sha256, HashSource: r.Source, HashError: r.Error,
	}
}

// HasherOptions configure a Hasher; zero values pick the defaults.
type HasherOptions struct {
	Workers  int   // default: a quarter of the CPUs, 1 to 4
	QueueLen int   // jobs waiting for a worker, each holding an open file; default 256
	MaxSize  int64 // files larger than this are not hashed; default 256 MiB
	MaxCache int   // identities remembered; default 65536
	ProcRoot string
	Now      func() time.Time
}

// DefaultHashMaxSize is the default size cap of the hasher.
const DefaultHashMaxSize = 256 << 20

// Hasher computes sha256 of executed files on a bounded worker pool and
// caches the results by identity. Submit is fast enough for the event path:
// it opens /proc/PID/exe (pinning the very file that runs, even if the
// process exits a moment later) and queues the job without waiting.
// Results are collected with Take after Ready fires. A Hasher is safe for
// concurrent use.
type Hasher struct {
	opts  HasherOptions
	jobs  chan hashJob
	ready chan struct{}
	wg    sync.WaitGroup

	mu       sync.Mutex
	cache    map[ExeIdentity]HashResult
	inflight map[ExeIdentity]struct{}
	results  []HashResult
	closed   bool

	hashed, cacheHits, queueFull atomic.Uint64

	// beforeJob, when set (tests only), runs in a worker before each job.
	beforeJob func()
}

type hashJob struct {
	id   ExeIdentity
	pid  int32
	path string
	exe  *os.File // /proc/PID/exe opened at submit; nil when that failed
	// held is a #! script's file opened at submit, through its path when
	// the file there had the whole identity, else through the descriptor
	// its interpreter reads it from; heldSource says which.
	held       *os.File
	heldSource string
	script     bool
}

// close releases the files the job pinned.
func (j *hashJob) close() {
	for _, f := range []*os.File{j.exe, j.held} {
		if f != nil {
			f.Close()
		}
	}
}

// NewHasher starts the workers.
func NewHasher(opts HasherOptions) *Hasher {
	if opts.Workers <= 0 {
		// Hashing competes with the writer for CPU; most of it happens
		// at the first keyframe, and pinned files can wait their turn.
		opts.Workers = min(max(runtime.NumCPU()/4, 1), 4)
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = 256
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultHashMaxSize
	}
	if opts.MaxCache <= 0 {
		opts.MaxCache = 65536
	}
	if opts.ProcRoot == "" {
		opts.ProcRoot = "/proc"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Hasher{
		opts:     opts,
		jobs:     make(chan hashJob, opts.QueueLen),
		ready:    make(chan struct{}, 1),
		cache:    make(map[ExeIdentity]HashResult),
		inflight: make(map[ExeIdentity]struct{}),
	}
	for i := 0; i < opts.Workers; i++ {
		h.wg.Add(1)
		go h.work()
	}
	return h
}

// SubmitStatus says what Submit did.
type SubmitStatus uint8

const (
	SubmitQueued   SubmitStatus = iota // a job was queued; its result will come through Take
	SubmitCached                       // the identity is hashed already: see Lookup
	SubmitInflight                     // a job for this identity is already queued
	SubmitDropped                      // the queue was full; a failure result was recorded
)

// Submit asks for the hash of the executable that pid runs, which the
// kernel reported at path with identity id. It never blocks.
func (h *Hasher) Submit(pid int32, path string, id ExeIdentity) SubmitStatus {
	return h.submit(hashJob{id: id, pid: pid, path: path})
}

// SubmitScript asks for the hash of the #! script (or binfmt_misc file)
// that pid's exec ran through an interpreter, which the kernel reported
// at path with identity id. No /proc/PID/exe shows that file, so it is
// pinned here, before the script can delete or rewrite it: through its
// path when the file there has the whole identity, else through the
// descriptor the interpreter reads it from (a shell keeps its script
// open while it runs). It never blocks.
func (h *Hasher) SubmitScript(pid int32, path string, id ExeIdentity) SubmitStatus {
	return h.submit(hashJob{id: id, pid: pid, path: path, script: true})
}

func (h *Hasher) submit(job hashJob) SubmitStatus {
	id := job.id
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return SubmitDropped
	}
	if _, ok := h.cache[id]; ok {
		h.mu.Unlock()
		h.cacheHits.Add(1)
		return SubmitCached
	}
	if _, ok := h.inflight[id]; ok {
		h.mu.Unlock()
		return SubmitInflight
	}
	h.inflight[id] = struct{}{}
	h.mu.Unlock()

	switch {
	case job.script:
		job.held, job.heldSource = h.pinScript(job.pid, job.path, id)
	case job.pid > 0:
		// Pin the file now: the process may be gone before a worker runs.
		if f, err := openNonBlocking(h.opts.ProcRoot + "/" + strconv.Itoa(int(job.pid)) + "/exe"); err == nil {
			job.exe = f
		}
	}
	// The send happens under the lock (it never waits), so that Close
	// cannot close the queue between the check and the send.
	h.mu.Lock()
	queued := false
	if !h.closed {
		select {
		case h.jobs <- job:
			queued = true
		default:
		}
	}
	closed := h.closed
	h.mu.Unlock()
	if queued {
		return SubmitQueued
	}
	job.close()
	if closed {
		h.mu.Lock()
		delete(h.inflight, id)
		h.mu.Unlock()
		return SubmitDropped
	}
	h.queueFull.Add(1)
	h.finish(HashResult{Identity: id, Ts: h.opts.Now().UnixNano(), Source: HashFailed, Error: "hash queue full"}, false)
	return SubmitDropped
}

// Lookup returns the cached result for id.
func (h *Hasher) Lookup(id ExeIdentity) (HashResult, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.cache[id]
	return r, ok
}

// Ready receives a value when results are waiting to be taken.
func (h *Hasher) Ready() <-chan struct{} { return h.ready }

// Take appends the waiting results to dst and returns it.
func (h *Hasher) Take(dst []HashResult) []HashResult {
	h.mu.Lock()
	dst = append(dst, h.results...)
	h.results = h.results[:0]
	h.mu.Unlock()
	return dst
}

// HasherStats are running totals.
type HasherStats struct {
	Hashed, CacheHits, QueueFull uint64
}

// Stats returns the running totals.
func (h *Hasher) Stats() HasherStats {
	return HasherStats{Hashed: h.hashed.Load(), CacheHits: h.cacheHits.Load(), QueueFull: h.queueFull.Load()}
}

// Close finishes the queued jobs and stops the workers; results of the
// last jobs stay available to Take. Submit after Close drops.
func (h *Hasher) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.jobs) // under the lock: no Submit is between its check and its send
	h.mu.Unlock()
	h.wg.Wait()
}

func (h *Hasher) work() {
	defer h.wg.Done()
	buf := make([]byte, 128<<10)
	for job := range h.jobs {
		if h.beforeJob != nil {
			h.beforeJob()
		}
		r := h.hashJob(job, buf)
		r.Identity, r.Ts = job.id, h.opts.Now().UnixNano()
		// Only outcomes that cannot improve by trying again are cached:
		// a later exec of the same identity may still be alive to pin.
		h.finish(r, r.Sha256 != "" || r.Source == HashFailed && r.Error == tooLarge(job.id.Size, h.opts.MaxSize))
	}
}

func (h *Hasher) finish(r HashResult, cache bool) {
	h.mu.Lock()
	delete(h.inflight, r.Identity)
	if cache {
		if len(h.cache) >= h.opts.MaxCache {
			// Forget an arbitrary half; map order is random enough.
			n := 0
			for k := range h.cache {
				delete(h.cache, k)
				if n++; n >= h.opts.MaxCache/2 {
					break
				}
			}
		}
		h.cache[r.Identity] = r
	}
	h.results = append(h.results, r)
	h.mu.Unlock()
	select {
	case h.ready <- struct{}{}:
	default:
	}
}

func tooLarge(size, max int64) string {
	return fmt.Sprintf("too large: %d bytes, cap %d", size, max)
}

// hashJob applies the identity rule: hash the pinned /proc/PID/exe file if
// it is the identity that ran, else the path if it still is; otherwise
// say why not.
func (h *Hasher) hashJob(job hashJob, buf []byte) HashResult {
	defer job.close()
	if job.id.Size > h.opts.MaxSize {
		return HashResult{Source: HashFailed, Error: tooLarge(job.id.Size, h.opts.MaxSize)}
	}
	if job.exe != nil {
		r, ok := h.hashFile(job.exe, job.id, HashFromProcExe, false, buf)
		if ok {
			return r
		}
		// /proc/PID/exe showed another file: the pid exec'd again or was
		// reused before we opened it. The path may still be right.
	}
	if job.held != nil {
		// A script pinned through its path had the whole identity then,
		// one pinned through a descriptor its dev and ino. Deleting or
		// renaming it changes its ctime, not its bytes, so mtime and
		// size guard the content here, as for /proc/PID/exe.
		return h.hashPinned(job.held, job.id, job.heldSource, buf)
	}
	// Nothing pinned: the path is the last way to the file.
	gone := ""
	switch {
	case job.script && job.pid > 0:
		gone = "the interpreter held no descriptor of it and "
	case job.pid > 0:
		gone = "process exited and "
	}
	if job.path == "" {
		return HashResult{Source: HashGone, Error: gone + "no path was reported"}
	}
	f, err := openNonBlocking(job.path)
	if errors.Is(err, fs.ErrNotExist) {
		return HashResult{Source: HashGone, Error: fmt.Sprintf("%s%s no longer exists", gone, job.path)}
	}
	if err != nil {
		return HashResult{Source: HashFailed, Error: fmt.Sprintf("open %s: %v", job.path, err)}
	}
	defer f.Close()
	r, ok := h.hashFile(f, job.id, HashFromPath, true, buf)
	if !ok {
		r.Error = job.path + " is " + r.Error
	}
	return r
}

// hashFile hashes f if it has identity want before and after reading. ok
// is false only when f is another file (dev or ino differ): the caller
// may try elsewhere.
//
// withCtime decides whether a changed ctime disqualifies the file. A path
// must match the whole identity: any change, even metadata only, may hide
// a rewrite whose mtime was set back. The file behind /proc/PID/exe is
// the image the kernel runs: deleting it, renaming it away or chmod'ing it
// after exec changes its ctime but not its bytes (the kernel refuses
// writes to a running executable), and self-deleting programs are exactly
// the ones whose hash matters; so there dev, ino, mtime and size must match.
func (h *Hasher) hashFile(f *os.File, want ExeIdentity, source string, withCtime bool, buf []byte) (HashResult, bool) {
	var before unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &before); err != nil {
		return HashResult{Source: HashFailed, Error: fmt.Sprintf("stat %s: %v", f.Name(), err)}, true
	}
	have := identityOf(&before)
	if have.Dev != want.Dev || have.Ino != want.Ino {
		return HashResult{Source: HashChanged, Error: want.mismatch(have)}, false
	}
	if !withCtime {
		want.Ctime = have.Ctime
	}
	if m := want.mismatch(have); m != "" {
		return HashResult{Source: HashChanged, Error: m}, true
	}
	sum := sha256.New()
	n, err := io.CopyBuffer(sum, io.LimitReader(f, h.opts.MaxSize+1), buf)
	if err != nil {
		return HashResult{Source: HashFailed, Error: fmt.Sprintf("read %s: %v", f.Name(), err)}, true
	}
	var after unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &after); err != nil {
		return HashResult{Source: HashFailed, Error: fmt.Sprintf("stat %s: %v", f.Name(), err)}, true
	}
	afterID := identityOf(&after)
	if !withCtime {
		want.Ctime = afterID.Ctime
	}
	if m := want.mismatch(afterID); m != "" {
		return HashResult{Source: HashChanged, Error: "while hashing: " + m}, true
	}
	if n != want.Size {
		return HashResult{Source: HashChanged, Error: fmt.Sprintf("read %d bytes, the kernel saw %d", n, want.Size)}, true
	}
	h.hashed.Add(1)
	return HashResult{Sha256: hex.EncodeToString(sum.Sum(nil)), Source: source}, true
}

// hashPinned is hashFile of a pinned file, already known to be the
// identity's dev and ino.
func (h *Hasher) hashPinned(f *os.File, want ExeIdentity, source string, buf []byte) HashResult {
	r, ok := h.hashFile(f, want, source, false, buf)
	if !ok { // cannot happen short of a kernel reusing an open inode
		r = HashResult{Source: HashChanged, Error: r.Error}
	}
	return r
}

// openNonBlocking opens path for reading without waiting: a path swapped
// for a FIFO or a device after the exec must not stall the caller.
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
}

// pinScript lists at most maxScriptFds descriptors and stats at most
// maxScriptStats of them, highest first: it runs on the event path, and
// a process holding thousands of descriptors must not stall it.
const (
	maxScriptFds   = 1024
	maxScriptStats = 64
)

// pinScript opens the script file an exec ran, while its interpreter
// still runs: through path when the regular file there has the whole
// identity id, else through the descriptor of pid that holds a file with
// id's dev and ino. It returns nil when neither is there (the script
// already gone, or an interpreter that read it and closed it).
func (h *Hasher) pinScript(pid int32, path string, id ExeIdentity) (*os.File, string) {
	if path != "" {
		if f, err := openNonBlocking(path); err == nil {
			var st unix.Stat_t
			if unix.Fstat(int(f.Fd()), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && id.mismatch(identityOf(&st)) == "" {
				return f, HashFromPath
			}
			f.Close()
		}
	}
	if pid <= 0 {
		return nil, ""
	}
	fdDir := h.opts.ProcRoot + "/" + strconv.Itoa(int(pid)) + "/fd"
	d, err := os.Open(fdDir)
	if err != nil {
		return nil, ""
	}
	names, _ := d.Readdirnames(maxScriptFds)
	d.Close()
	// A shell reads its script from a high descriptor (bash 255, dash
	// 10 and up): look from the highest down.
	slices.SortFunc(names, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(b, a)
	})
	if len(names) > maxScriptStats {
		names = names[:maxScriptStats]
	}
	for _, n := range names {
		var st unix.Stat_t
		p := fdDir + "/" + n
		if unix.Stat(p, &st) != nil || st.Dev != id.Dev || st.Ino != id.Ino || st.Mode&unix.S_IFMT != unix.S_IFREG {
			continue
		}
		if f, err := openNonBlocking(p); err == nil {
			return f, HashFromProcFd
		}
	}
	return nil, ""
}
