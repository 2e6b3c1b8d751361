package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Bounds on what is read from /proc for one process. They match the
// kernel side's bounds so that keyframe rows and exec rows look alike.
const (
	DefaultArgvMaxCount = 64
	DefaultArgvMaxBytes = 4096
	envMaxBytes         = 64 << 10
)

// EnvFilter selects environment variables by name: "NAME" keeps one
// variable, "PREFIX*" every variable whose name starts with PREFIX (the
// same rule as the kernel side's filter, so keyframe and exec rows agree).
type EnvFilter []string

// Match reports whether the variable name is selected.
func (f EnvFilter) Match(name []byte) bool {
	for _, p := range f {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(string(name), prefix) {
				return true
			}
		} else if string(name) == p {
			return true
		}
	}
	return false
}

// readBounded reads at most max bytes of a (proc) file into buf, reusing
// it; it reports whether the file was longer.
func readBounded(path string, buf []byte, max int) ([]byte, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	buf = buf[:0]
	if cap(buf) < max+1 {
		buf = make([]byte, 0, max+1)
	}
	for len(buf) <= max {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF || n == 0 && err == nil {
			break
		}
		if err != nil {
			return nil, false, err
		}
	}
	if len(buf) > max {
		return buf[:max], true, nil
	}
	return buf, false, nil
}

// splitNul splits a NUL-separated list (cmdline, environ), keeping at
// most maxCount entries and maxBytes bytes in all.
func splitNul(b []byte, maxCount, maxBytes int) []string {
	if len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return nil
	}
	var out []string
	total := 0
	for len(b) > 0 && len(out) < maxCount {
		var part []byte
		if i := bytes.IndexByte(b, 0); i >= 0 {
			part, b = b[:i], b[i+1:]
		} else {
			part, b = b, nil
		}
		if total+len(part) > maxBytes {
			part = part[:maxBytes-total]
			out = append(out, string(part))
			break
		}
		total += len(part)
		out = append(out, string(part))
	}
	return out
}

// selectEnv keeps the NAME=value entries of a NUL-separated environment
// whose name the filter selects, in the order they appear.
func selectEnv(b []byte, names EnvFilter) []string {
	var out []string
	for len(b) > 0 {
		var entry []byte
		if i := bytes.IndexByte(b, 0); i >= 0 {
			entry, b = b[:i], b[i+1:]
		} else {
			entry, b = b, nil
		}
		eq := bytes.IndexByte(entry, '=')
		if eq <= 0 {
			continue
		}
		if names.Match(entry[:eq]) {
			out = append(out, string(entry))
		}
	}
	return out
}

// procStat is what rewind uses of /proc/PID/stat.
type procStat struct {
	comm      string
	state     string
	ppid      int32
	pgrp      int32
	session   int32
	ttyNr     uint32
	startTime uint64 // clock ticks after boot
}

// parseProcStat parses /proc/PID/stat. The command name sits between the
// first '(' and the last ')' and may itself hold spaces and parentheses.
func parseProcStat(b []byte) (procStat, error) {
	var st procStat
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return st, errors.New("no (comm) field")
	}
	st.comm = string(b[open+1 : closing])
	fields := strings.Fields(string(b[closing+1:]))
	// fields[0] is field 3 of proc(5) (state); starttime is field 22.
	if len(fields) < 20 {
		return st, fmt.Errorf("%d fields after comm, want at least 20", len(fields))
	}
	st.state = fields[0]
	nums := []struct {
		idx  int
		dst  *int32
		name string
	}{{1, &st.ppid, "ppid"}, {2, &st.pgrp, "pgrp"}, {3, &st.session, "session"}}
	for _, n := range nums {
		v, err := strconv.ParseInt(fields[n.idx], 10, 32)
		if err != nil {
			return st, fmt.Errorf("field %s: %w", n.name, err)
		}
		*n.dst = int32(v)
	}
	tty, err := strconv.ParseInt(fields[4], 10, 64)
	if err != nil {
		return st, fmt.Errorf("field tty_nr: %w", err)
	}
	st.ttyNr = uint32(tty)
	st.startTime, err = strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return st, fmt.Errorf("field starttime: %w", err)
	}
	return st, nil
}

// procStatus is what rewind uses of /proc/PID/status.
type procStatus struct {
	uid, euid, gid, egid uint32
	nspid, nspgid        []int32
	capInh, capPrm       uint64
	capEff               uint64
	have                 uint32 // bits of the status* flags below
}

const (
	statusUID = 1 << iota
	statusGID
	statusNSpid
	statusNSpgid
	statusCaps
)

func parseProcStatus(b []byte) (procStatus, error) {
	var st procStatus
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		f := strings.Fields(string(val))
		switch string(key) {
		case "Uid", "Gid":
			if len(f) < 2 {
				return st, fmt.Errorf("%s: want 4 ids, got %q", key, val)
			}
			real, err1 := strconv.ParseUint(f[0], 10, 32)
			eff, err2 := strconv.ParseUint(f[1], 10, 32)
			if err := errors.Join(err1, err2); err != nil {
				return st, fmt.Errorf("%s: %w", key, err)
			}
			if key[0] == 'U' {
				st.uid, st.euid, st.have = uint32(real), uint32(eff), st.have|statusUID
			} else {
				st.gid, st.egid, st.have = uint32(real), uint32(eff), st.have|statusGID
			}
		case "NSpid", "NSpgid":
			ids := make([]int32, 0, len(f))
			for _, s := range f {
				v, err := strconv.ParseInt(s, 10, 32)
				if err != nil {
					return st, fmt.Errorf("%s: %w", key, err)
				}
				ids = append(ids, int32(v))
			}
			if string(key) == "NSpid" {
				st.nspid, st.have = ids, st.have|statusNSpid
			} else {
				st.nspgid, st.have = ids, st.have|statusNSpgid
			}
		case "CapInh", "CapPrm", "CapEff":
			if len(f) != 1 {
				return st, fmt.Errorf("%s: want one hex mask, got %q", key, val)
			}
			v, err := strconv.ParseUint(f[0], 16, 64)
			if err != nil {
				return st, fmt.Errorf("%s: %w", key, err)
			}
			switch string(key) {
			case "CapInh":
				st.capInh = v
			case "CapPrm":
				st.capPrm = v
			default:
				st.capEff, st.have = v, st.have|statusCaps
			}
		}
	}
	return st, nil
}

// parseNsLink parses a namespace link target such as "mnt:[4026531841]".
func parseNsLink(s string) (uint32, error) {
	open := strings.IndexByte(s, '[')
	if open < 0 || !strings.HasSuffix(s, "]") {
		return 0, fmt.Errorf("namespace link %q: want type:[inode]", s)
	}
	v, err := strconv.ParseUint(s[open+1:len(s)-1], 10, 32)
	if err != nil {
		return 0, fmt.Errorf("namespace link %q: %w", s, err)
	}
	return uint32(v), nil
}

// cgroupLines holds the cgroup paths of /proc/PID/cgroup: the v2 one
// (hierarchy 0, empty controller list) and the v1 ones.
type cgroupLines struct {
	v2 string
	v1 []string
}

func parseProcCgroup(b []byte) cgroupLines {
	var cg cgroupLines
	for _, line := range strings.Split(string(b), "\n") {
		// hierarchy-ID:controller-list:path; the path may contain ':'.
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			cg.v2 = parts[2]
		} else {
			cg.v1 = append(cg.v1, parts[2])
		}
	}
	return cg
}

// container picks the container from the v2 path, then from the v1 paths
// (hybrid hosts keep the container only in the v1 hierarchies).
func (cg cgroupLines) container() Container {
	if c := ContainerFromCgroup(cg.v2); c.ID != "" {
		return c
	}
	for _, p := range cg.v1 {
		if c := ContainerFromCgroup(p); c.ID != "" {
			return c
		}
	}
	return Container{}
}
