package capture

import (
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// fileidKernfs is the file handle type of kernfs (cgroupfs): its handle
// is the 64-bit node id, which is the cgroup id.
const fileidKernfs = 0xfe

// CgroupResolver maps cgroup v2 ids (what the kernel reports with each
// event) to cgroup paths and containers, caching both. It is owned by one
// goroutine and is not safe for concurrent use.
type CgroupResolver struct {
	root    string // cgroup v2 mount point; "" when there is none
	mountFd int    // open on root for open_by_handle_at; -1 when unusable
	cache   map[uint64]cgroupInfo
	// walked is set once a full walk of the hierarchy found nothing for
	// some id: misses then stay misses until Forget, so that a stream of
	// events from a vanished cgroup does not walk the tree each time.
	misses map[uint64]bool
}

type cgroupInfo struct {
	path      string
	container Container
}

const maxCgroupCache = 16384

// NewCgroupResolver opens the cgroup v2 mount at root ("" disables
// resolution: every lookup misses).
func NewCgroupResolver(root string) *CgroupResolver {
	r := &CgroupResolver{root: root, mountFd: -1, cache: map[uint64]cgroupInfo{}, misses: map[uint64]bool{}}
	if root != "" {
		if fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
			r.mountFd = fd
		}
	}
	return r
}

// Close releases the mount descriptor.
func (r *CgroupResolver) Close() {
	if r.mountFd >= 0 {
		unix.Close(r.mountFd)
		r.mountFd = -1
	}
}

// Forget drops the cache of misses (called at each keyframe, so a cgroup
// missed once is looked for again later).
func (r *CgroupResolver) Forget() { clear(r.misses) }

// Learn records a path known from /proc for id.
func (r *CgroupResolver) Learn(id uint64, path string) {
	if id == 0 || path == "" {
		return
	}
	if _, ok := r.cache[id]; !ok {
		r.put(id, path)
	}
}

// Lookup returns the path and container of cgroup id; ok is false when
// the cgroup cannot be found (it may be gone already).
func (r *CgroupResolver) Lookup(id uint64) (path string, c Container, ok bool) {
	if id == 0 || r.root == "" {
		return "", Container{}, false
	}
	if info, hit := r.cache[id]; hit {
		return info.path, info.container, true
	}
	if r.misses[id] {
		return "", Container{}, false
	}
	path, ok = r.byHandle(id)
	if !ok {
		path, ok = r.byWalk(id)
	}
	if !ok {
		r.misses[id] = true
		return "", Container{}, false
	}
	info := r.put(id, path)
	return info.path, info.container, true
}

func (r *CgroupResolver) put(id uint64, path string) cgroupInfo {
	if len(r.cache) >= maxCgroupCache {
		clear(r.cache)
	}
	info := cgroupInfo{path: path, container: ContainerFromCgroup(path)}
	r.cache[id] = info
	return info
}

// byHandle opens the cgroup directory by its kernfs file handle and reads
// back its path: one system call pair instead of a walk.
func (r *CgroupResolver) byHandle(id uint64) (string, bool) {
	if r.mountFd < 0 {
		return "", false
	}
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], id)
	h := unix.NewFileHandle(fileidKernfs, b[:])
	fd, err := unix.OpenByHandleAt(r.mountFd, h, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return "", false
	}
	defer unix.Close(fd)
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return "", false
	}
	return r.relative(p)
}

// byWalk searches the hierarchy for the directory whose inode is id.
func (r *CgroupResolver) byWalk(id uint64) (string, bool) {
	var found string
	_ = filepath.WalkDir(r.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		var s unix.Stat_t
		if unix.Stat(p, &s) == nil && s.Ino == id {
			found = p
			return fs.SkipAll
		}
		return nil
	})
	if found == "" {
		return "", false
	}
	return r.relative(found)
}

// relative turns an absolute path under the mount into the cgroup path
// as /proc/PID/cgroup writes it ("/" for the root).
func (r *CgroupResolver) relative(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, strings.TrimSuffix(r.root, "/"))
	if !ok {
		return "", false
	}
	if rest == "" {
		rest = "/"
	}
	return rest, true
}
