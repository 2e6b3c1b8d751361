package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// fileTruth is what stat(2) and a full read say about a file: the values
// the recorder must report for an executable's identity.
type fileTruth struct {
	Path     string `json:"path"`
	Dev      uint64 `json:"dev"` // st_dev as stat(2) encodes it
	DevMajor uint32 `json:"dev_major"`
	DevMinor uint32 `json:"dev_minor"`
	Ino      uint64 `json:"ino"`
	Mode     uint32 `json:"mode"`
	UID      uint32 `json:"uid"`
	GID      uint32 `json:"gid"`
	Size     int64  `json:"size"`
	CtimeNs  int64  `json:"ctime_ns"`
	MtimeNs  int64  `json:"mtime_ns"`
	Sha256   string `json:"sha256"`
	// Writable says whether the file is writable by the uid/gid given
	// on the command line (omitted when none was).
	Writable *bool `json:"writable,omitempty"`
}

func runStat(args []string) error {
	if err := wantArgs(args, 1, "stat"); err != nil {
		return err
	}
	ft, err := statFile(args[0])
	if err != nil {
		return err
	}
	if len(args) >= 3 {
		uid, err1 := strconv.ParseUint(args[1], 10, 32)
		gid, err2 := strconv.ParseUint(args[2], 10, 32)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("uid %q / gid %q: not numbers", args[1], args[2])
		}
		w, err := writableBy(args[0], ft, uint32(uid), uint32(gid))
		if err != nil {
			return err
		}
		ft.Writable = &w
	}
	return writeJSON("-", ft)
}

// statFile stats path (following symlinks, as exec does) and hashes it.
func statFile(path string) (fileTruth, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fileTruth{}, fmt.Errorf("stat %s: %w", path, err)
	}
	sum, err := sha256File(path)
	if err != nil {
		return fileTruth{}, err
	}
	// A second stat proves the file did not change while it was hashed.
	var after unix.Stat_t
	if err := unix.Stat(path, &after); err != nil {
		return fileTruth{}, fmt.Errorf("stat %s: %w", path, err)
	}
	if after.Ctim != st.Ctim || after.Ino != st.Ino || after.Size != st.Size {
		return fileTruth{}, fmt.Errorf("stat %s: file changed while it was hashed", path)
	}
	return fileTruth{
		Path:     path,
		Dev:      st.Dev,
		DevMajor: unix.Major(st.Dev),
		DevMinor: unix.Minor(st.Dev),
		Ino:      st.Ino,
		Mode:     st.Mode,
		UID:      st.Uid,
		GID:      st.Gid,
		Size:     st.Size,
		CtimeNs:  st.Ctim.Nano(),
		MtimeNs:  st.Mtim.Nano(),
		Sha256:   sum,
	}, nil
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writableBy applies the permission bits the way the kernel does for a
// caller with this uid and primary gid (no supplementary groups): root
// may write anything on a writable mount.
func writableBy(path string, ft fileTruth, uid, gid uint32) (bool, error) {
	var fs unix.Statfs_t
	if err := unix.Statfs(path, &fs); err != nil {
		return false, fmt.Errorf("statfs %s: %w", path, err)
	}
	if fs.Flags&unix.ST_RDONLY != 0 {
		return false, nil
	}
	switch {
	case uid == 0:
		return true, nil
	case uid == ft.UID:
		return ft.Mode&0o200 != 0, nil
	case gid == ft.GID:
		return ft.Mode&0o020 != 0, nil
	default:
		return ft.Mode&0o002 != 0, nil
	}
}
